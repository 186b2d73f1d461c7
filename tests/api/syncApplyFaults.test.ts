/**
 * Per-operation results of the sync's writes on the local runtime: Microsoft throttling a write (429 + Retry-After) is
 * retried and succeeds without a retry storm; a number change Microsoft reports failed fails that user alone; a
 * missing calling policy fails that grant alone (POLICY_NOT_FOUND); two users swapping numbers get both unassigns
 * before either assign. Failed users stay queued with their last result, the activity log says why, and the next sync
 * applies them once the cause is gone.
 */
import { json, Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

let stack: Stack;
const ACCOUNT = 'apply-faults';
let t: Awaited<ReturnType<typeof syncAccount>>;

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
  t = await syncAccount(stack, ACCOUNT, { licenses: 12 });
  expect(t.free.length).toBeGreaterThanOrEqual(6);
}, 120_000);
afterEach(() => stack.simulator.control.clearFaults());
afterAll(() => stack?.stop());

test('a throttled write is retried after Retry-After and succeeds: every user applied, one extra call', async () => {
  await t.putDirectory([
    voiceUser('f1', '+14255552001', null, true, true, 'teams'),
    voiceUser('f2', '+14255552002', null, false, true, 'teams'),
  ]);
  const [a, b] = t.free as [string, string];
  await t.map([
    { voiceUserId: 'f1', teamsUserId: a },
    { voiceUserId: 'f2', teamsUserId: b },
  ]);
  stack.simulator.control.injectFault({
    service: 'graph',
    method: 'POST',
    path: 'assignNumber',
    status: 429,
    retryAfterSeconds: 1,
    times: 1,
  });
  const writes = t.writeCalls();
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 6, applied: 6, failed: 0, left: 0 } });
  expect(t.numberOf(a)).toBe('+14255552001');
  expect(t.numberOf(b)).toBe('+14255552002');
  // 6 operations, one of them sent twice: no retry storm.
  // Two assigns, one of them sent twice; both calling policies in one assign body, two voice routing grants: no retry storm.
  const assigns = stack.simulator.control.requestLog({ service: 'graph' }).filter((r) => r.url.endsWith('/assignNumber'));
  expect(assigns.map((r) => r.status)).toEqual([429, 202, 202]);
  expect(t.writeCalls() - writes).toBe(6);
  expect(stack.simulator.control.faults()[0]?.hits).toBe(1);
}, 120_000);

test('a number change Microsoft reports failed fails that user alone; the next sync applies it', async () => {
  const [, , c, d] = t.free as [string, string, string, string];
  await t.putDirectory([
    ...t.directory(),
    voiceUser('f3', '+14255552003', null, true, true, 'teams'),
    voiceUser('f4', '+14255552004', null, true, true, 'teams'),
  ]);
  await t.map([
    { voiceUserId: 'f3', teamsUserId: c },
    { voiceUserId: 'f4', teamsUserId: d },
  ]);
  stack.simulator.control.failNextNumberOperation('+14255552003', 'The number could not be provisioned.');
  const run = await t.syncNow();
  expect(run).toMatchObject({
    status: 'PartiallySucceeded',
    counts: { planned: 6, applied: 5, failed: 1, left: 0 },
    error: { code: 'SYNC_PARTIAL' },
  });
  expect(t.numberOf(c)).toBeNull();
  expect(t.numberOf(d)).toBe('+14255552004');
  const failed = (await t.activity(run.runId)).filter((e) => e.result !== 'succeeded');
  expect(failed).toEqual([
    expect.objectContaining({
      teamsUserId: c,
      kind: 'assignNumber',
      target: '+14255552003',
      result: 'failed',
      error: expect.objectContaining({ code: 'TEAMS_WRITE_FAILED' }),
    }),
  ]);
  // Our sentence, never Microsoft's own text.
  expect(JSON.stringify(failed)).not.toContain('could not be provisioned');
  const rows = await t.mappingRows();
  expect(rows.get('f3')).toMatchObject({
    pendingState: 'pendingAdd',
    lastSync: { result: 'failed', error: { code: 'TEAMS_WRITE_FAILED' } },
  });
  expect(rows.get('f4')).toMatchObject({ pendingState: 'synced', lastSync: { result: 'applied' } });

  // The next sync does only what is missing: the number (its policies were granted already).
  const again = await t.syncNow();
  expect(again).toMatchObject({ status: 'Succeeded', counts: { planned: 1, applied: 1, failed: 0, left: 0 } });
  expect(t.numberOf(c)).toBe('+14255552003');
  expect((await t.mappingRows()).get('f3')).toMatchObject({ pendingState: 'synced', lastSync: { result: 'applied', error: null } });
}, 120_000);

test('a calling policy missing in the tenant fails that grant alone with POLICY_NOT_FOUND', async () => {
  const [, , , , e] = t.free as [string, string, string, string, string];
  // Voicemail off, forwarding off, the provider's music on hold: Graph answers that this variant does not exist.
  await t.putDirectory([...t.directory(), voiceUser('f5', '+14255552005', null, false, false, 'provider')]);
  await t.map([{ voiceUserId: 'f5', teamsUserId: e }]);
  stack.simulator.control.injectFault({
    service: 'graph',
    method: 'GET',
    path: `re:getPolicyId.*NoVMOrForward-MOHEXT`,
    status: 404,
    times: 1,
  });
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'PartiallySucceeded', counts: { planned: 3, applied: 2, failed: 1 } });
  expect(t.numberOf(e)).toBe('+14255552005');
  expect(t.policiesOf(e)).toEqual({ OnlineVoiceRoutingPolicy: `Tag:${t.prefix}` });
  const failed = (await t.activity(run.runId)).filter((x) => x.result === 'failed');
  expect(failed).toEqual([
    expect.objectContaining({ teamsUserId: e, kind: 'grantCallingPolicy', error: expect.objectContaining({ code: 'POLICY_NOT_FOUND' }) }),
  ]);
  expect((await t.mappingRows()).get('f5')).toMatchObject({ lastSync: { result: 'failed', error: { code: 'POLICY_NOT_FOUND' } } });
}, 120_000);

test('two users swap numbers: both unassigns before either assign, both applied', async () => {
  const [a, b] = t.free as [string, string];
  await t.putDirectory(
    t
      .directory()
      .map((u) => (u.id === 'f1' ? { ...u, phoneNumber: '+14255552002' } : u.id === 'f2' ? { ...u, phoneNumber: '+14255552001' } : u)),
  );
  const preview = await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`));
  expect(preview.summary.operations).toMatchObject({ unassignNumber: 2, assignNumber: 2 });
  const log = stack.simulator.control.requestLog({ service: 'graph' }).length;
  const run = await t.syncNow();
  // The four number changes, and f5's calling policy the last run could not grant.
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 5, applied: 5, failed: 0 } });
  expect(t.numberOf(a)).toBe('+14255552002');
  expect(t.numberOf(b)).toBe('+14255552001');
  const order = stack.simulator.control
    .requestLog({ service: 'graph' })
    .slice(log)
    .map((r) => r.url.split('?')[0]!)
    .filter((u) => /\/(assignNumber|unassignNumber)$/.test(u))
    .map((u) => u.split('/').pop());
  expect(order).toEqual(['unassignNumber', 'unassignNumber', 'assignNumber', 'assignNumber']);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 120_000);
