/**
 * GET /activity over real HTTP: a run's entries (recorded through the real activity store) in plan order and paged;
 * the latest run when none is named; an unknown run 404; a bad run id or page size 400; an account with no run an
 * empty page.
 */
import { randomUUID } from 'node:crypto';
import { startRun } from '../../shared/domain/syncRun';
import { tableActivityLog } from '../../shared/storage/activityStore';
import { tableSyncRunStore } from '../../shared/storage/syncRunStore';
import { table } from '../../shared/storage/tables';
import { ActivityEntry } from '../../shared/sync/ports';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.stop());

async function account(accountId: string) {
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: {
      name: accountId,
      licenseCount: 3,
      globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'Gale', email: `ga-${accountId}@customer.example` },
    },
  });
  expect(res.status).toBe(201);
}

async function run(accountId: string, startedAt: Date): Promise<string> {
  const r = startRun(
    { runId: randomUUID(), accountId, trigger: 'portal', startedBy: `ga-${accountId}`, deadline: new Date(startedAt.getTime() + 3600_000) },
    startedAt,
  );
  expect((await tableSyncRunStore(table(stack.azurite.connectionString, 'syncRuns')).create(r)).ok).toBe(true);
  return r.runId;
}

const entry = (accountId: string, runId: string, n: number): ActivityEntry => ({
  accountId,
  runId,
  entryId: `${String(n).padStart(6, '0')}-00`,
  at: new Date().toISOString(),
  teamsUserId: `t${n}`,
  voiceUserIds: [`v${n}`],
  kind: n % 2 ? 'grantCallingPolicy' : 'assignNumber',
  target: n % 2 ? 'Acme-VM-MOHTEAMS' : `+1425555${String(n).padStart(4, '0')}`,
  before: null,
  after: n % 2 ? 'Acme-VM-MOHTEAMS' : `+1425555${String(n).padStart(4, '0')}`,
  result: n === 3 ? 'failed' : 'succeeded',
  clientRequestId: randomUUID(),
  requestId: null,
  error: n === 3 ? { code: 'POLICY_NOT_FOUND', message: 'The policy does not exist in the tenant yet.' } : null,
});

test("a run's activity in plan order, paged; the latest run by default; unknown and malformed runs refused", async () => {
  await account('act-1');
  const older = await run('act-1', new Date(Date.now() - 86_400_000));
  const latest = await run('act-1', new Date());
  const log = tableActivityLog(table(stack.azurite.connectionString, 'activity'));
  await log.record([entry('act-1', older, 1)]);
  await log.record(Array.from({ length: 5 }, (_, i) => entry('act-1', latest, i)));

  const first = await json(await stack.call('GET', 'accounts/act-1/activity?pageSize=2'));
  expect(first).toMatchObject({ accountId: 'act-1', runId: latest, page: 1, pageSize: 2, total: 5, totalPages: 3 });
  expect(first.entries.map((e: { teamsUserId: string }) => e.teamsUserId)).toEqual(['t0', 't1']);
  const third = await json(await stack.call('GET', 'accounts/act-1/activity?pageSize=2&page=2'));
  expect(third.entries[1]).toMatchObject({ teamsUserId: 't3', result: 'failed', error: { code: 'POLICY_NOT_FOUND' } });
  const byRun = await json(await stack.call('GET', `accounts/act-1/activity?runId=${older.toUpperCase()}`));
  expect(byRun).toMatchObject({ runId: older, total: 1 });

  const unknown = await stack.call('GET', `accounts/act-1/activity?runId=${randomUUID()}`);
  expect(unknown.status).toBe(404);
  expect(await json(unknown)).toMatchObject({ code: 'SYNC_RUN_NOT_FOUND' });
  for (const bad of ['runId=not-a-guid', 'pageSize=0', 'pageSize=201', 'extra=1']) {
    const res = await stack.call('GET', `accounts/act-1/activity?${bad}`);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ code: 'VALIDATION_FAILED' });
  }
});

test('an account with no run has an empty activity page; an unknown account 404', async () => {
  await account('act-2');
  expect(await json(await stack.call('GET', 'accounts/act-2/activity'))).toEqual({
    accountId: 'act-2',
    runId: null,
    page: 1,
    pageSize: 50,
    total: 0,
    totalPages: 0,
    entries: [],
  });
  expect((await stack.call('GET', 'accounts/act-nobody/activity')).status).toBe(404);
});
