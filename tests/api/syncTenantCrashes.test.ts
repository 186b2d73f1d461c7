/**
 * Crashes around the tenant-configuration activities: each activity that changes the tenant's own objects (the trunk
 * step, the policies, the clean-up) calls Microsoft and then records what it did in the activity log. Here the record
 * of each of them, in turn, fails once (storage answers 400, as if the host had died between Microsoft's answer and
 * the write), so the activity runs again from its retry. Every case must end like a clean run: the run Succeeded, the
 * same tenant (objects, grants, numbers, domains, users, DNS), no activation user left, no activity row twice.
 *
 * Known gap (issue 14): the rows of the attempt that crashed are lost with it — the retry finds the work done and has
 * nothing to record — so the log of such a run may lack rows of a clean run; it never holds a row twice or an extra one.
 */
import { Stack, startStack } from '../support/stack';
import { tenantCopy } from '../support/tenantCopies';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ tableTraffic: true });
}, 60_000);
afterAll(() => stack?.stop());

/** A fresh copy of the same tenant with its two mapped users, and its first sync. */
async function firstSync(crash?: number) {
  const t = await tenantCopy(stack, 'crash');
  const traffic = stack.tableTraffic!;
  const before = traffic.writes('activity');
  if (crash !== undefined) traffic.failWrite('activity', crash);
  const run = await t.syncNow();
  const rows = t.sameRows(await t.activity(run.runId)).map((r) => r.split(' ').slice(0, 3).join(' ').trim());
  return { run, rows, writes: traffic.writes('activity') - before, state: t.normalized() };
}

test('a crash between Microsoft and each tenant-configuration record ends like a clean run', async () => {
  // The first clean run also creates the tables; the second one is the reference.
  await firstSync();
  const clean = await firstSync();
  expect(clean.run.status).toBe('Succeeded');
  // The trunk step, the policies and the users' chunk each record once.
  expect(clean.writes).toBeGreaterThanOrEqual(3);

  for (let crash = 1; crash <= clean.writes; crash++) {
    const c = await firstSync(crash);
    expect({ crash, status: c.run.status, counts: c.run.counts }).toEqual({ crash, status: 'Succeeded', counts: clean.run.counts });
    expect(c.state).toBe(clean.state);
    // The fault did fire, at that write.
    expect(stack.tableTraffic!.injected()).toBe(crash);
    // No row twice and none a clean run does not have (see the known gap above).
    expect(new Set(c.rows).size).toBe(c.rows.length);
    expect(clean.rows).toEqual(expect.arrayContaining(c.rows));
  }
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 300_000);
