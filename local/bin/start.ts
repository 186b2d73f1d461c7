/**
 * `npm start`: the whole app locally on its embedded defaults — Azurite, the Microsoft cloud simulator with the
 * seeded demo tenant, and the local Functions host running the built app — then prints where to go.
 * Ctrl-C stops every child process.
 *
 * `npm start -- --reset` starts from empty storage (accounts, tenant links, emails are kept between runs otherwise).
 * LOCAL_DATA_DIR moves the data folder (default .local-data; the tests use a throw-away one).
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../azurite';
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, registerLocalApp } from '../appRegistration';
import { preferredPort } from '../ports';
import { ensureLocalCa } from '../simulator/ca';
import { DEFAULT_KEY_ID, KeyRing, singleKey } from '../../shared/security/keyRing';
import { LinkSigner } from '../../shared/security/signedLinks';
import { isStatus, table } from '../../shared/storage/tables';
import { RunningSimulator, startSimulator } from '../simulator';

const repoRoot = path.resolve(__dirname, '../../..');
const dataDir = path.resolve(process.env.LOCAL_DATA_DIR ?? path.join(repoRoot, '.local-data'));
const reset = process.argv.includes('--reset');

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
  // Only storage is reset: the CA stays, so browsers that trust it keep doing so.
  if (reset) rmSync(path.join(dataDir, 'azurite'), { recursive: true, force: true });
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
  const tenants = seededTenants(simulator);
  const demo = await seedDemoAccount(base, functionKey, azurite.connectionString, tenants, signingKey).catch((err: Error) => {
    console.warn(`The demo account could not be prepared: ${err.message}`);
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
      'Seeded Microsoft tenants (simulated) and their Global Administrators:',
      ...tenants.map((t) => `  ${t.name.padEnd(16)} ${t.domain}  ${t.id}  ${t.admins.map((a) => a.userPrincipalName).join(', ')}`),
      '',
      ...(demo
        ? [
            `Try it: the demo account "${demo.tenant.name}" (${demo.state}) is on the tenant ${demo.tenant.domain}. Open its integration`,
            `page as its Global Admin and press the button; on the simulated Microsoft pages pick ${demo.admin.displayName} and accept:`,
            `  ${demo.page}`,
            `  Emails sent by the app: ${simulator.urls.control}/mailbox`,
            '  Start again from empty storage with: npm start -- --reset',
            '',
          ]
        : []),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

interface SeededTenant {
  id: string;
  name: string;
  domain: string;
  admins: { displayName: string; userPrincipalName: string }[];
}

/** The simulator's customer tenants (not the provider's own) and their Global Administrators. */
function seededTenants(simulator: RunningSimulator): SeededTenant[] {
  return simulator.control
    .tenants()
    .filter((t) => t.id !== simulator.homeTenantId)
    .map((t) => ({
      id: t.id,
      name: t.displayName.replace(/ \(simulated\)$/, ''),
      domain: t.domain,
      admins: simulator.control
        .users(t.id)
        .filter((u) => u.globalAdmin && u.accountEnabled)
        .map(({ displayName, userPrincipalName }) => ({ displayName, userPrincipalName })),
    }))
    .filter((t) => t.admins.length > 0);
}

/** The account a tenant is linked to, if any (the tenantLinks table the app keeps: one tenant, one account). */
async function linkedAccount(storage: string, tenantId: string): Promise<string | undefined> {
  const links = table(storage, 'tenantLinks');
  await links.ready();
  try {
    return (await links.client.getEntity<{ accountId: string }>(tenantId.toLowerCase(), 'account')).accountId;
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

interface DemoAccount {
  page: string;
  tenant: SeededTenant;
  admin: SeededTenant['admins'][number];
  state: string;
}

/**
 * Enables the demo account on a seeded tenant it can really be activated with — its own tenant once bound, otherwise
 * the first whose link is free (a tenant serves one account) — and returns a fresh link to its integration page.
 * An identical PUT changes nothing, so restarts keep the account as it was.
 */
async function seedDemoAccount(
  base: string,
  functionKey: string,
  storage: string,
  tenants: SeededTenant[],
  signingKey: KeyRing | undefined,
): Promise<DemoAccount> {
  const headers = {
    'x-functions-key': functionKey,
    'x-actor-id': 'npm-start',
    'x-actor-role': 'provider',
    'content-type': 'application/json',
  };
  const current = await fetch(`${base}/api/accounts/demo`, { headers });
  const existing = current.ok
    ? ((await current.json()) as {
        tenantId: string | null;
        state: string;
        globalAdmin: { portalUserId: string; displayName: string; email: string };
      })
    : undefined;
  let tenant = existing?.tenantId ? tenants.find((t) => t.id === existing.tenantId) : undefined;
  if (!tenant || (await linkedAccount(storage, tenant.id).then((holder) => holder !== undefined && holder !== 'demo'))) {
    tenant = undefined;
    for (const candidate of tenants) {
      const holder = await linkedAccount(storage, candidate.id);
      if (holder === undefined || holder === 'demo') {
        tenant = candidate;
        break;
      }
    }
  }
  if (!tenant) throw new Error('every seeded tenant is linked to another account: run `npm start -- --reset` for fresh storage');
  const admin = tenant.admins[0]!;
  const globalAdmin =
    existing?.tenantId === tenant.id
      ? existing.globalAdmin
      : { portalUserId: 'demo-ga', displayName: admin.displayName, email: admin.userPrincipalName };
  const res = await fetch(`${base}/api/accounts/demo`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ name: tenant.name, licenseCount: 10, globalAdmin, tenantId: tenant.id }),
  });
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string };
    throw new Error(`PUT /api/accounts/demo answered ${res.status} ${problem.code ?? ''}: run \`npm start -- --reset\` for fresh storage`);
  }
  const account = (await res.json()) as { state: string };
  if (!signingKey) throw new Error('LINK_SIGNING_KEY is not set in local.settings.json, so no link can be signed here');
  const link = await new LinkSigner(signingKey, 24 * 3600).sign({
    purpose: 'integration',
    accountId: 'demo',
    globalAdminId: globalAdmin.portalUserId,
    globalAdminEmail: globalAdmin.email,
  });
  const gaAdmin = tenant.admins.find((a) => a.userPrincipalName.toLowerCase() === globalAdmin.email.toLowerCase()) ?? admin;
  return { page: `${base}/api/integration?link=${link}`, tenant, admin: gaAdmin, state: account.state };
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
