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
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Stack, startStack } from '../support/stack';
import { normalizedTenant, syncAccount, voiceUser } from '../support/sync';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ tableTraffic: true });
}, 60_000);
afterAll(() => stack?.stop());

let n = 0;
/** A fresh copy of the same generated tenant, an account on it, two mapped users, and its first sync. */
async function firstSync(crash?: number) {
  n++;
  const tenantId = `0000c0de-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const seed = generateTenant({ users: 20, seed: 77, tenantId, domain: `crash${n}.onmicrosoft.com` });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(seed);
  const accountId = `crash-${n}`;
  const t = await syncAccount(stack, accountId, { licenses: 3, tenant: { tenantId, user: 'ga1' } });
  await t.putDirectory([
    voiceUser('k1', '+14255557001', null, true, true, 'teams'),
    voiceUser('k2', '+14255557002', null, false, false, 'provider'),
  ]);
  // The same two people in every copy: picked by their UPN (the ids differ per tenant).
  const upn = new Map(stack.simulator.control.users(tenantId).map((u) => [u.id, u.userPrincipalName]));
  const [a, b] = t.free.slice().sort((x, y) => upn.get(x)!.localeCompare(upn.get(y)!));
  await t.map([
    { voiceUserId: 'k1', teamsUserId: a! },
    { voiceUserId: 'k2', teamsUserId: b! },
  ]);
  const traffic = stack.tableTraffic!;
  const before = traffic.writes('activity');
  if (crash !== undefined) traffic.failWrite('activity', crash);
  const run = await t.syncNow();
  // Each row as who, what and on which object, in terms that are the same in every copy.
  const rows = (await t.activity(run.runId))
    .map((r) => `${upn.get(r.teamsUserId)?.split('@')[0] ?? '-'} ${r.kind} ${(r.target ?? '').split(accountId).join('ACCOUNT')}`)
    .sort();
  return {
    run,
    rows,
    writes: traffic.writes('activity') - before,
    state: normalizedTenant(stack.simulator.control, t.tenantId, accountId, seed.domain),
  };
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
