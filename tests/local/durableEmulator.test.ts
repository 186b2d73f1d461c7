/**
 * The Durable emulator driven through the SDK's own replay, on fixture orchestrations (tests/fixtures/durableApp.ts),
 * with a manual clock so hours of durable timers pass in milliseconds. Its state goes to an in-memory Azurite, as
 * the host's does (restarts: durableRestart.test.ts).
 */
import { calls } from '../fixtures/durableApp';
import path from 'node:path';
import { RunningAzurite, startAzurite } from '../../local/azurite';
import { EventType } from '../../local/durable/history';
import { ManualClock } from '../../local/host/clock';
import { startHost, RunningHost } from '../../local/host/host';

let host: RunningHost;
let azurite: RunningAzurite;
const clock = new ManualClock(new Date('2026-03-01T08:00:00Z'));
const KEYS = { functionKey: 'test-function-key', masterKey: 'test-master-key' };

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  host = await startHost({
    durableStorage: azurite.connectionString,
    appRoot: path.resolve(__dirname, '../..'),
    port: 0,
    clock,
    ...KEYS,
    loadApp: false,
    enableTimers: false,
    log: () => undefined,
  });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const settle = () => host.durable.whenIdle();

/** Advances the manual clock to each pending timer in turn until nothing more is due within `ms`. */
async function runFor(ms: number): Promise<void> {
  const end = clock.now().getTime() + ms;
  await settle();
  for (let next = clock.nextDue(); next && next.getTime() <= end; next = clock.nextDue()) {
    clock.set(next);
    await settle();
  }
  clock.set(new Date(end));
  await settle();
}

