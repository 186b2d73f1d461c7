/**
 * The sync run over the local stack: startSync (built from the stack's settings as the container builds it, with the
 * Durable emulator as the orchestration client) on an activated account, then the syncTenant orchestration on the
 * local host: preflight → discovery → the empty stages of this issue → finish. Afterwards the run is visible through
 * the API and the Key Vault simulator holds none of its tokens; the history and custom status hold no token.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../shared/config';
import { tokenVaultFor } from '../../shared/container';
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { OrchestrationClient } from '../../shared/discovery/ports';
import { durableOrchestrationClient } from '../../shared/durable/orchestrationClient';
import { fail } from '../../shared/domain/errors';
import { DEADLINE_SAFETY_MARGIN_MS } from '../../shared/domain/syncRun';
import { runPrefix } from '../../shared/keyVault/secretNames';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableSyncRunStore } from '../../shared/storage/syncRunStore';
import { table } from '../../shared/storage/tables';
import { SYNC_RESOURCES, syncInstanceId } from '../../shared/sync/contract';
import { startSync, StartSyncRequest } from '../../shared/sync/startSync';
import { RunToken } from '../../shared/sync/tokenVault';
import { enableAccount, enableAndActivate } from '../support/activate';
import { DEMO_TENANT_ID } from '../../local/simulator';
import { SYNC_GRAPH_SCOPES } from '../../shared/microsoft/entraSignIn';
import { delegatedTokens } from '../support/delegatedTokens';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
/** Every token value handed to startSync, for the scans. */
const issued: string[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The orchestration client the app uses: a real DurableClient on the binding data the host gives its functions. */
function orchestrations(): OrchestrationClient {
  const { DurableClient } = require('durable-functions/lib/src/durableClient/DurableClient');
  return durableOrchestrationClient(new DurableClient(stack.host.durableClientData));
}

/**
 * An active account on a generated tenant of its own (one tenant belongs to one account, and the demo tenant is
 * taken by the account activated through the browser flow): created through the API, then bound and activated.
 */
let seed = 900;
async function activeAccount(accountId: string): Promise<void> {
  const tenant = generateTenant({ users: 6, seed: seed++ });
  tenant.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(tenant);
  tenantOf.set(accountId, { tenantId: tenant.id, user: 'ga1' });
  const ga = { portalUserId: `ga-${accountId}`, displayName: 'Gale Admin', email: `ga-${accountId}@customer.example` };
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: `Account ${accountId}`, licenseCount: 3, globalAdmin: ga, tenantId: tenant.id },
  });
  expect(res.status).toBe(201);
  const store = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const { account: a, etag } = (await store.get(accountId))!;
  const saved = await store.save({ ...a, state: 'active', tenantBound: true, actionNeeded: 'none', version: a.version + 1 }, etag, []);
  expect(saved.ok).toBe(true);
}

function deps() {
  const config = loadConfig(process.env);
  const storage = stack.azurite.connectionString;
  return {
    accounts: tableAccountStore(table(storage, 'accounts')),
    syncRuns: tableSyncRunStore(table(storage, 'syncRuns')),
    tokens: tokenVaultFor(config, { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET! }, () => new Date()),
    orchestrations: orchestrations(),
    now: () => new Date(),
  };
}

/** The Global Admin's real delegated tokens per account (the run's stages call Microsoft with them). */
const tenantOf = new Map<string, { tenantId: string; user: string }>();
const signedIn = new Map<string, { graph: string; teams: string }>();

