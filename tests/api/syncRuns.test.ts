/**
 * Sync runs as data, over real HTTP on Azurite: runs are seeded through the real store (the engine that writes them
 * is built elsewhere), then read through /sync-runs and /status.
 */
import { randomUUID } from 'node:crypto';
import { accountAfterRun, advanceRun, finishRun, startRun, SyncRun } from '../../shared/domain/syncRun';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableSyncRunStore } from '../../shared/storage/syncRunStore';
import { table } from '../../shared/storage/tables';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
let runs: ReturnType<typeof tableSyncRunStore>;
let accounts: ReturnType<typeof tableAccountStore>;

const A = 'runs-a';
const B = 'runs-b';
const ADMIN_A = { id: 'admin-a', role: 'admin' as const, account: A };
const ADMIN_B = { id: 'admin-b', role: 'admin' as const, account: B };
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

async function enable(accountId: string): Promise<void> {
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: 'Runs', licenseCount: 2, globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'GA', email: 'ga@runs.example' } },
  });
  expect(put.status).toBe(201);
}

/** A run started `minutes` after T0 and finished a minute later with `status`. */
async function seed(accountId: string, minutes: number, status: SyncRun['status'] = 'Succeeded'): Promise<SyncRun> {
  let run = startRun(
    { runId: randomUUID(), accountId, trigger: 'portal', startedBy: `ga-${accountId}`, deadline: at(minutes + 55) },
    at(minutes),
  );
  if (status !== 'Running') {
    const finished = finishRun(run, { status, counts: { planned: 2, applied: 2, failed: 0, left: 0 } }, at(minutes + 1));
    if (!finished.ok) throw new Error(finished.error.code);
    run = finished.value;
  }
  const created = await runs.create(run);
  if (!created.ok) throw new Error(created.error.code);
  return run;
}

const list = async (query = '', accountId = A) => {
  const res = await stack.call('GET', `accounts/${accountId}/sync-runs${query}`);
  expect(res.status).toBe(200);
  return json(res);
};
const problemOf = async (res: Response) => ({ status: res.status, ...(await json(res)) });

let seeded: SyncRun[];
let foreign: SyncRun;

beforeAll(async () => {
  stack = await startStack();
  runs = tableSyncRunStore(table(stack.azurite.connectionString, 'syncRuns'));
  accounts = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  await enable(A);
  await enable(B);
  // Written out of order: the listing must not depend on the order of writes.
  seeded = [];
  for (const minutes of [30, 10, 50, 20, 40]) seeded.push(await seed(A, minutes, minutes === 20 ? 'Failed' : 'Succeeded'));
  foreign = await seed(B, 60);
}, 60_000);
afterAll(() => stack?.stop());

const newestFirst = () => [...seeded].sort((x, y) => Date.parse(y.startedAt) - Date.parse(x.startedAt)).map((r) => r.runId);

test("an account's runs are listed newest first, paged", async () => {
  const all = await list();
  expect(all).toMatchObject({ accountId: A, page: 1, pageSize: 20, total: 5, totalPages: 1 });
  expect(all.runs.map((r: SyncRun) => r.runId)).toEqual(newestFirst());

  const pages = [await list('?pageSize=2'), await list('?pageSize=2&page=2'), await list('?pageSize=2&page=3')];
  expect(pages.map((p) => p.totalPages)).toEqual([3, 3, 3]);
  expect(pages.flatMap((p) => p.runs.map((r: SyncRun) => r.runId))).toEqual(newestFirst());
  expect((await list('?pageSize=2&page=4')).runs).toEqual([]);
});

test("another account's runs are never visible, and an admin of another account is refused", async () => {
  expect((await list()).runs.map((r: SyncRun) => r.runId)).not.toContain(foreign.runId);
  expect((await list('', B)).runs.map((r: SyncRun) => r.runId)).toEqual([foreign.runId]);
  const other = await problemOf(await stack.call('GET', `accounts/${A}/sync-runs/${foreign.runId}`));
  expect(other).toMatchObject({ status: 404, code: 'SYNC_RUN_NOT_FOUND' });

  expect((await stack.call('GET', `accounts/${A}/sync-runs`, { actor: ADMIN_A })).status).toBe(200);
  for (const route of [`accounts/${A}/sync-runs`, `accounts/${A}/sync-runs/${seeded[0].runId}`]) {
    expect(await problemOf(await stack.call('GET', route, { actor: ADMIN_B }))).toMatchObject({ status: 403, code: 'FORBIDDEN_ACCOUNT' });
  }
  const user = { id: 'u', role: 'user' as const, account: A };
  expect(await problemOf(await stack.call('GET', `accounts/${A}/sync-runs`, { actor: user }))).toMatchObject({
    status: 403,
    code: 'FORBIDDEN_ROLE',
  });
});

