/**
 * `npm start`: the whole app locally on its embedded defaults — Azurite, the Microsoft cloud simulator with the
 * seeded demo tenant, and the local Functions host running the built app — then prints where to go.
 * Ctrl-C stops every child process.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../azurite';
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, registerLocalApp } from '../appRegistration';
import { preferredPort } from '../ports';
import { ensureLocalCa } from '../simulator/ca';
import { DEFAULT_KEY_ID, KeyRing, singleKey } from '../../shared/security/keyRing';
import { LinkSigner } from '../../shared/security/signedLinks';
import { DEMO_TENANT_ID, startSimulator } from '../simulator';

const repoRoot = path.resolve(__dirname, '../../..');
const dataDir = path.join(repoRoot, '.local-data');

function localSettings(): Record<string, string> {
  for (const file of ['local.settings.json', 'local.settings.sample.json']) {
    const full = path.join(repoRoot, file);
    if (existsSync(full)) return (JSON.parse(readFileSync(full, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  }
  return {};
}

async function main(): Promise<void> {
  const started = Date.now();
  const settings = localSettings();
  const ca = ensureLocalCa(path.join(dataDir, 'ca'));
  const azurite = await startAzurite({
    dataDir: path.join(dataDir, 'azurite'),
    ports: {
      blob: await preferredPort(Number(process.env.AZURITE_BLOB_PORT ?? 10000)),
      queue: await preferredPort(Number(process.env.AZURITE_QUEUE_PORT ?? 10001)),
      table: await preferredPort(Number(process.env.AZURITE_TABLE_PORT ?? 10002)),
    },
  });
  const simulator = await startSimulator({ caDir: path.join(dataDir, 'ca') });
  const port = Number(process.env.FUNCTIONS_HTTP_PORT ?? 7071);
  const functionKey = settings.LOCAL_FUNCTION_KEY ?? 'local-function-key';
  const masterKey = settings.LOCAL_MASTER_KEY ?? 'local-master-key';
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  registerLocalApp(simulator, {
    clientId: settings.ENTRA_CLIENT_ID ?? LOCAL_CLIENT_ID,
    clientSecret: settings.ENTRA_CLIENT_SECRET ?? LOCAL_CLIENT_SECRET,
    publicBaseUrl,
  });

  const host: ChildProcess = fork(path.join(__dirname, 'host.js'), [], {
    env: {
      ...process.env,
      ...settings,
      ...simulator.appSettings(),
      AzureWebJobsStorage: azurite.connectionString,
      PUBLIC_BASE_URL: publicBaseUrl,
      FUNCTIONS_HTTP_PORT: String(port),
      LOCAL_FUNCTION_KEY: functionKey,
      LOCAL_MASTER_KEY: masterKey,
      NODE_EXTRA_CA_CERTS: ca.caCertPath,
    },
    stdio: 'inherit',
  });

  let stopping = false;
  const stop = async (code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    if (host.exitCode === null && host.signalCode === null) {
      await new Promise<void>((resolve) => {
        host.once('exit', () => resolve());
        host.kill('SIGTERM');
        setTimeout(() => host.kill('SIGKILL'), 5000).unref();
      });
    }
    await Promise.all([azurite.stop(), simulator.stop()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  host.once('exit', (code) => void stop(code ?? 1));

  await new Promise<void>((resolve) => host.once('message', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const signingKey = settings.LINK_SIGNING_KEY
    ? singleKey(settings.LINK_SIGNING_KEY_ID ?? DEFAULT_KEY_ID, settings.LINK_SIGNING_KEY)
    : undefined;
  const demoPage = await seedDemoAccount(base, functionKey, signingKey).catch((err: Error) => {
    console.warn(`The demo account could not be created: ${err.message}`);
    return undefined;
  });
  console.log(
    [
      '',
      `Teams Voice Sync is running locally (ready in ${((Date.now() - started) / 1000).toFixed(1)} s).`,
      '',
      `  Health           ${base}/api/health`,
      `  API              ${base}/api/…   (header x-functions-key: ${functionKey})`,
      `  Admin API        ${base}/admin/functions   (master key: ${masterKey})`,
      `  Azurite          ${azurite.connectionString
        .split(';')
        .filter((p) => p.includes('Endpoint'))
        .join('  ')}`,
      ...Object.entries(simulator.urls).map(([name, url]) => `  Simulator ${name.padEnd(8)} ${url}`),
      `  Local CA         ${ca.caCertPath}`,
      '',
      ...(demoPage
        ? [
            'Try it: the demo account "Contoso Demo" is enabled. Open its integration page as its Global Admin and press',
            'Authorize; on the simulated Microsoft pages pick Megan Bowen (Global Administrator) and accept:',
            `  ${demoPage}`,
            `  Emails sent by the app: ${simulator.urls.control}/mailbox`,
            '',
          ]
        : []),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

/** Enables the demo account (an identical PUT changes nothing) and returns a fresh link to its integration page. */
async function seedDemoAccount(base: string, functionKey: string, signingKey: KeyRing | undefined): Promise<string | undefined> {
  const globalAdmin = { portalUserId: 'demo-ga', displayName: 'Megan Bowen', email: 'megan.bowen@contoso-demo.example' };
  const res = await fetch(`${base}/api/accounts/demo`, {
    method: 'PUT',
    headers: { 'x-functions-key': functionKey, 'x-actor-id': 'npm-start', 'x-actor-role': 'provider', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Contoso Demo', licenseCount: 10, globalAdmin, tenantId: DEMO_TENANT_ID }),
  });
  if (!res.ok) throw new Error(`PUT /api/accounts/demo answered ${res.status}`);
  if (!signingKey) return undefined;
  const link = await new LinkSigner(signingKey, 24 * 3600).sign({
    purpose: 'integration',
    accountId: 'demo',
    globalAdminId: globalAdmin.portalUserId,
    globalAdminEmail: globalAdmin.email,
  });
  return `${base}/api/integration?link=${link}`;
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
