/**
 * Application settings, validated once at start with zod so a missing or malformed setting stops the app with a
 * readable message instead of failing on first use. Names match local.settings.sample.json and infra/.
 */
import { z } from 'zod';
import { DEFAULT_KEY_ID } from './security/keyRing';

const url = z.string().url();
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MIN_SECRET = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_ID_RULE = 'a key id is 1-32 letters, digits, _ or -';
/** "id:secret,…" (a secret holds no comma). Problems name the entry by position: an entry may be a secret. */
const previousKeys = z.string().transform((list, ctx) => {
  const keys: { id: string; secret: string }[] = [];
  list
    .split(',')
    .map((entry) => entry.trim())
    .forEach((entry, i) => {
      if (!entry) return;
      const at = entry.indexOf(':');
      const [id, secret] = at < 0 ? ['', ''] : [entry.slice(0, at), entry.slice(at + 1)];
      const problem =
        at < 0
          ? 'expected "id:secret"'
          : !KEY_ID.test(id)
            ? KEY_ID_RULE
            : secret.length < MIN_SECRET
              ? 'a secret needs at least 32 characters'
              : keys.some((k) => k.id === id)
                ? `the key id "${id}" appears twice`
                : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${problem}` });
      else keys.push({ id, secret });
    });
  return keys;
});
/** An empty setting is an absent one (App Settings cannot hold "unset"). */
const blankIsAbsent = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);
/** A DNS name of two or more labels (letters, digits, hyphens), taken lower-cased and without a final dot. */
const dnsName = (what: string) =>
  z
    .string()
    .transform((v) => v.trim().toLowerCase().replace(/\.$/, ''))
    .refine(
      (v) => v.length <= 253 && /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(v),
      `${what} is a DNS name such as trunks.example.com`,
    );
/** The trunk DNS settings: all of them, or none (a provider with Operator Connect only needs no trunk zone). */
const TRUNK_DNS_SETTINGS = ['PROVIDER_TRUNK_BASE_DOMAIN', 'PROVIDER_SBC_ADDRESSES', 'DNS_SUBSCRIPTION_ID', 'DNS_RESOURCE_GROUP'] as const;

const ConfigSchema = z.object({
  AzureWebJobsStorage: z.string().min(1, 'the storage connection string is required'),
  DURABLE_TASK_HUB: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, 'a task hub name is 3-45 letters and digits, starting with a letter')
    .default('TeamsVoiceSync'),
  ENTRA_AUTHORITY_HOST: url.default('https://login.microsoftonline.com'),
  GRAPH_BASE_URL: url.default('https://graph.microsoft.com'),
  TEAMS_ADMIN_BASE_URL: url.default('https://api.interfaces.records.teams.microsoft.com'),

  /**
   * The multi-tenant Entra app registration the customer's Global Admin consents to. Redirect URIs are fixed:
   * {PUBLIC_BASE_URL}/api/auth/consent, {PUBLIC_BASE_URL}/api/auth/signin and {PUBLIC_BASE_URL}/api/auth/sync must be
   * registered on the app.
   */
  ENTRA_CLIENT_ID: z.string().uuid('the Entra application (client) id is a GUID'),
  /** The app's credential: a client secret, or (recommended by Microsoft) a certificate — one of the two. */
  ENTRA_CLIENT_SECRET: blankIsAbsent(z.string().min(1).optional()),
  /** PEM with the certificate and its private key (a Key Vault reference in Azure). */
  ENTRA_CLIENT_CERTIFICATE_PEM: blankIsAbsent(
    z
      .string()
      .refine(
        (pem) => /-----BEGIN CERTIFICATE-----/.test(pem) && /PRIVATE KEY-----/.test(pem),
        'expected a PEM with the certificate and its private key',
      )
      .optional(),
  ),
  /** The vault that holds a sync run's tokens (a vault of their own, without purge protection: docs/operations.md). */
  KEY_VAULT_URL: z
    .string()
    .url('the Key Vault URL is required, e.g. https://<vault>.vault.azure.net')
    .refine((v) => v.startsWith('https://'), 'the Key Vault URL is https'),
  /**
   * Set: the app signs in to the vault with its own credential (ENTRA_CLIENT_*) in this tenant, the vault's. Absent:
   * with the Function App's managed identity (AZURE_CLIENT_ID names a user-assigned one).
   */
  KEY_VAULT_TENANT_ID: blankIsAbsent(z.string().regex(GUID, 'the Key Vault tenant id is a GUID').optional()),
  AZURE_CLIENT_ID: blankIsAbsent(z.string().regex(GUID, 'the managed identity client id is a GUID').optional()),
  /**
   * The provider's trunk DNS zone in Azure DNS: each customer's trunk subdomain (`{account}.{zone}`) gets its TXT
   * verification record and the record resolving the derived trunk FQDN to the SBC there. All four or none.
   */
  PROVIDER_TRUNK_BASE_DOMAIN: blankIsAbsent(dnsName('the trunk base domain').optional()),
  /**
   * The provider's SBC addresses (IPv4, comma-separated): each derived trunk FQDN gets A records to them. Not a CNAME:
   * the same name holds the domain's TXT verification record, and a CNAME may not share its name with other records.
   */
  PROVIDER_SBC_ADDRESSES: blankIsAbsent(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.ipv4({ message: 'the SBC addresses are IPv4 addresses, comma-separated' })).min(1))
      .optional(),
  ),
  DNS_SUBSCRIPTION_ID: blankIsAbsent(z.string().regex(GUID, 'the DNS subscription id is a GUID').optional()),
  DNS_RESOURCE_GROUP: blankIsAbsent(
    z
      .string()
      .regex(/^[-\w.()]{0,89}[-\w()]$/, 'a resource group name is 1-90 letters, digits, -, _, ., ( or ), not ending in .')
      .optional(),
  ),
  /**
   * Set: the app signs in to Azure DNS with its own credential (ENTRA_CLIENT_*) in this tenant, the zone's. Absent:
   * with the Function App's managed identity (AZURE_CLIENT_ID names a user-assigned one).
   */
  DNS_TENANT_ID: blankIsAbsent(z.string().regex(GUID, 'the DNS tenant id is a GUID').optional()),
  /** Azure Resource Manager's origin (Azure DNS is reached through it). */
  AZURE_RESOURCE_MANAGER_URL: url
    .refine((v) => v.startsWith('https://'), 'the Azure Resource Manager URL is https')
    .default('https://management.azure.com'),
  /** How long an OAuth state (consent or sign-in in progress) stays usable. */
  AUTH_STATE_TTL_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  /** A discovery with no progress for this long has stopped (host killed, instance poisoned or terminated). */
  DISCOVERY_STALL_MINUTES: z.coerce.number().positive().max(1440).default(15),
  /**
   * Seconds between polls of a number change Microsoft is running (Graph's long-running operations take seconds to
   * minutes); the sync waits on a durable timer in between.
   */
  SYNC_POLL_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  /**
   * After a sync that applied changes, how long the verification watches for them to take effect in Teams (Microsoft
   * says up to 2 hours before the dial pad shows), and the seconds between its checks.
   */
  SYNC_VERIFY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(7200),
  SYNC_VERIFY_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(600),
  /**
   * The pace of the sync's calls per customer tenant (shared/microsoft/pacing.ts): Graph's Teams paths (`/admin/teams/*`;
   * Microsoft publishes 30 requests a second per app and tenant for the Teams service) and the Teams admin API (no
   * published limit; 10 is our guess). A second's worth may go at once. Lower them when several hosts sync one tenant.
   */
  GRAPH_TEAMS_REQUESTS_PER_SECOND: z.coerce.number().positive().max(1000).default(30),
  TEAMS_ADMIN_REQUESTS_PER_SECOND: z.coerce.number().positive().max(1000).default(10),
  /** Seconds between looks while Microsoft verifies or activates the provider's trunk domain in a tenant. */
  SYNC_TRUNK_POLL_SECONDS: z.coerce.number().int().min(1).max(600).default(60),
  /**
   * Each customer's trunk subdomain under PROVIDER_TRUNK_BASE_DOMAIN: `{account}` stands for the account's DNS label
   * (e.g. `{account}` → `acme-001.trunks.example.com`, `{account}.eu` → `acme-001.eu.trunks.example.com`).
   */
  PROVIDER_TRUNK_SUBDOMAIN_PATTERN: z
    .string()
    .regex(/^([a-z0-9-]+|\{account\})(\.([a-z0-9-]+|\{account\}))*$/, 'a pattern of DNS labels, with {account} for the account')
    .refine((p) => p.includes('{account}'), 'the pattern needs {account}: each customer gets a subdomain of their own')
    .default('{account}'),
  /** Usage location (ISO country) of the temporary user that activates the trunk domain (licences need one). */
  TRUNK_ACTIVATION_USAGE_LOCATION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'a usage location is a two-letter country code')
    .default('US'),

  /** Public origin of this app: the integration page links in emails point here. */
  PUBLIC_BASE_URL: url,
  /**
   * The current master secret (a Key Vault reference in Azure) and its id: email links, CSRF tokens and sealed values
   * each use their own key derived from it (shared/security/keyRing.ts). Rotation: docs/operations.md.
   */
  LINK_SIGNING_KEY: z.string().min(MIN_SECRET, 'the link signing key needs at least 32 characters'),
  LINK_SIGNING_KEY_ID: z.string().regex(KEY_ID, KEY_ID_RULE).default(DEFAULT_KEY_ID),
  /** Previous master secrets, "id:secret,id:secret": still accepted to verify and open, never used to sign or seal. */
  LINK_SIGNING_KEYS_PREVIOUS: z.preprocess((v) => v ?? '', previousKeys),
  LINK_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24 * 7),

  PROVIDER_NAME: z.string().min(1).default('Your voice provider'),
  PROVIDER_SUPPORT_CONTACT: z.string().min(1).default('your voice provider'),
  PROVIDER_PORTAL_URL: url.default('https://portal.example.com'),
  DEFAULT_POLICY_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{1,19}$/, 'a policy prefix is 2-20 letters and digits, starting with a letter')
    .default('VoiceSync'),
  DEFAULT_NUMBER_TYPE: z.enum(['directRouting', 'operatorConnect']).default('directRouting'),

  /** Communication Services Email: "endpoint=https://…;accesskey=…". */
  EMAIL_CONNECTION_STRING: z.string().regex(/^endpoint=https?:\/\/[^;]+;accesskey=.+$/i, 'expected "endpoint=https://…;accesskey=…"'),
  EMAIL_SENDER_ADDRESS: z.string().email(),
  /** Communication Services' default sending limits for a custom domain. */
  EMAIL_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  EMAIL_RATE_PER_HOUR: z.coerce.number().int().min(1).default(100),
  EMAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** How long the record of a sent or failed email is kept (its body is dropped as soon as it is sent). */
  EMAIL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

const CheckedConfigSchema = ConfigSchema.refine((c) => !!c.ENTRA_CLIENT_SECRET !== !!c.ENTRA_CLIENT_CERTIFICATE_PEM, {
  message: 'set exactly one of ENTRA_CLIENT_SECRET and ENTRA_CLIENT_CERTIFICATE_PEM',
  path: ['ENTRA_CLIENT_SECRET'],
})
  .refine((c) => !c.LINK_SIGNING_KEYS_PREVIOUS.some((k) => k.id === c.LINK_SIGNING_KEY_ID), {
    message: 'a previous key has the id of the current one (LINK_SIGNING_KEY_ID): give the new key a new id',
    path: ['LINK_SIGNING_KEYS_PREVIOUS'],
  })
  .superRefine((c, ctx) => {
    const missing = TRUNK_DNS_SETTINGS.filter((name) => c[name] === undefined);
    if (missing.length > 0 && missing.length < TRUNK_DNS_SETTINGS.length)
      ctx.addIssue({
        code: 'custom',
        message: `the trunk DNS settings go together: set ${missing.join(', ')} too, or none of ${TRUNK_DNS_SETTINGS.join(', ')}`,
        path: [missing[0]!],
      });
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid application settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = CheckedConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`));
  }
  return parsed.data;
}
