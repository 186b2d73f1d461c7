/**
 * The sync under Microsoft's throttling, on the local runtime: the simulator's buckets for the tenant are set tighter
 * than the app paces itself (Graph's Teams paths 20 a second against the app's 30, the Teams admin API 4 a second
 * against its 10), so 429s do come. The run still ends Succeeded with every user applied; no operation fails or spends
 * its attempts on throttling; every change reaches Teams exactly once (no write answered 2xx twice); and the write
 * calls the simulator saw, 429'd ones included, stay within 1.05 × the planned operations.
 */
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

const USERS = 60;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
}, 120_000);
afterAll(() => stack?.stop());

test('a throttled tenant: Succeeded, 429s counted, each change made once, write calls within 1.05 × planned', async () => {
  const control = stack.simulator.control;
  const tenantId = control.addTenant(generateTenant({ users: 2 * USERS + 50, seed: 1414 })).id;
  const t = await syncAccount(stack, 'sync-throttle', { licenses: USERS, tenant: { tenantId, user: 'ga1' } });
  expect(t.free.length).toBeGreaterThanOrEqual(USERS);
  await t.putDirectory(
    Array.from({ length: USERS }, (_, i) =>
      voiceUser(`t${i}`, `+1425556${String(i).padStart(4, '0')}`, null, i % 2 === 0, i % 3 !== 0, i % 5 < 2 ? 'provider' : 'teams'),
    ),
  );
  await t.map(t.directory().map((v, i) => ({ voiceUserId: v.id, teamsUserId: t.free[i]! })));

  control.setThrottle({
    enabled: true,
    limits: { graphTeams: { capacity: 20, perSecond: 20 }, teamsAdmin: { capacity: 4, perSecond: 4 } },
  });
  const logStart = control.requestLog().at(-1)?.seq ?? 0;
  const writesBefore = t.writeCalls();
  const run = await t.syncNow();
  const buckets = control.throttle().buckets.filter((b) => b.tenantId === tenantId);
  control.setThrottle({ enabled: false });

  const planned = 3 * USERS;
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned, applied: planned, failed: 0, left: 0 } });
  t.directory().forEach((v, i) => expect(t.numberOf(t.free[i]!)).toBe(v.phoneNumber));
  const throttled = Object.fromEntries(buckets.map((b) => [b.family, b.throttled]));
  expect(throttled.graphTeams! + throttled.teamsAdmin!).toBeGreaterThan(0);

  const writes = control
    .requestLog()
    .filter(
      (e) => e.seq > logStart && e.method !== 'GET' && /\/(assignNumber|userAssignments\/assign)$|\/Skype\.Policy\/users\//.test(e.url),
    );
  const made = (re: RegExp) => writes.filter((e) => re.test(e.url) && e.status >= 200 && e.status < 300).length;
  // Every number and voice routing grant reached Teams once; the calling policies went in bodies of up to 20 users.
  expect(made(/\/assignNumber$/)).toBe(USERS);
  expect(made(/\/Skype\.Policy\/users\//)).toBe(USERS);
  expect(writes.filter((e) => e.status === 429).length).toBe(writes.length - made(/./));
  expect(t.writeCalls() - writesBefore).toBe(writes.length);
  expect(writes.length).toBeLessThanOrEqual(1.05 * planned);
  console.log(
    `syncThrottle: ${planned} planned operations, ${writes.length} write calls (${writes.filter((e) => e.status === 429).length} answered 429); throttled per family ${JSON.stringify(throttled)}`,
  );
}, 240_000);
