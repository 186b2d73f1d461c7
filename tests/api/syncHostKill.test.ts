/**
 * The host killed during a sync (issue 14): a 500-user sync, the Functions host (a child process, as `npm start`
 * runs it) killed with SIGKILL ten times at seeded random moments and started again each time on the same Azurite.
 * The Durable emulator resumes from the task hub: the run must end Succeeded with the tenant exactly as a clean run
 * of a copy of the same tenant leaves it, and no activity row twice.
 *
 * As with the crashes of syncTenantCrashes.test.ts, the rows of work a kill interrupted after Microsoft answered may
 * be missing (the attempt run again finds the work done); the log never holds a row twice or one a clean run lacks.
 */
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { seededRandom } from '../../local/simulator/util';
import { ForkedStack, startForkedStack } from '../support/forkedHost';
import { finishedRun, normalizedTenant, syncAccount, voiceUser } from '../support/sync';
import { json } from '../support/stack';

const USERS = 500;
const KILLS = 10;
let forked: ForkedStack;

beforeAll(async () => {
  forked = await startForkedStack();
}, 60_000);
afterAll(() => forked?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh copy of the same generated tenant, an account on it with 500 mapped voice users, ready to sync. */
async function account(n: number) {
  const stack = forked.asStack();
  const tenantId = `0000dead-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const seed = generateTenant({ users: 2 * USERS + 50, seed: 14, tenantId, domain: `kill${n}.onmicrosoft.com` });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  forked.simulator.control.addTenant(seed);
  const accountId = `kill-${n}`;
  const t = await syncAccount(stack, accountId, { licenses: USERS, tenant: { tenantId, user: 'ga1' } });
  const directory = Array.from({ length: USERS }, (_, i) =>
    voiceUser(`v${i}`, `+1425555${String(i).padStart(4, '0')}`, null, i % 2 === 0, i % 3 !== 0, i % 5 < 2 ? 'provider' : 'teams'),
  );
  await t.putDirectory(directory);
  // The same people in every copy: picked by their UPN (the ids differ per tenant).
  const upn = new Map(forked.simulator.control.users(tenantId).map((u) => [u.id, u.userPrincipalName]));
  const people = t.free.slice().sort((x, y) => upn.get(x)!.localeCompare(upn.get(y)!));
  if (people.length < USERS) throw new Error(`only ${people.length} free eligible users`);
  for (let i = 0; i < USERS; i += 99) {
    await t.map(directory.slice(i, i + 99).map((v, j) => ({ voiceUserId: v.id, teamsUserId: people[i + j]! })));
  }
  const status = async () =>
    ((await json(await stack.call('GET', `accounts/${accountId}/sync-runs`))).runs[0]?.status ?? null) as string | null;
  const finish = async () => {
    const run = await finishedRun(stack, accountId, 240_000);
    const rows = (await t.allActivity(run.runId))
      .map((r) => `${upn.get(r.teamsUserId)?.split('@')[0] ?? '-'} ${r.kind} ${(r.target ?? '').split(accountId).join('ACCOUNT')}`)
      .sort();
    return { run, rows, state: normalizedTenant(forked.simulator.control, tenantId, accountId, seed.domain) };
  };
  return { t, status, finish };
}

// Run by `npm run test:host-kill` (HOST_KILL_TEST=1): after the last merges of 2026-12-02 it ran past its 300 s
// budget in the full run (alone it took ~60 s before them); open in issue 14, and said so on every default run.
const hostKill = process.env.HOST_KILL_TEST === '1' ? test : test.skip;
if (process.env.HOST_KILL_TEST !== '1')
  console.warn('syncHostKill: skipped in the default run (too slow since the last merges; open in issue 14): npm run test:host-kill');

hostKill(
  'a 500-user sync whose host is killed ten times ends like a clean run',
  async () => {
    const t0 = Date.now();
    const clean = await account(1);
    await clean.t.startSync();
    const reference = await clean.finish();
    expect(reference.run).toMatchObject({ status: 'Succeeded', counts: { failed: 0, left: 0 } });
    expect(reference.run.counts.applied).toBeGreaterThanOrEqual(USERS);
    const cleanSeconds = (Date.now() - t0) / 1000;

    const killed = await account(2);
    await killed.t.startSync();
    const random = seededRandom(14); // the same kill moments on every run
    let killsWhileRunning = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      // Long enough for the restarted host to get somewhere, short enough that ten kills fall inside the run.
      await sleep(300 + Math.floor(random() * 1200));
      if ((await killed.status()) === 'Running') killsWhileRunning++;
      await forked.kill();
      await forked.start();
    }
    const result = await killed.finish();
    console.log(
      `clean set-up and run ${cleanSeconds.toFixed(1)} s; killed run and its ${KILLS} restarts ${((Date.now() - t0) / 1000 - cleanSeconds).toFixed(1)} s`,
    );

    expect(killsWhileRunning).toBe(KILLS);
    // Every restart found the run's orchestrations in the task hub and went on from there.
    expect(forked.resumes()).toBe(KILLS);
    expect({ status: result.run.status, counts: result.run.counts }).toEqual({ status: 'Succeeded', counts: reference.run.counts });
    expect(result.state).toBe(reference.state);
    expect(new Set(result.rows).size).toBe(result.rows.length);
    expect(reference.rows).toEqual(expect.arrayContaining(result.rows));
    expect(forked.simulator.control.contractViolations()).toEqual([]);
  },
  300_000,
);
