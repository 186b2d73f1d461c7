/**
 * Runs the Microsoft cloud simulator on its own (used by `npm start`).
 * Environment (all optional):
 *   SIM_HOST (localhost), SIM_SEED (1), SIM_TOKEN_LIFETIME (seconds, or "random" = 60-90 minutes)
 *   SIM_PORT_ENTRA / _GRAPH / _TEAMS / _EMAIL / _KEYVAULT / _CONTROL / _ARM (defaults 47001..47007; 0 = any free port)
 *   SIM_DNS_ZONE: the provider's trunk DNS zone (trunks.voice.example)
 *   SIM_CA_DIR (<repo>/.local-data/ca)
 *   SIM_APP_CLIENT_ID, SIM_APP_CLIENT_SECRET, SIM_APP_REDIRECT_URIS (comma separated): an app registration to create
 *   SIM_SETTINGS_FILE: write the app settings (JSON) there once the simulator listens
 *   SIM_GENERATE_USERS: add a generated tenant of that many users (seeded by SIM_SEED)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTenant, loadDemoSeeds, RunningSimulator, SimulatorService, startSimulator } from './index';

const DEFAULT_PORTS: Record<SimulatorService, number> = {
  entra: 47001,
  graph: 47002,
  teams: 47003,
  email: 47004,
  keyVault: 47005,
  control: 47006,
  arm: 47007,
};
const ENV_NAMES: Record<SimulatorService, string> = {
  entra: 'ENTRA',
  graph: 'GRAPH',
  teams: 'TEAMS',
  email: 'EMAIL',
  keyVault: 'KEYVAULT',
  control: 'CONTROL',
  arm: 'ARM',
};

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulator> {
  const ports = Object.fromEntries(
    (Object.keys(DEFAULT_PORTS) as SimulatorService[]).map((s) => {
      const v = env[`SIM_PORT_${ENV_NAMES[s]}`];
      return [s, v !== undefined && v !== '' ? Number(v) : DEFAULT_PORTS[s]];
    }),
  ) as Record<SimulatorService, number>;
  const seed = env.SIM_SEED ? Number(env.SIM_SEED) : 1;
  const lifetime = env.SIM_TOKEN_LIFETIME && env.SIM_TOKEN_LIFETIME !== 'random' ? Number(env.SIM_TOKEN_LIFETIME) : 'random';
  const tenants = loadDemoSeeds();
  if (env.SIM_GENERATE_USERS) tenants.push(generateTenant({ users: Number(env.SIM_GENERATE_USERS), seed }));
  const apps =
    env.SIM_APP_CLIENT_ID && env.SIM_APP_CLIENT_SECRET
      ? [
          {
            clientId: env.SIM_APP_CLIENT_ID,
            clientSecret: env.SIM_APP_CLIENT_SECRET,
            redirectUris: (env.SIM_APP_REDIRECT_URIS ?? '')
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
            displayName: 'Teams Voice Sync (local)',
            optionalIdTokenClaims: ['wids'],
          },
        ]
      : [];
  const sim = await startSimulator({
    host: env.SIM_HOST,
    ports,
    seed,
    tokenLifetimeSeconds: lifetime,
    caDir: env.SIM_CA_DIR,
    tenants,
    apps,
    dnsZone: env.SIM_DNS_ZONE || undefined,
  });
  const settings = sim.appSettings();
  if (env.SIM_SETTINGS_FILE) {
    fs.mkdirSync(path.dirname(env.SIM_SETTINGS_FILE), { recursive: true });
    fs.writeFileSync(env.SIM_SETTINGS_FILE, JSON.stringify(settings, null, 2));
  }
  console.log('Microsoft cloud simulator listening:');
  for (const [k, v] of Object.entries(sim.urls)) console.log(`  ${k.padEnd(9)} ${v}`);
  console.log(`  mailbox   ${sim.urls.control}/mailbox`);
  console.log(`  CA        ${sim.caCertPath} (start clients with NODE_EXTRA_CA_CERTS pointing at it)`);
  console.log(`  contract  checks on (${sim.contractChecks.source})`);
  console.log('App settings:');
  console.log(JSON.stringify(settings, null, 2));
  return sim;
}

if (require.main === module) {
  main()
    .then((sim) => {
      const stop = () => {
        void sim.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
