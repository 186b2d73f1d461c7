/**
 * The token vault through the real Key Vault adapter against the simulator, built from the stack's settings as the
 * container builds it (the app's own credential in the vault's tenant, KEY_VAULT_TENANT_ID), and its hourly sweep
 * through the local host. Afterwards no token value appears in the simulator's request log, in the vault's secret
 * list or in anything the host logged.
 */
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../shared/config';
import { tokenVaultFor } from '../../shared/container';
import { runPrefix } from '../../shared/keyVault/secretNames';
import { RunToken, TokenVault } from '../../shared/sync/tokenVault';
import { Stack, startStack } from '../support/stack';

const GRAPH = 'https://graph.microsoft.com';
const TEAMS_ADMIN = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';

let stack: Stack;
let admin: SecretClient;
const hostLog: string[] = [];
/** Every token value handed to the vault, for the scan at the end. */
const issued: string[] = [];

beforeAll(async () => {
  stack = await startStack({ log: (line) => hostLog.push(line) });
  // The test's own view of the vault (to look at tags, deleted secrets, and to plant other secrets).
  const credential = new ClientSecretCredential(
    process.env.KEY_VAULT_TENANT_ID!,
    process.env.ENTRA_CLIENT_ID!,
    process.env.ENTRA_CLIENT_SECRET!,
    {
      authorityHost: process.env.ENTRA_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
    },
  );
  admin = new SecretClient(process.env.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
}, 60_000);
afterAll(() => stack?.stop());

/** The adapter as the container builds it from the app's settings, with a clock of the test's choosing. */
function vault(now: () => Date = () => new Date()): TokenVault {
  const config = loadConfig(process.env);
  return tokenVaultFor(config, { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET! }, now);
}

function token(resource: string, expiresInMs: number): RunToken {
  const accessToken = `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
  issued.push(accessToken);
  return { resource, accessToken, expiresOn: new Date(Date.now() + expiresInMs) };
}

const runSecrets = (runId: string) => stack.simulator.control.secrets().filter((s) => s.name.startsWith(runPrefix(runId)));
const isPurged = (name: string) =>
  admin.getDeletedSecret(name).then(
    () => false,
    (err: { statusCode?: number }) => err.statusCode === 404,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('stored tokens are read back by run id and resource, as secrets with their expiry and tags', async () => {
  const runId = randomUUID();
  const graph = token(GRAPH, 3600_000);
  const teams = token(TEAMS_ADMIN, 1800_000);
  expect(await vault().store(runId, [graph, teams])).toEqual({ ok: true, value: undefined });

  // Key Vault keeps expiries in whole seconds: a token reads back as expiring up to a second early, never later.
  const asStored = (t: RunToken) => ({ ...t, expiresOn: new Date(Math.floor(t.expiresOn.getTime() / 1000) * 1000) });
  expect(await vault().read(runId, GRAPH)).toEqual({ ok: true, value: asStored(graph) });
  expect(await vault().read(runId, TEAMS_ADMIN)).toEqual({ ok: true, value: asStored(teams) });

  const secrets = runSecrets(runId);
  expect(secrets.map((s) => s.exp).sort()).toEqual([teams, graph].map((t) => Math.floor(t.expiresOn.getTime() / 1000)));
  for await (const p of admin.listPropertiesOfSecrets())
    if (p.name.startsWith(runPrefix(runId))) expect(p.tags).toEqual({ run: runId, resource: expect.any(String), purpose: 'sync-token' });

  expect(await vault().read(runId, 'https://other.example')).toMatchObject({ ok: false, error: { code: 'TOKEN_MISSING' } });
  expect(await vault().read(randomUUID(), GRAPH)).toMatchObject({ ok: false, error: { code: 'TOKEN_MISSING' } });
  expect(await vault().read('not-a-run', GRAPH)).toMatchObject({ ok: false, error: { code: 'TOKEN_MISSING' } });
  await vault().deleteRun(runId);
});

test('bad input stores nothing', async () => {
  const runId = randomUUID();
  const bad: [string, RunToken[]][] = [
    ['not-a-guid', [token(GRAPH, 60_000)]],
    [runId, []],
    [runId, [token(GRAPH, 60_000), token(GRAPH, 60_000)]],
    [runId, [token(GRAPH, 60_000), token(TEAMS_ADMIN, -1000)]],
    [runId, [token(' padded ', 60_000)]],
  ];
  for (const [id, tokens] of bad)
    expect(await vault().store(id, tokens)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  expect(runSecrets(runId)).toEqual([]);
});

test('a store Key Vault refuses half-way leaves no token of the run behind', async () => {
  const runId = randomUUID();
  stack.simulator.control.injectFault({ service: 'keyVault', method: 'PUT', path: TEAMS_ADMIN, status: 403, times: 1 });
  const stored = await vault().store(runId, [token(GRAPH, 3600_000), token(TEAMS_ADMIN, 3600_000)]);
  stack.simulator.control.clearFaults();
  expect(stored).toMatchObject({ ok: false, error: { code: 'TOKEN_VAULT_UNAVAILABLE' } });
  expect(runSecrets(runId)).toEqual([]);
  for await (const d of admin.listDeletedSecrets()) expect(d.name.startsWith(runPrefix(runId))).toBe(false);
});

test('an expired token is not handed out: TOKEN_EXPIRED, from Key Vault and from our own check', async () => {
  const runId = randomUUID();
  await vault().store(runId, [token(GRAPH, 1500), token(TEAMS_ADMIN, 3600_000)]);
  // Key Vault's own answer (403 SecretExpired) once the secret's expiry passed.
  await sleep(2100);
  expect(await vault().read(runId, GRAPH)).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
  // The live service may return an expired secret anyway: the adapter checks the expiry itself.
  const later = vault(() => new Date(Date.now() + 2 * 3600_000));
  expect(await later.read(runId, TEAMS_ADMIN)).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
  expect(await vault().read(runId, TEAMS_ADMIN)).toMatchObject({ ok: true });
  await vault().deleteRun(runId);
});

test('deleteRun deletes and purges every secret of the run, and only those; a second call is fine', async () => {
  const runId = randomUUID();
  const other = randomUUID();
  await vault().store(runId, [token(GRAPH, 3600_000), token(TEAMS_ADMIN, 3600_000)]);
  await vault().store(other, [token(GRAPH, 3600_000)]);
  const names = runSecrets(runId).map((s) => s.name);
  expect(names).toHaveLength(2);

  expect(await vault().deleteRun(runId)).toBe(2);
  expect(runSecrets(runId)).toEqual([]);
  for (const name of names) expect(await isPurged(name)).toBe(true);
  expect(await vault().read(runId, GRAPH)).toMatchObject({ ok: false, error: { code: 'TOKEN_MISSING' } });
  expect(await vault().deleteRun(runId)).toBe(0);
  expect(await vault().read(other, GRAPH)).toMatchObject({ ok: true });

  // A removal interrupted between delete and purge: the next one purges what was left deleted.
  const [left] = runSecrets(other).map((s) => s.name);
  await (await admin.beginDeleteSecret(left!)).pollUntilDone();
  expect(await isPurged(left!)).toBe(false);
  expect(await vault().deleteRun(other)).toBe(1);
  expect(await isPurged(left!)).toBe(true);
});

test('purgeExpired removes the run tokens expired by then, not live ones nor other secrets', async () => {
  const soon = randomUUID();
  const later = randomUUID();
  await vault().store(soon, [token(GRAPH, 3600_000), token(TEAMS_ADMIN, 3600_000)]);
  await vault().store(later, [token(GRAPH, 3 * 3600_000)]);
  await admin.setSecret('provider-setting', 'not-a-token', { expiresOn: new Date(Date.now() - 60_000) });
  await admin.setSecret(`${runPrefix(randomUUID())}lookalike`, 'not-a-token', { expiresOn: new Date(Date.now() - 60_000) });

  expect(await vault().purgeExpired(new Date(Date.now() + 2 * 3600_000))).toBe(2);
  expect(runSecrets(soon)).toEqual([]);
  expect(runSecrets(later)).toHaveLength(1);
  const names = stack.simulator.control.secrets().map((s) => s.name);
  expect(names).toContain('provider-setting');
  expect(names.some((n) => n.endsWith('-lookalike'))).toBe(true);
  expect(await vault().purgeExpired(new Date(Date.now() + 2 * 3600_000))).toBe(0);
  await vault().deleteRun(later);
});

test('the hourly timer purgeExpiredTokens sweeps up what a crashed run left behind', async () => {
  const crashed = randomUUID();
  const running = randomUUID();
  await vault().store(crashed, [token(GRAPH, 1500)]);
  await vault().store(running, [token(GRAPH, 3600_000)]);
  const [name] = runSecrets(crashed).map((s) => s.name);
  await sleep(2100);

  await stack.host.runTimer('purgeExpiredTokens');
  expect(runSecrets(crashed)).toEqual([]);
  expect(await isPurged(name!)).toBe(true);
  expect(runSecrets(running)).toHaveLength(1);
  expect(hostLog.join('\n')).toMatch(/Purged 1 expired sync run tokens\./);
  await vault().deleteRun(running);
});

test('no token value appears in the request log, the secret list or the host log', () => {
  expect(issued.length).toBeGreaterThan(10);
  expect(hostLog.length).toBeGreaterThan(0);
  const seen = {
    requestLog: JSON.stringify(stack.simulator.control.requestLog()),
    secrets: JSON.stringify(stack.simulator.control.secrets()),
    hostLog: hostLog.join('\n'),
  };
  for (const value of issued)
    for (const [where, text] of Object.entries(seen)) expect({ where, found: text.includes(value) }).toEqual({ where, found: false });
});
