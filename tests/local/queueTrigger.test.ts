/**
 * Queue triggers of the local host on Azurite, as the Functions host runs them: base64 messages, trigger metadata,
 * delete on success, retry on failure, and after maxDequeueCount (default 5) tries the `<queue>-poison` queue.
 */
import { runs } from '../fixtures/queueApp';
import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { RunningAzurite, startAzurite } from '../../local/azurite';
import { RunningHost, startHost } from '../../local/host/host';
import { queueSettings } from '../../local/host/queues';

let azurite: RunningAzurite;
let host: RunningHost;
const lines: string[] = [];
const queue = (name: string) => new QueueClient(azurite.connectionString, name);
const base64 = (text: string) => Buffer.from(text).toString('base64');

async function put(name: string, text: string): Promise<void> {
  await queue(name).createIfNotExists();
  await queue(name).sendMessage(text);
}

async function messagesIn(name: string): Promise<string[]> {
  if (!(await queue(name).exists())) return [];
  return (await queue(name).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText);
}

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  process.env.FixtureStorage = azurite.connectionString;
  host = await startHost({
    appRoot: path.resolve(__dirname, '../fixtures/queueHost'),
    port: 0,
    functionKey: 'test-function-key',
    masterKey: 'test-master-key',
    loadApp: false,
    enableTimers: false,
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

test('the defaults are the Functions host defaults; host.json overrides them', () => {
  expect(queueSettings({})).toEqual({
    maxPollingIntervalMs: 60_000,
    visibilityTimeoutSeconds: 0,
    batchSize: 16,
    newBatchThreshold: 8,
    maxDequeueCount: 5,
    messageEncoding: 'base64',
  });
  expect(
    queueSettings({ extensions: { queues: { maxPollingInterval: '00:00:02', visibilityTimeout: '00:01:30', batchSize: 1 } } }),
  ).toMatchObject({
    maxPollingIntervalMs: 2000,
    visibilityTimeoutSeconds: 90,
    batchSize: 1,
    newBatchThreshold: 0,
  });
});

test('a base64 message is decoded, handed over with its metadata, and deleted once the function succeeds', async () => {
  await put('work', base64(JSON.stringify({ hello: 'queue' })));
  await host.queuesIdle();
  expect(runs.work).toEqual([{ entry: { hello: 'queue' }, dequeueCount: 1, id: expect.any(String) }]);
  expect(await messagesIn('work')).toEqual([]);
});

test('a failing function is retried with the same message until it succeeds', async () => {
  await put('flaky', base64('"again"'));
  await host.queuesIdle();
  expect(runs.flaky.map((r) => [r.entry, r.dequeueCount])).toEqual([
    ['again', 1],
    ['again', 2],
    ['again', 3],
  ]);
  expect(new Set(runs.flaky.map((r) => r.id)).size).toBe(1);
  expect(await messagesIn('flaky')).toEqual([]);
  expect(await messagesIn('flaky-poison')).toEqual([]);
});

test('after maxDequeueCount failed tries the message moves to the poison queue, as it was', async () => {
  const text = base64(JSON.stringify({ doomed: true }));
  await put('broken', text);
  await host.queuesIdle();
  expect(runs.broken.map((r) => r.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
  expect(await messagesIn('broken')).toEqual([]);
  expect(await messagesIn('broken-poison')).toEqual([text]);
  expect(lines.some((l) => /moved to broken-poison: failed 5 times: always fails/.test(l))).toBe(true);
});

test('a message that is not base64 goes to the poison queue without running the function', async () => {
  const before = runs.work.length;
  await put('work', '{not base64}');
  await host.queuesIdle();
  expect(runs.work.length).toBe(before);
  expect(await messagesIn('work-poison')).toEqual(['{not base64}']);
});
