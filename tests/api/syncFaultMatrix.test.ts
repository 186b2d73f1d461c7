/**
 * The sync's fault matrix. The boundaries come from the orchestration itself: a clean first sync of a tenant copy
 * runs, and every activity its instances scheduled (the run, its discovery, its chunks, its verification) is read
 * from their histories, so a new activity joins the matrix by being called. Then, on fresh copies of the same tenant:
 *
 * - per activity, the host "dies" at both of its boundaries in one run: before the first call (the activity never
 *   ran) and after the second (it ran — its Microsoft calls and writes happened — and its result was lost);
 * - per Microsoft service the run talks to (read from the simulator's log of the clean run), each distinct request of
 *   it answers 503 once.
 *
 * Every case must end as the clean run did: Succeeded with the same counts, the same tenant (objects, grants, numbers,
 * domains, users — so no activation user or licence left —, DNS), the same activity rows with none twice, the same
 * emails, and the verification finished with the same counts.
 */
import { ActivityFaults } from '../../local/host/activityFaults';
import { RequestLogEntry } from '../../local/simulator/state';
import { verifyInstanceId } from '../../shared/sync/contract';
import { EventType } from '../../local/durable/history';
import { json, Stack, startStack } from '../support/stack';
import { tenantCopy } from '../support/tenantCopies';

let stack: Stack;
const faults = new ActivityFaults();

beforeAll(async () => {
  stack = await startStack({
    activityFaults: faults,
    env: { SYNC_VERIFY_WINDOW_SECONDS: '3', SYNC_VERIFY_POLL_SECONDS: '1', EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' },
  });
}, 60_000);
afterAll(() => stack?.stop());

/** A first sync of a fresh copy, with `arm` set up just before it; what it left, once its verification ended. */
async function firstSync(arm: (accountId: string) => void = () => undefined) {
  const t = await tenantCopy(stack, 'matrix');
  const control = stack.simulator.control;
  const fromSeq = control.requestLog().at(-1)?.seq ?? 0;
  const mailsBefore = control.mailbox().length;
  faults.clear();
  arm(t.accountId);
  const run = await t.syncNow();
  const requests = control.requestLog().filter((r) => r.seq > fromSeq);
  control.clearFaults();
  const verify = await verification(t.accountId, run.runId);
  faults.clear();
  await stack.deliverEmails();
  const rows = t.sameRows(await t.activity(run.runId));
  const mails = control
    .mailbox()
    .slice(mailsBefore)
    .map((m) => m.subject.split(t.accountId).join('ACCOUNT'))
    .sort();
  const instances = [...stack.host.durable.instances.values()].filter((i) => i.instanceId.startsWith(`sync-${t.accountId}`));
  const activities = [
    ...new Set(instances.flatMap((i) => i.history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => String(e.Name)))),
  ].sort();
  return { run, rows, mails, verify, state: t.normalized(), activities, requests, accountId: t.accountId };
}

/** The run's verification once its orchestration has ended. */
async function verification(accountId: string, runId: string): Promise<unknown> {
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
    const status = stack.host.durable.instances.get(verifyInstanceId(accountId, runId))?.status;
    if (status === 'Completed' || status === 'Failed') {
      const { verification: v } = await json(await stack.call('GET', `accounts/${accountId}/sync-runs/${runId}`));
      return { status, verification: v && { ...v, until: undefined, checkedAt: undefined } };
    }
  }
  throw new Error(`the verification of ${runId} did not end in 30 s`);
}

/**
 * A request as a kind: service, method and path with ids and the account's name left out (inner `$batch` requests by
 * their own path), so the kind matches the same request in every copy.
 */
const requestKind = (r: RequestLogEntry, accountId: string): string =>
  `${r.service} ${r.method} ${r.url
    .split('?')[0]!
    .replace(/^\$batch>/, '')
    .split(accountId)
    .join('{account}')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')}`;

let clean: Awaited<ReturnType<typeof firstSync>>;

test('the clean run: the reference every case is compared with, and the boundaries it enumerates', async () => {
  await firstSync(); // creates the tables and warms the caches
  clean = await firstSync();
  expect(clean.run.status).toBe('Succeeded');
  expect(clean.verify).toMatchObject({ status: 'Completed', verification: { status: 'effective', users: 2, effective: 2 } });
  // The enumeration sees every stage: the run's own steps, its discovery's, its chunks' and its verification's.
  expect(clean.activities).toEqual(
    expect.arrayContaining([
      'syncPreflight',
      'syncTrunkStep',
      'syncPlan',
      'syncApplyStep',
      'syncFinish',
      'syncStartVerification',
      'syncVerifyChunk',
    ]),
  );
  expect(clean.activities.length).toBeGreaterThanOrEqual(12);
  expect(new Set(clean.rows).size).toBe(clean.rows.length);
}, 120_000);

const expectLikeClean = (label: string, c: Awaited<ReturnType<typeof firstSync>>) => {
  expect({ label, status: c.run.status, counts: c.run.counts }).toEqual({ label, status: 'Succeeded', counts: clean.run.counts });
  expect({ label, state: c.state }).toEqual({ label, state: clean.state });
  expect({ label, rows: c.rows }).toEqual({ label, rows: clean.rows });
  expect({ label, mails: c.mails }).toEqual({ label, mails: clean.mails });
  expect({ label, verify: c.verify }).toEqual({ label, verify: clean.verify });
};

test('the host dies before and after each activity: every case ends like the clean run', async () => {
  for (const name of clean.activities) {
    const c = await firstSync(() => faults.arm(name, 'before', 'after'));
    expect({ name, fired: faults.injected().length }).toEqual({ name, fired: 0 }); // cleared after the case
    expectLikeClean(`crash around ${name}`, c);
  }
}, 600_000);

test('each Microsoft service answers 503 once to each of its requests: every case ends like the clean run', async () => {
  const byService = new Map<string, Set<string>>();
  for (const r of clean.requests) {
    // The token endpoint is MSAL's: a 503 there is the sign-in's business, not the run's.
    if (r.service === 'entra') continue;
    const kinds = byService.get(r.service) ?? new Set<string>();
    kinds.add(requestKind(r, clean.accountId));
    byService.set(r.service, kinds);
  }
  expect([...byService.keys()].sort()).toEqual(expect.arrayContaining(['graph', 'teams']));
  for (const [service, kinds] of byService) {
    const c = await firstSync((accountId) => {
      for (const kind of kinds) {
        const [, method, path] = kind.split(' ');
        const pattern = `re:^(\\$batch>)?${path!
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace(/\{id\}/g, '[0-9a-fA-F-]{36}')
          .replace(/\{account\}/g, accountId)}$`;
        stack.simulator.control.injectFault({
          service: service as never,
          method,
          path: pattern,
          status: 503,
          retryAfterSeconds: 1,
          times: 1,
        });
      }
    });
    const injected = c.requests.filter((r) => r.service === service && r.status === 503).length;
    expect({ service, injected: injected > 0 }).toEqual({ service, injected: true });
    expectLikeClean(`503s from ${service}`, c);
  }
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 600_000);
