/**
 * The token window, end to end: a sync whose sign-in runs out in the middle of the apply stops cleanly as Expired.
 * What was applied stays applied (Teams and the applied mapping), what is left stays queued, the tokens are deleted,
 * the email says to sign in again; the next sync applies only what is left, and over both runs no operation was done
 * twice.
 *
 * How the window closes mid-apply, without racing the clock: the sign-in's tokens live 5 minutes + WINDOW_S (so the
 * deadline, 5 minutes before expiry, is WINDOW_S after the sign-in) and the first Teams admin grants of the apply take
 * GRANT_DELAY_S, longer than the window. The first wave of chunks (4 × 40 users, one of them already in sync) is
 * under way when the deadline passes, so it finishes and commits; the fifth chunk never starts.
 */
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { json, Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

const WINDOW_S = 15;
const GRANT_DELAY_S = 25;
const USERS = 170; // five chunks of 40: a first wave of four, then one
const ACCOUNT = 'expired-1';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.stop());

test('a window that closes mid-apply: Expired, the applied users keep their state, the next sync finishes the rest, nothing done twice', async () => {
  const tenantId = '0000e0e0-0000-4000-8000-000000000001';
  const seed = generateTenant({ users: 420, seed: 5, tenantId, domain: 'expired.onmicrosoft.com' });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  const control = stack.simulator.control;
  control.addTenant(seed);
  const t = await syncAccount(stack, ACCOUNT, { licenses: USERS + 1, tenant: { tenantId, user: 'ga1' } });
  expect(t.free.length).toBeGreaterThanOrEqual(USERS + 1);

  // A first sync of one user sets up the tenant (trunk, policies), so the second one is all apply.
  const directory = Array.from({ length: USERS + 1 }, (_, i) =>
    voiceUser(`e${i}`, `+1425556${String(1000 + i).padStart(4, '0')}`, null, i % 2 === 0, i % 3 === 0, i % 2 ? 'teams' : 'provider'),
  );
  await t.putDirectory(directory);
  await t.map([{ voiceUserId: 'e0', teamsUserId: t.free[0]! }]);
  expect((await t.syncNow()).status).toBe('Succeeded');
  const rest = directory.slice(1).map((v, i) => ({ voiceUserId: v.id, teamsUserId: t.free[i + 1]! }));
  await t.map(rest.slice(0, 99));
  await t.map(rest.slice(99));

  control.setNumberOperationPolls(1);
  control.setTokenLifetime(300 + WINDOW_S);
  control.injectFault({ service: 'teams', path: '/Skype.Policy/users/', latencyMs: GRANT_DELAY_S * 1000, times: 2 });
  const expired = await t.syncNow();
  control.setTokenLifetime('random');
  control.clearFaults();

  expect(expired.status).toBe('Expired');
  expect(expired.error).toMatchObject({ code: 'SYNC_EXPIRED' });
  // The first wave (four chunks, about 160 users × 3 operations) applied, the fifth chunk left untouched.
  const { applied: appliedOps, left } = expired.counts;
  expect(expired.counts).toEqual({ planned: USERS * 3, applied: appliedOps, failed: 0, left: USERS * 3 - appliedOps });
  expect(appliedOps % 3).toBe(0);
  expect(appliedOps).toBeGreaterThanOrEqual(150 * 3);
  expect(left).toBeGreaterThan(0);
  const holding = rest.filter((r) => t.numberOf(r.teamsUserId) !== null);
  expect(holding).toHaveLength(appliedOps / 3);
  for (const r of holding) expect(t.numberOf(r.teamsUserId)).toBe(directory.find((v) => v.id === r.voiceUserId)!.phoneNumber);

  // The applied mapping: the applied users are in sync, the others still queued (to add).
  const states = new Map<string, string>();
  for (const n of [1, 2]) {
    const page = await json(await stack.call('GET', `accounts/${ACCOUNT}/mapping?pageSize=100&page=${n}`));
    for (const r of page.rows as Array<{ voiceUser: { id: string }; pendingState: string }>) states.set(r.voiceUser.id, r.pendingState);
  }
  const applied = new Set(holding.map((r) => r.voiceUserId));
  for (const r of rest)
    expect([r.voiceUserId, states.get(r.voiceUserId)]).toEqual([r.voiceUserId, applied.has(r.voiceUserId) ? 'synced' : 'pendingAdd']);

  // The tokens are gone; the Global Admin is told to sign in again.
  expect(control.secrets().filter((s) => s.name.includes(expired.runId))).toEqual([]);
  await stack.deliverEmails();
  const mail = control.mailbox().find((m) => m.subject.includes('did not finish in time') && m.plainText?.includes(expired.runId));
  expect(mail?.plainText).toContain('Sign in again to finish');

  // The next sync applies what is left, and only that.
  const finish = await t.syncNow();
  expect(finish).toMatchObject({ status: 'Succeeded', counts: { planned: left, applied: left, failed: 0, left: 0 } });
  for (const r of rest) expect(t.numberOf(r.teamsUserId)).toBe(directory.find((v) => v.id === r.voiceUserId)!.phoneNumber);

  // Over both runs, each user's each operation succeeded once.
  const done = [...(await t.allActivity(expired.runId)), ...(await t.allActivity(finish.runId))]
    .filter((e) => e.result === 'succeeded')
    .map((e) => `${e.teamsUserId} ${e.kind}`);
  expect(done).toHaveLength(USERS * 3);
  expect(new Set(done).size).toBe(done.length);
}, 180_000);