test('activity retries follow first interval, backoff and max interval, then succeed', async () => {
  const instance = host.durable.startNew('retrying', { key: 'ok', failTimes: 3, attempts: 5 });
  const started = clock.now().getTime();
  await runFor(60_000);
  expect(instance.status).toBe('Completed');
  expect(instance.output).toBe('ok after 4');
  const timers = instance.history.filter((e) => e.EventType === EventType.TimerCreated);
  // 1000 ms, 2000 ms, then capped at 3000 ms (backoff 2 would give 4000).
  const delays = timers.map(
    (t, i) =>
      new Date(t.FireAt as string).getTime() -
      new Date(instance.history.find((e) => e.EventType === EventType.TaskFailed && e.TaskScheduledId === i * 2)!.Timestamp).getTime(),
  );
  expect(delays).toEqual([1000, 2000, 3000]);
  expect(instance.history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(4);
  expect(clock.now().getTime() - started).toBe(60_000);
});

test('the last failure reaches the orchestrator as TaskFailedError after the extra retry timer', async () => {
  const instance = host.durable.startNew('retrying', { key: 'never', failTimes: 99, attempts: 3 });
  await runFor(60_000);
  expect(instance.status).toBe('Completed');
  expect(instance.output).toEqual({ caught: 'TaskFailedError', message: 'transient failure 3' });
  expect(calls.flaky.get('never')).toBe(3);
  // Three failures, each followed by a retry timer (the SDK waits for one after the last attempt too).
  expect(instance.history.filter((e) => e.EventType === EventType.TaskFailed)).toHaveLength(3);
  expect(instance.history.filter((e) => e.EventType === EventType.TimerFired)).toHaveLength(3);
});

test('a durable timer fires only when the clock reaches it', async () => {
  const instance = host.durable.startNew('timerThenEcho', { ms: 2 * 60 * 60 * 1000 });
  await settle();
  clock.advance(60 * 60 * 1000);
  await settle();
  expect(instance.status).toBe('Running');
  await runFor(60 * 60 * 1000);
  expect(instance.status).toBe('Completed');
  const { startedAt, firedAt } = instance.output as { startedAt: string; firedAt: string };
  expect(new Date(firedAt).getTime() - new Date(startedAt).getTime()).toBeGreaterThanOrEqual(2 * 60 * 60 * 1000);
});

test('a timer longer than the maximum short timer runs in intervals and fires on time', async () => {
  const instance = host.durable.startNew('longTimer', 10);
  const start = clock.now().getTime();
  await runFor(11 * 24 * 3600 * 1000);
  expect(instance.status).toBe('Completed');
  expect(new Date(instance.output as string).getTime()).toBe(start + 10 * 24 * 3600 * 1000);
  // 10 days with 6-day short timers and 3-day intervals: 3 d, 6 d, then the final 4 days.
  expect(instance.history.filter((e) => e.EventType === EventType.TimerCreated)).toHaveLength(3);
});

test('a 1,000-activity fan-out completes with every result', async () => {
  const before = { ...host.durable.stats };
  const t0 = performance.now();
  const instance = host.durable.startNew('fanOut', 1000);
  await settle();
  const seconds = (performance.now() - t0) / 1000;
  expect(instance.status).toBe('Completed');
  expect(instance.output).toBe((999 * 1000) / 2);
  expect(instance.history.filter((e) => e.EventType === EventType.TaskCompleted)).toHaveLength(1000);
  const activities = host.durable.stats.activities - before.activities;
  const replayed = host.durable.stats.eventsReplayed - before.eventsReplayed;
  expect(activities).toBe(1000);
  console.log(
    `fan-out of 1000: ${seconds.toFixed(2)} s, ${(1000 / seconds).toFixed(0)} activities/s, ${host.durable.stats.episodes - before.episodes} episodes, ${replayed} history events replayed`,
  );
});

test('sub-orchestrations return results and their failures reach the parent', async () => {
  const instance = host.durable.startNew('parent', undefined, 'family');
  await settle();
  expect(instance.status).toBe('Completed');
  expect(instance.output).toEqual({ sum: 50, childError: true });
  expect(host.durable.instances.get('family-second')?.status).toBe('Completed');
  expect(host.durable.instances.get('family-second')?.output).toBe(30);
});

test('external events, custom status and the timeout branch', async () => {
  const approved = host.durable.startNew('approval', undefined, 'approve-me');
  await settle();
  expect(approved.customStatus).toEqual({ stage: 'waiting' });
  expect(host.durable.raiseEvent('approve-me', 'approve', { by: 'ga' })).toBe('accepted');
  await settle();
  expect(approved.status).toBe('Completed');
  expect(approved.output).toEqual({ by: 'ga' });
  expect(approved.customStatus).toEqual({ stage: 'approved' });
  expect(host.durable.raiseEvent('approve-me', 'approve', {})).toBe('gone');

  const expired = host.durable.startNew('approval', undefined, 'nobody-answers');
  await runFor(2 * 60 * 60 * 1000);
  expect(expired.output).toBe('timed out');
  expect(expired.customStatus).toEqual({ stage: 'expired' });
});

test('continue-as-new restarts with a fresh history', async () => {
  const instance = host.durable.startNew('counter', 0, 'counting');
  await settle();
  expect(instance.status).toBe('Completed');
  expect(instance.output).toBe(3);
  expect(instance.history.filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
});

test('terminate stops a waiting instance; purge deletes only finished ones', async () => {
  host.durable.startNew('approval', undefined, 'to-terminate');
  await settle();
  expect(host.durable.purge('to-terminate')).toBe(0);
  expect(host.durable.terminate('to-terminate', 'no longer needed')).toBe('accepted');
  const instance = host.durable.instances.get('to-terminate')!;
  expect(instance.status).toBe('Terminated');
  expect(instance.output).toBe('no longer needed');
  await runFor(2 * 60 * 60 * 1000);
  expect(instance.status).toBe('Terminated');
  expect(host.durable.purge('to-terminate')).toBe(1);
  expect(host.durable.instances.has('to-terminate')).toBe(false);
});

test('starting an id that is still running is refused; a finished one is replaced', async () => {
  host.durable.startNew('approval', undefined, 'singleton');
  await settle();
  expect(() => host.durable.startNew('approval', undefined, 'singleton')).toThrow(/already exists and is Running/);
  host.durable.terminate('singleton', 'done');
  const again = host.durable.startNew('approval', undefined, 'singleton');
  await settle();
  expect(again.status).toBe('Running');
  host.durable.terminate('singleton', 'cleanup');
});

test('replaying a finished history yields the same actions', async () => {
  const instance = host.durable.startNew('parent', undefined, 'replayed');
  await settle();
  expect(instance.status).toBe('Completed');
  const { actions, recorded } = await host.durable.replay('replayed');
  expect(recorded.length).toBeGreaterThan(0);
  expect(actions).toEqual(recorded);
});

test('a non-deterministic orchestrator is detected and fails instead of hanging', async () => {
  const instance = host.durable.startNew('nonDeterministic', undefined);
  await settle();
  expect(instance.status).toBe('Failed');
  expect(String(instance.output)).toMatch(/Non-deterministic workflow detected/);
  expect(String(instance.output)).toMatch(/CallActivity\(echo\).*CallActivity\(flaky\)/);
});

test('sub-orchestrations with retry are re-created after each failure', async () => {
  const instance = host.durable.startNew('parentWithRetry', { key: 'child-retry', failTimes: 2 }, 'retry-parent');
  await runFor(10_000);
  expect(instance.status).toBe('Completed');
  expect(instance.output).toBe('ok after 3');
  expect(instance.history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated)).toHaveLength(3);
  expect(instance.history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceFailed)).toHaveLength(2);
});

