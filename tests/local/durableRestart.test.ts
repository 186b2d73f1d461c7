/**
 * The Durable emulator across host restarts: a host is stopped mid-orchestration and a new one on the same storage
 * (an in-memory Azurite that outlives both) resumes from the task hub. Fixture orchestrations, manual clock. The
 * SIGKILL version with the real app: tests/api/syncHostKill.test.ts.
 */
import { calls, gate } from '../fixtures/durableApp';
import path from 'node:path';
import { RunningAzurite, startAzurite } from '../../local/azurite';
import { EventType } from '../../local/durable/history';
import { ManualClock } from '../../local/host/clock';
import { RunningHost, startHost } from '../../local/host/host';

let host: RunningHost;
let azurite: RunningAzurite;
const clock = new ManualClock(new Date('2026-05-01T08:00:00Z'));

const start = async (): Promise<RunningHost> =>
  startHost({
    appRoot: path.resolve(__dirname, '../..'),
    port: 0,
    clock,
    functionKey: 'test-function-key',
    masterKey: 'test-master-key',
    loadApp: false,
    enableTimers: false,
    durableStorage: azurite.connectionString,
    log: () => undefined,
  });

/** Stops the host and starts another on the same storage: only what was stored carries over. */
async function restart(): Promise<void> {
  await host.stop();
  host = await start();
}

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  host = await start();
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const settle = () => host.durable.whenIdle();

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

const count = (id: string, type: EventType) => host.durable.get(id).history.filter((e) => e.EventType === type).length;

test('an activity that was running when the host stopped runs again on the next host, once', async () => {
  const door = gate('restart-gate');
  host.durable.startNew('gated', 'restart-gate', 'gated-1');
  while (door.runs < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  await restart();
  while (door.runs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  door.open?.();
  await settle();
  const instance = host.durable.get('gated-1');
  expect(instance.status).toBe('Completed');
  // The first host's run also finished when the gate opened, but that host had stopped: only the new run counts.
  expect(instance.output).toEqual(['passed restart-gate (run 2)', 'after the gate']);
  expect(count('gated-1', EventType.TaskScheduled)).toBe(2);
  expect(count('gated-1', EventType.TaskCompleted)).toBe(2);
});

test('a timer armed before the restart fires on the new host at its time', async () => {
  host.durable.startNew('timerThenEcho', { ms: 2 * 60 * 60 * 1000 }, 'timer-1');
  await runFor(60 * 60 * 1000);
  await restart();
  expect(host.durable.get('timer-1').status).toBe('Running');
  await runFor(30 * 60 * 1000);
  expect(host.durable.get('timer-1').status).toBe('Running');
  await runFor(31 * 60 * 1000);
  const instance = host.durable.get('timer-1');
  expect(instance.status).toBe('Completed');
  const { startedAt, firedAt } = instance.output as { startedAt: string; firedAt: string };
  expect(new Date(firedAt).getTime() - new Date(startedAt).getTime()).toBe(2 * 60 * 60 * 1000);
  expect(count('timer-1', EventType.TimerCreated)).toBe(1);
  expect(count('timer-1', EventType.TimerFired)).toBe(1);
});

test('a retried activity keeps its attempt count and back-off across restarts', async () => {
  host.durable.startNew('retrying', { key: 'restart-retry', failTimes: 2, attempts: 3 }, 'retry-1');
  await settle();
  expect(calls.flaky.get('restart-retry')).toBe(1);
  await restart();
  await runFor(1000);
  expect(calls.flaky.get('restart-retry')).toBe(2);
  await restart();
  await runFor(10_000);
  const instance = host.durable.get('retry-1');
  expect(instance.status).toBe('Completed');
  // Three attempts of three: had a restart reset the count, the third failure would not be the last.
  expect(instance.output).toBe('ok after 3');
  expect(count('retry-1', EventType.TaskScheduled)).toBe(3);
  expect(count('retry-1', EventType.TimerCreated)).toBe(2);
});

test('a waiting instance keeps its custom status and takes an event raised after the restart', async () => {
  host.durable.startNew('approval', undefined, 'approval-1');
  await settle();
  await restart();
  expect(host.durable.get('approval-1').customStatus).toEqual({ stage: 'waiting' });
  expect(host.durable.raiseEvent('approval-1', 'approve', { by: 'after restart' })).toBe('accepted');
  await settle();
  expect(host.durable.get('approval-1').output).toEqual({ by: 'after restart' });
});

test('an event raised just before the stop is delivered after it', async () => {
  host.durable.startNew('approval', undefined, 'approval-2');
  await settle();
  expect(host.durable.raiseEvent('approval-2', 'approve', { by: 'before stop' })).toBe('accepted');
  // Stored; the stop may come before the orchestrator has seen it (then the next host delivers it).
  await host.durable.flushed('approval-2');
  await restart();
  await settle();
  expect(host.durable.get('approval-2').status).toBe('Completed');
  expect(host.durable.get('approval-2').output).toEqual({ by: 'before stop' });
});

test('a sub-orchestration waiting on a timer resumes and its result reaches the parent', async () => {
  host.durable.startNew('parentOfTimer', undefined, 'family-1');
  await settle();
  expect(host.durable.get('family-1-child').status).toBe('Running');
  await restart();
  await runFor(61_000);
  const parent = host.durable.get('family-1');
  expect(parent.status).toBe('Completed');
  expect((parent.output as { child: { startedAt: string } }).child.startedAt).toBeDefined();
  expect(count('family-1', EventType.SubOrchestrationInstanceCreated)).toBe(1);
});

test('finished instances are read back: status at once, history when asked for; they can be replaced and purged', async () => {
  host.durable.startNew('fanOut', 30, 'finished-1');
  await settle();
  const recorded = host.durable.get('finished-1').history.length;
  await restart();
  const instance = host.durable.get('finished-1');
  expect(instance).toMatchObject({ status: 'Completed', output: 435, historyLoaded: false });
  const { actions, recorded: log } = await host.durable.replay('finished-1');
  expect(instance.history).toHaveLength(recorded);
  expect(actions).toEqual(log);
  expect(log).toHaveLength(30);

  host.durable.startNew('fanOut', 4, 'finished-1');
  await settle();
  await restart();
  await host.durable.ensureHistory(host.durable.get('finished-1'));
  expect(host.durable.get('finished-1').output).toBe(6);
  expect(host.durable.get('finished-1').history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(4);
  expect(host.durable.purge('finished-1')).toBe(1);
  await host.durable.flushed('finished-1');
  await restart();
  expect(host.durable.instances.has('finished-1')).toBe(false);
});

test('continue-as-new across a restart starts the new generation from its own history', async () => {
  host.durable.startNew('counter', 0, 'counting-1');
  await settle();
  await restart();
  const instance = host.durable.get('counting-1');
  await host.durable.ensureHistory(instance);
  expect(instance.output).toBe(3);
  expect(instance.history.filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
  expect(instance.generation).toBe(4);
});