test('one run is read by its id', async () => {
  const failed = seeded.find((r) => r.status === 'Failed') as SyncRun;
  const one = await json(await stack.call('GET', `accounts/${A}/sync-runs/${failed.runId}`, { actor: ADMIN_A }));
  expect(one).toEqual({
    runId: failed.runId,
    accountId: A,
    trigger: 'portal',
    startedBy: `ga-${A}`,
    startedAt: at(20).toISOString(),
    finishedAt: at(21).toISOString(),
    status: 'Failed',
    stage: 'preflight',
    counts: { planned: 2, applied: 2, failed: 0, left: 0 },
    deadline: at(75).toISOString(),
    error: null,
    verification: null,
  });
  // A GUID in upper case names the same run.
  expect(await json(await stack.call('GET', `accounts/${A}/sync-runs/${failed.runId.toUpperCase()}`))).toEqual(one);
});

test('an unknown run is 404 SYNC_RUN_NOT_FOUND, a malformed id 400, an unknown account 404', async () => {
  expect(await problemOf(await stack.call('GET', `accounts/${A}/sync-runs/${randomUUID()}`))).toMatchObject({
    status: 404,
    code: 'SYNC_RUN_NOT_FOUND',
  });
  for (const bad of ['not-a-guid', "x' or runId ne '", '1'.repeat(36)]) {
    const res = await problemOf(await stack.call('GET', `accounts/${A}/sync-runs/${encodeURIComponent(bad)}`));
    expect(res).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'runId' }] });
  }
  expect(await problemOf(await stack.call('GET', `accounts/nobody/sync-runs`))).toMatchObject({ status: 404, code: 'ACCOUNT_NOT_FOUND' });
  expect(await problemOf(await stack.call('GET', `accounts/nobody/sync-runs/${randomUUID()}`))).toMatchObject({
    status: 404,
    code: 'ACCOUNT_NOT_FOUND',
  });
  for (const query of ['?pageSize=0', '?page=x', '?sort=asc', '?page=1&page=2']) {
    expect({ query, ...(await problemOf(await stack.call('GET', `accounts/${A}/sync-runs${query}`))) }).toMatchObject({
      query,
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
});

test('/status shows the running run with its stage and counts, then the last result once it finished', async () => {
  const idle = await json(await stack.call('GET', `accounts/${B}/status`));
  expect(idle).toMatchObject({ runningRunId: null, runningRun: null, lastSync: null });

  const run = await seed(B, 120, 'Running');
  const applying = advanceRun(run, 'apply', { planned: 3, applied: 1, left: 2 });
  if (!applying.ok) throw new Error(applying.error.code);
  const stored = await runs.get(B, run.runId);
  expect((await runs.update(B, run.runId, applying.value, stored?.etag)).ok).toBe(true);

  const status = await json(await stack.call('GET', `accounts/${B}/status`, { actor: ADMIN_B }));
  expect(status).toMatchObject({
    runningRunId: run.runId,
    runningRun: {
      runId: run.runId,
      stage: 'apply',
      startedAt: run.startedAt,
      deadline: run.deadline,
      counts: { planned: 3, applied: 1, failed: 0, left: 2 },
    },
  });
  expect((await list('', B)).runs[0]).toMatchObject({ runId: run.runId, status: 'Running', stage: 'apply' });

  // The finish step: the run, then the account it finished.
  const current = await runs.get(B, run.runId);
  const done = finishRun(current!.run, { status: 'Succeeded', counts: { applied: 3, left: 0 } }, at(125));
  if (!done.ok) throw new Error(done.error.code);
  expect((await runs.update(B, run.runId, done.value, current!.etag)).ok).toBe(true);
  const account = (await accounts.get(B))!;
  const after = accountAfterRun(account.account, done.value);
  if (!after.ok) throw new Error(after.error.code);
  expect((await accounts.save(after.value, account.etag, [])).ok).toBe(true);

  const finished = await json(await stack.call('GET', `accounts/${B}/status`));
  expect(finished).toMatchObject({
    runningRunId: null,
    runningRun: null,
    lastSync: { at: at(125).toISOString(), status: 'Succeeded' },
  });
});

test('updates are ETag-conditional: a write based on an older read loses with CONCURRENT_UPDATE', async () => {
  const run = await seed(A, 200, 'Running');
  const read = (await runs.get(A, run.runId))!;
  const first = await runs.update(A, run.runId, { stage: 'discovery' }, read.etag);
  expect(first.ok).toBe(true);
  const stale = await runs.update(A, run.runId, { stage: 'plan' }, read.etag);
  expect(stale).toMatchObject({ ok: false, error: { code: 'CONCURRENT_UPDATE' } });
  expect((await runs.get(A, run.runId))!.run.stage).toBe('discovery');
  expect(await runs.update(A, randomUUID(), { stage: 'plan' })).toMatchObject({ ok: false, error: { code: 'SYNC_RUN_NOT_FOUND' } });
  expect((await runs.create(run)).ok).toBe(false);
  expect((await runs.running(A))?.runId).toBe(run.runId);
});
