/**
 * The post-sync verification on the local runtime: after a run that applied changes, a follow-up orchestration of its
 * own checks the users' Teams configuration (app-only) until every change shows, or its window ends. Here Teams lags on
 * purpose (the simulator holds a user's configuration as it was): one user's changes show at the first check, one's
 * at a later one, one's never. The run records the counts, the activity log when each became effective, and the
 * user never seen effective is flagged NOT_EFFECTIVE_AFTER_2H on the run's log and their mapping row. The window is
 * shortened by settings (8 s, checks every 2 s) from 2 hours and 10 minutes.
 */
import { verifyInstanceId } from '../../shared/sync/contract';
import { json, Stack, startStack } from '../support/stack';
import { Run, syncAccount, voiceUser } from '../support/sync';

let stack: Stack;
const ACCOUNT = 'verify-1';
let t: Awaited<ReturnType<typeof syncAccount>>;

beforeAll(async () => {
  stack = await startStack({ env: { SYNC_VERIFY_WINDOW_SECONDS: '8', SYNC_VERIFY_POLL_SECONDS: '2' } });
  t = await syncAccount(stack, ACCOUNT, { licenses: 8 });
}, 120_000);
afterAll(() => stack?.stop());

/** The run once its verification orchestration has ended (its timers keep it waiting while the emulator is idle). */
async function verified(runId: string): Promise<{ run: Run & { verification: Record<string, unknown> | null }; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const instance = stack.host.durable.instances.get(verifyInstanceId(ACCOUNT, runId));
    if (instance?.status === 'Completed') break;
    if (instance && instance.status !== 'Running' && instance.status !== 'Pending') throw new Error(`verification ${instance.status}`);
    if (Date.now() - t0 > 60_000) throw new Error('the verification did not end in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const ms = Date.now() - t0;
  return { run: await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-runs/${runId}`)), ms };
}

/** The run's verification once its first check is recorded. */
async function firstCheck(runId: string): Promise<Record<string, unknown>> {
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
    const run = await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-runs/${runId}`));
    if (run.verification) return run.verification;
  }
  throw new Error('no verification recorded in 30 s');
}

test('one user effective at once, one later, one never: counts on the run, times in the activity log, the flag on the mapping row', async () => {
  await t.putDirectory([
    voiceUser('w1', '+14255553001', null, true, true, 'teams'),
    voiceUser('w2', '+14255553002', null, false, true, 'teams'),
    voiceUser('w3', '+14255553003', null, true, false, 'provider'),
  ]);
  const [now, later, never] = t.free as [string, string, string];
  await t.map([
    { voiceUserId: 'w1', teamsUserId: now },
    { voiceUserId: 'w2', teamsUserId: later },
    { voiceUserId: 'w3', teamsUserId: never },
  ]);
  stack.simulator.control.holdUserConfiguration(t.tenantId, later, null);
  stack.simulator.control.holdUserConfiguration(t.tenantId, never, null);
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 9, applied: 9, failed: 0, left: 0 } });
  // The writes reached Teams for all three: only what Teams shows the users lags.
  expect([now, later, never].map((id) => t.numberOf(id))).toEqual(['+14255553001', '+14255553002', '+14255553003']);

  // After the first check, Teams catches up on `later`.
  const first = await firstCheck(run.runId);
  expect(first).toMatchObject({ status: 'verifying', users: 3, effective: 1, notEffective: 0 });
  stack.simulator.control.holdUserConfiguration(t.tenantId, later, 0);
  const { run: after } = await verified(run.runId);
  expect(after.verification).toMatchObject({ status: 'notEffective', users: 3, effective: 2, notEffective: 1 });

  const rows = (await t.activity(run.runId)) as Array<{
    teamsUserId: string;
    kind: string;
    result: string;
    at: string;
    error: { code: string } | null;
  }>;
  const effective = new Map(rows.filter((r) => r.kind === 'effective').map((r) => [r.teamsUserId, r]));
  expect(effective.size).toBe(3);
  expect(effective.get(now)).toMatchObject({ result: 'succeeded', error: null });
  expect(effective.get(later)).toMatchObject({ result: 'succeeded', error: null });
  expect(effective.get(never)).toMatchObject({ result: 'failed', error: { code: 'NOT_EFFECTIVE_AFTER_2H' } });
  // Seen effective at a later check than the user Teams did not lag on.
  expect(Date.parse(effective.get(later)!.at)).toBeGreaterThan(Date.parse(effective.get(now)!.at));

  const mapping = await t.mappingRows();
  expect(mapping.get('w3')?.lastSync).toMatchObject({ result: 'applied', notEffective: { code: 'NOT_EFFECTIVE_AFTER_2H' } });
  expect(mapping.get('w1')?.lastSync).not.toHaveProperty('notEffective');
  expect(mapping.get('w2')?.lastSync).not.toHaveProperty('notEffective');
}, 120_000);

test('every change shows: the verification ends at its first check, not at the end of its window; a run with nothing applied starts none', async () => {
  await t.putDirectory([...t.directory(), voiceUser('w4', '+14255553004', null, true, true, 'teams')]);
  await t.map([{ voiceUserId: 'w4', teamsUserId: t.free[3]! }]);
  // Teams caught up on w3's user: the plan sees it done and has w4 alone to change.
  stack.simulator.control.holdUserConfiguration(t.tenantId, t.free[2]!, 0);
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 3, applied: 3 } });
  const { run: after, ms } = await verified(run.runId);
  expect(after.verification).toMatchObject({ status: 'effective', users: 1, effective: 1, notEffective: 0 });
  expect(ms).toBeLessThan(8000);

  const idle = await t.syncNow();
  expect(idle.counts.planned).toBe(0);
  await stack.host.durable.whenIdle();
  expect(stack.host.durable.instances.get(verifyInstanceId(ACCOUNT, idle.runId))).toBeUndefined();
  expect((await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-runs/${idle.runId}`))).verification).toBeNull();
}, 120_000);
