/**
 * Application settings, validated once at start with zod so a missing or malformed setting stops the app with a
 * readable message instead of failing on first use. Names match local.settings.sample.json and infra/.
 */
import { z } from 'zod';

const url = z.string().url();

const ConfigSchema = z.object({
  AzureWebJobsStorage: z.string().min(1, 'the storage connection string is required'),
  DURABLE_TASK_HUB: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, 'a task hub name is 3-45 letters and digits, starting with a letter')
    .default('TeamsVoiceSync'),
  ENTRA_AUTHORITY_HOST: url.default('https://login.microsoftonline.com'),
  GRAPH_BASE_URL: url.default('https://graph.microsoft.com'),
  TEAMS_ADMIN_BASE_URL: url.default('https://api.interfaces.records.teams.microsoft.com'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid application settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`));
  }
  return parsed.data;
}
