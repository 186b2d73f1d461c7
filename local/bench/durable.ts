/**
 * Benchmark of the Durable emulator (a script, not a test): a 1,000-activity fan-out and a 200-step sequential chain,
 * with activities that yield to the event loop like real I/O. Run with `npm run bench:durable`.
 */
import path from 'node:path';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { OrchestrationContext } from 'durable-functions';
import { ManualClock } from '../host/clock';
import { startHost } from '../host/host';

df.app.activity('benchWork', { handler: async (n: number) => new Promise((resolve) => setImmediate(() => resolve(n * 2))) });
df.app.orchestration('benchFanOut', function* (context: OrchestrationContext) {
  const count = context.df.getInput() as number;
  const results = (yield context.df.Task.all(Array.from({ length: count }, (_, i) => context.df.callActivity('benchWork', i)))) as number[];
  return results.length;
});
df.app.orchestration('benchChain', function* (context: OrchestrationContext) {
  let total = 0;
  for (let i = 0; i < (context.df.getInput() as number); i++) total += (yield context.df.callActivity('benchWork', i)) as number;
  return total;
});
void app;

async function measure(host: Awaited<ReturnType<typeof startHost>>, name: string, input: number): Promise<void> {
  const before = { ...host.durable.stats };
  const t0 = performance.now();
  const instance = host.durable.startNew(name, input);
  await host.durable.whenIdle();
  const seconds = (performance.now() - t0) / 1000;
  const activities = host.durable.stats.activities - before.activities;
  console.log(
    `${name}(${input}): ${instance.status} in ${seconds.toFixed(2)} s — ${(activities / seconds).toFixed(0)} activities/s, ` +
      `${host.durable.stats.episodes - before.episodes} orchestrator steps, ${host.durable.stats.eventsReplayed - before.eventsReplayed} history events replayed`,
  );
}

async function main(): Promise<void> {
  const host = await startHost({
    appRoot: path.resolve(__dirname, '../../..'),
    port: 0,
    clock: new ManualClock(),
    functionKey: 'k',
    masterKey: 'm',
    loadApp: false,
    log: () => undefined,
  });
  await measure(host, 'benchFanOut', 1000);
  await measure(host, 'benchChain', 200);
  await host.stop();
}

void main();