test('retries never run past the retry timeout', async () => {
  const instance = host.durable.startNew('retryWithTimeout', { key: 'timeout', failTimes: 99 });
  const start = clock.now().getTime();
  await runFor(60_000);
  expect(instance.status).toBe('Completed');
  const { gaveUpAt } = instance.output as { gaveUpAt: string };
  // As DTFx, the timeout is checked when a failure is handled: failures at 0 s, 1 s and 2 s are inside the 2.5 s
  // timeout and get a retry; the failure at 3 s is past it, so the remaining 6 attempts never run.
  expect(calls.flaky.get('timeout')).toBe(4);
  expect(instance.history.filter((e) => e.EventType === EventType.TaskFailed)).toHaveLength(10);
  expect(new Date(gaveUpAt).getTime() - start).toBeLessThan(10_000);
});

test('an unhandled activity failure fails the orchestration with its failure details', async () => {
  const instance = host.durable.startNew('unhandledFailure', undefined, 'will-fail');
  await settle();
  expect(instance.status).toBe('Failed');
  expect(instance.output).toBe("Orchestrator function 'unhandledFailure' failed: Error: transient failure 1");
  expect(instance.failureDetails?.ErrorMessage).toContain('transient failure 1');
  expect(instance.history.at(-1)?.EventType).toBe(EventType.ExecutionFailed);
});

test('the durable client raises events, lists, terminates and purges through the RPC endpoints', async () => {
  const call = async (op: string, id = '', body?: unknown) =>
    fetch(`${host.url}/api/client/${op}/${id}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });

  host.durable.startNew('approval', undefined, 'rpc-approve');
  host.durable.startNew('approval', undefined, 'rpc-terminate');
  for (let i = 0; i < 120; i++) host.durable.startNew('approval', undefined, `rpc-many-${i}`);
  await settle();

  const running = (await (await call('list')).json()) as string[];
  expect(running).toEqual(expect.arrayContaining(['rpc-approve', 'rpc-terminate', 'rpc-many-0', 'rpc-many-119']));
  expect(running.length).toBeGreaterThanOrEqual(122); // more than one page: the continuation token was followed

  expect((await call('raise', 'rpc-approve', { by: 'rpc' })).status).toBe(202);
  await settle();
  expect(host.durable.instances.get('rpc-approve')?.output).toEqual({ by: 'rpc' });

  expect((await call('terminate', 'rpc-terminate')).status).toBe(202);
  const status = await (await call('status', 'rpc-terminate')).json();
  expect(status).toMatchObject({ runtimeStatus: 'Terminated', output: 'stopped by test', name: 'approval' });

  expect(await (await call('purge', 'rpc-approve')).json()).toEqual({ instancesDeleted: 1 });
  expect(host.durable.instances.has('rpc-approve')).toBe(false);
  expect(await (await call('purge', 'rpc-approve')).json()).toEqual({ instancesDeleted: 0 });

  for (let i = 0; i < 120; i++) host.durable.terminate(`rpc-many-${i}`, 'cleanup');
  const purged = (await (await call('purgeBy')).json()) as { instancesDeleted: number };
  expect(purged.instancesDeleted).toBeGreaterThanOrEqual(121);
  expect(host.durable.instances.has('rpc-many-7')).toBe(false);

  const unknown = (await (await call('status', 'does-not-exist')).json()) as { error: string };
  expect(unknown.error).toMatch(/404/);
});