async function token(accountId: string, resource: string, expiresInMs = 3600_000): Promise<RunToken> {
  const signer = tenantOf.get(accountId);
  let tokens = signedIn.get(accountId);
  // An account on no tenant of ours never gets a run that calls Microsoft: any token-shaped value does.
  const fake = () => `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
  if (!tokens)
    tokens = signer ? await delegatedTokens(stack, signer.tenantId, signer.user, SYNC_GRAPH_SCOPES) : { graph: fake(), teams: fake() };
  signedIn.set(accountId, tokens);
  const accessToken = resource === SYNC_RESOURCES[0] ? tokens.graph : tokens.teams;
  issued.push(accessToken);
  return { resource, accessToken, expiresOn: new Date(Date.now() + expiresInMs) };
}

const tokensOf = (accountId: string, expiresInMs?: number) => Promise.all(SYNC_RESOURCES.map((r) => token(accountId, r, expiresInMs)));

const request = async (accountId: string, tokens?: RunToken[]): Promise<StartSyncRequest> => ({
  accountId,
  trigger: 'portal',
  startedBy: `ga-${accountId}`,
  tokens: tokens ?? (await tokensOf(accountId)),
});

const runSecrets = (runId: string) => stack.simulator.control.secrets().filter((s) => s.name.startsWith(runPrefix(runId)));
const allRunSecrets = () => stack.simulator.control.secrets().filter((s) => s.name.startsWith('sync-'));
const runOf = async (accountId: string, runId: string) => json(await stack.call('GET', `accounts/${accountId}/sync-runs/${runId}`));
const status = async (accountId: string) => json(await stack.call('GET', `accounts/${accountId}/status`));

async function started(accountId: string, req?: StartSyncRequest): Promise<string> {
  const outcome = await startSync(deps(), req ?? (await request(accountId)));
  if (!outcome.ok) throw new Error(`startSync refused: ${outcome.error.code}`);
  return outcome.value.runId;
}

async function finished(accountId: string, runId: string) {
  for (let i = 0; i < 200; i++) {
    const run = await runOf(accountId, runId);
    if (run.status !== 'Running' && !(await orchestrations().isRunning(syncInstanceId(accountId)))) return run;
    await sleep(100);
  }
  throw new Error('the run did not finish');
}

test('an activated account syncs: Running → Succeeded with zero counts, visible in the API, and no token left', async () => {
  const accountId = 'sync-ok';
  await enableAndActivate(stack, accountId, 3);
  tenantOf.set(accountId, { tenantId: DEMO_TENANT_ID, user: 'megan.bowen' });
  const runId = await started(accountId);
  expect(runSecrets(runId)).toHaveLength(SYNC_RESOURCES.length);
  expect(await runOf(accountId, runId)).toMatchObject({ runId, status: 'Running', trigger: 'portal', startedBy: `ga-${accountId}` });

  const run = await finished(accountId, runId);
  expect(run).toMatchObject({
    status: 'Succeeded',
    stage: 'finish',
    counts: { planned: 0, applied: 0, failed: 0, left: 0 },
    error: null,
    finishedAt: expect.any(String),
  });
  const listed = await json(await stack.call('GET', `accounts/${accountId}/sync-runs`));
  expect(listed.runs.map((r: { runId: string }) => r.runId)).toEqual([runId]);
  const after = await status(accountId);
  expect(after).toMatchObject({ state: 'active', runningRunId: null, lastSync: { at: run.finishedAt, status: 'Succeeded' } });
  expect(runSecrets(runId)).toEqual([]);

  const instance = stack.host.durable.instances.get(syncInstanceId(accountId))!;
  expect(instance.status).toBe('Completed');
  expect(instance.customStatus).toEqual({ runId, stage: 'finish', counts: { planned: 0, applied: 0, failed: 0, left: 0 } });
  // The run's discovery ran as its sub-orchestration.
  expect(stack.host.durable.instances.get(`sync-${accountId}-discovery-${runId}`)?.status).toBe('Completed');
  expect((await json(await stack.call('GET', `accounts/${accountId}`))).discovery).toMatchObject({ status: 'succeeded' });
});

test('a second start while a run runs answers SYNC_RUNNING with the running run, and stores nothing', async () => {
  const accountId = 'sync-twice';
  await activeAccount(accountId);
  // Graph's users page hangs a moment: the first run is still in its discovery when the second start comes.
  stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: 3000, times: 1 });
  const first = await started(accountId);
  await sleep(300);
  const secretsBefore = allRunSecrets().length;
  const second = await startSync(deps(), await request(accountId));
  expect(second).toMatchObject({ ok: false, error: { code: 'SYNC_RUNNING', details: { runId: first } } });
  expect(allRunSecrets()).toHaveLength(secretsBefore);
  const listed = await json(await stack.call('GET', `accounts/${accountId}/sync-runs`));
  expect(listed.total).toBe(1);
  expect((await status(accountId)).runningRunId).toBe(first);

  expect(await finished(accountId, first)).toMatchObject({ status: 'Succeeded' });
  expect(runSecrets(first)).toEqual([]);
});

test('an account that is not active cannot sync: SYNC_NOT_AVAILABLE, nothing stored', async () => {
  const accountId = 'sync-invited';
  await enableAccount(stack, accountId, 3);
  const secretsBefore = allRunSecrets().length;
  const outcome = await startSync(deps(), await request(accountId));
  expect(outcome).toMatchObject({ ok: false, error: { code: 'SYNC_NOT_AVAILABLE' } });
  expect(allRunSecrets()).toHaveLength(secretsBefore);
  expect((await json(await stack.call('GET', `accounts/${accountId}/sync-runs`))).total).toBe(0);
  expect(await startSync(deps(), await request('sync-nobody'))).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } });
});

test('tokens too close to their expiry are refused before anything is stored', async () => {
  const accountId = 'sync-short';
  await activeAccount(accountId);
  const secretsBefore = allRunSecrets().length;
  const outcome = await startSync(deps(), await request(accountId, await tokensOf(accountId, DEADLINE_SAFETY_MARGIN_MS - 1000)));
  expect(outcome).toMatchObject({ ok: false, error: { code: 'SYNC_WINDOW_TOO_SHORT' } });
  expect(allRunSecrets()).toHaveLength(secretsBefore);
  expect((await json(await stack.call('GET', `accounts/${accountId}/sync-runs`))).total).toBe(0);
});

test('a token missing in the vault at preflight fails the run with its code, and the others are deleted', async () => {
  const accountId = 'sync-missing';
  await activeAccount(accountId);
  // Only the Graph token: the Teams admin API's is missing.
  const runId = await started(accountId, await request(accountId, [await token(accountId, SYNC_RESOURCES[0])]));
  expect(runSecrets(runId)).toHaveLength(1);
  const run = await finished(accountId, runId);
  expect(run).toMatchObject({ status: 'Failed', stage: 'preflight', error: { code: 'TOKEN_MISSING' } });
  expect(runSecrets(runId)).toEqual([]);
  expect((await status(accountId)).lastSync).toEqual({ at: run.finishedAt, status: 'Failed' });
  expect(stack.host.durable.instances.get(syncInstanceId(accountId))?.customStatus).toMatchObject({ runId, stage: 'preflight' });
});

test('a deadline that passes during the run ends it Expired at the next stage, tokens deleted', async () => {
  const accountId = 'sync-late';
  await activeAccount(accountId);
  // The window closes 2 s after the start; Graph's users page takes 3 s, so the discovery ends past the deadline.
  const tokens = await tokensOf(accountId, DEADLINE_SAFETY_MARGIN_MS + 2000);
  stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: 3000, times: 1 });
  const runId = await started(accountId, await request(accountId, tokens));
  const run = await finished(accountId, runId);
  expect(run).toMatchObject({ status: 'Expired', stage: 'discovery', error: { code: 'SYNC_EXPIRED' } });
  expect(runSecrets(runId)).toEqual([]);
  expect((await status(accountId)).lastSync).toMatchObject({ status: 'Expired' });
});

test('no token value is in any sync orchestration history, input, output or custom status', async () => {
  await stack.host.durable.whenIdle();
  const instances = [...stack.host.durable.instances.values()].filter((i) => i.instanceId.startsWith('sync-'));
  expect(instances.length).toBeGreaterThan(0);
  const text = JSON.stringify(instances.map((i) => ({ input: i.input, history: i.history, customStatus: i.customStatus, output: i })));
  expect(issued.length).toBeGreaterThan(0);
  for (const value of issued) expect(text).not.toContain(value);
  expect(allRunSecrets()).toEqual([]);
});

/** deps() whose vault reports the run id it stores tokens for (startSync picks it). */
function watched(overrides: Partial<ReturnType<typeof deps>> = {}) {
  const d = { ...deps(), ...overrides };
  const runIds: string[] = [];
  const store = d.tokens.store.bind(d.tokens);
  d.tokens = { ...d.tokens, store: (runId, tokens) => (runIds.push(runId), store(runId, tokens)) };
  return { deps: d, runIds };
}
const never = <T>() => new Promise<T>(() => undefined);

test('the host killed between the vault write and the run start leaves no token behind after the hourly sweep', async () => {
  const accountId = 'sync-crash';
  await activeAccount(accountId);
  await activeAccount('sync-crash-2');
  // The tokens expire 1.5 s from now; startSync's clock runs behind by the safety margin so it accepts them.
  const behind = () => new Date(Date.now() - DEADLINE_SAFETY_MARGIN_MS);
  const tokens = (id: string) => tokensOf(id, 1500);
  // Crash 1: before the run is recorded. Crash 2: recorded, but the orchestration never started. Nothing after the
  // crash point runs (the promise never settles), so startSync's own rollback does not either.
  const beforeRecord = watched({ now: behind, syncRuns: { ...deps().syncRuns, create: never } });
  void startSync(beforeRecord.deps, await request(accountId, await tokens(accountId)));
  const beforeStart = watched({ now: behind, orchestrations: { ...orchestrations(), start: never } });
  void startSync(beforeStart.deps, await request('sync-crash-2', await tokens('sync-crash-2')));
  for (let i = 0; i < 100 && (beforeRecord.runIds.length + beforeStart.runIds.length < 2 || allRunSecrets().length < 4); i++)
    await sleep(20);
  const crashed = [...beforeRecord.runIds, ...beforeStart.runIds];
  expect(crashed).toHaveLength(2);
  for (const runId of crashed) expect(runSecrets(runId)).toHaveLength(SYNC_RESOURCES.length);

  await sleep(2100);
  await stack.host.runTimer('purgeExpiredTokens');
  for (const runId of crashed) expect(runSecrets(runId)).toEqual([]);
});

test('startSync rolls back: a run record that cannot be written, or an orchestration that cannot start, leaves no token', async () => {
  const accountId = 'sync-rollback';
  await activeAccount(accountId);
  const base = deps();
  const refused = watched({
    syncRuns: { ...base.syncRuns, create: async () => Promise.resolve(fail('SYNC_RUNNING', 'a run is recorded')) },
  });
  expect(await startSync(refused.deps, await request(accountId))).toMatchObject({ ok: false, error: { code: 'SYNC_RUNNING' } });
  const thrown = watched({ syncRuns: { ...base.syncRuns, create: async () => Promise.reject(new Error('storage down')) } });
  await expect(startSync(thrown.deps, await request(accountId))).rejects.toThrow('storage down');
  const notStarted = watched({ orchestrations: { ...orchestrations(), start: async () => Promise.reject(new Error('hub down')) } });
  expect(await startSync(notStarted.deps, await request(accountId))).toMatchObject({ ok: false, error: { code: 'SYNC_START_FAILED' } });

  const runIds = [...refused.runIds, ...thrown.runIds, ...notStarted.runIds];
  expect(runIds).toHaveLength(3);
  for (const runId of runIds) expect(runSecrets(runId)).toEqual([]);
  expect(await runOf(accountId, notStarted.runIds[0]!)).toMatchObject({ status: 'Failed', error: { code: 'SYNC_START_FAILED' } });
});
