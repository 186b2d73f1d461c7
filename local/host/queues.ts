/**
 * Queue triggers of the local host, on Azurite queues, as the Functions host runs them: poll the queue (at once while
 * messages come, backing off to host.json `maxPollingInterval` while it is empty), hold each message invisible while
 * its function runs, delete it on success, make it visible again after `visibilityTimeout` on failure, and after
 * `maxDequeueCount` tries move it to `<queue>-poison`. Messages are base64 text unless `messageEncoding` is "none".
 */
import { QueueClient, DequeuedMessageItem } from '@azure/storage-queue';
import { RpcTypedData } from './worker';

export interface QueueSettings {
  maxPollingIntervalMs: number;
  visibilityTimeoutSeconds: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

/** host.json times are TimeSpans ("00:00:02", "1.00:00:00") or, as in version 1, milliseconds. */
function timeSpanMs(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return fallback;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) throw new Error(`host.json: "${value}" is not a time span (hh:mm:ss).`);
  const [, days, h, min, sec, frac] = m;
  return (
    (((Number(days ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(sec)) * 1000 + Math.round(Number(`0.${frac ?? 0}`) * 1000)
  );
}

/** The Functions host's defaults, overridden by host.json `extensions.queues`. */
export function queueSettings(hostJson: { extensions?: { queues?: Record<string, unknown> } }): QueueSettings {
  const q = hostJson.extensions?.queues ?? {};
  const batchSize = typeof q.batchSize === 'number' ? q.batchSize : 16;
  return {
    maxPollingIntervalMs: timeSpanMs(q.maxPollingInterval, 60_000),
    visibilityTimeoutSeconds: Math.round(timeSpanMs(q.visibilityTimeout, 0) / 1000),
    batchSize: Math.min(32, Math.max(1, batchSize)),
    newBatchThreshold: typeof q.newBatchThreshold === 'number' ? q.newBatchThreshold : Math.floor(batchSize / 2),
    maxDequeueCount: typeof q.maxDequeueCount === 'number' ? q.maxDequeueCount : 5,
    messageEncoding: String(q.messageEncoding ?? 'base64').toLowerCase() === 'none' ? 'none' : 'base64',
  };
}

export interface QueuePoller {
  queueName: string;
  /** Polls now instead of waiting out the backoff. */
  wake(): void;
  /** Resolves once no message is visible in the queue and none is being processed. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface QueuePollerOptions {
  functionName: string;
  queueName: string;
  connectionString: string;
  settings: QueueSettings;
  /** Runs the function with the message text and its trigger metadata; resolves with the error when it failed. */
  run(text: string, triggerMetadata: Record<string, RpcTypedData>): Promise<Error | undefined>;
  log(line: string): void;
}

/** While a function runs, its message stays invisible this long (the host renews it; ten minutes is the timeout). */
const PROCESSING_VISIBILITY_SECONDS = 600;
const MIN_POLL_MS = 100;

function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

const metadataOf = (m: DequeuedMessageItem): Record<string, RpcTypedData> => ({
  Id: { string: m.messageId },
  DequeueCount: { int: m.dequeueCount },
  InsertionTime: { string: m.insertedOn.toISOString() },
  ExpirationTime: { string: m.expiresOn.toISOString() },
  NextVisibleTime: { string: m.nextVisibleOn.toISOString() },
  PopReceipt: { string: m.popReceipt },
});

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const { settings, queueName, log } = options;
  const clientOptions = { retryOptions: { maxTries: 1, tryTimeoutInMs: 10_000 } };
  const queue = new QueueClient(options.connectionString, queueName, clientOptions);
  const poison = new QueueClient(options.connectionString, `${queueName}-poison`, clientOptions);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let backoffMs = 0;
  let lastError: string | undefined;
  let wakeUp: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
      wakeUp = done;
    });

  const toPoison = async (m: DequeuedMessageItem, why: string): Promise<void> => {
    await poison.createIfNotExists();
    await poison.sendMessage(m.messageText);
    await queue.deleteMessage(m.messageId, m.popReceipt);
    log(`warning [${options.functionName}] message ${m.messageId} moved to ${queueName}-poison: ${why}`);
  };

  const handle = async (m: DequeuedMessageItem): Promise<void> => {
    // A message received more often than allowed (its earlier runs never reported back) goes straight to poison.
    if (m.dequeueCount > settings.maxDequeueCount) return toPoison(m, `dequeued ${m.dequeueCount} times`);
    const text = settings.messageEncoding === 'base64' ? decodeBase64(m.messageText) : m.messageText;
    if (text === undefined) return toPoison(m, 'the message is not base64 (host.json messageEncoding is "base64")');
    const error = await options.run(text, metadataOf(m));
    if (!error) return void (await queue.deleteMessage(m.messageId, m.popReceipt));
    if (m.dequeueCount >= settings.maxDequeueCount) return toPoison(m, `failed ${m.dequeueCount} times: ${error.message}`);
    await queue.updateMessage(m.messageId, m.popReceipt, undefined, settings.visibilityTimeoutSeconds);
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      // Like the host: a new batch once the messages in flight drop to newBatchThreshold.
      if (inFlight.size > settings.newBatchThreshold) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const received = await queue.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: PROCESSING_VISIBILITY_SECONDS,
        });
        messages = received.receivedMessageItems;
        lastError = undefined;
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        const message = (err as Error).message.split('\n')[0];
        // A queue nobody has written to yet does not exist: that is an empty queue, not an error.
        if (code !== 404 && message !== lastError) log(`error [${options.functionName}] polling ${queueName}: ${message}`);
        if (code !== 404) lastError = message;
      }
      if (stopped) break;
      if (messages.length === 0) {
        backoffMs = Math.min(settings.maxPollingIntervalMs, Math.max(MIN_POLL_MS, backoffMs * 2));
        await sleep(backoffMs);
        continue;
      }
      backoffMs = 0;
      for (const m of messages) {
        const running: Promise<void> = handle(m)
          .catch((err: Error) => log(`error [${options.functionName}] message ${m.messageId}: ${err.message.split('\n')[0]}`))
          .finally(() => inFlight.delete(running));
        inFlight.add(running);
      }
    }
  };
  const looping = loop();

  const wake = (): void => {
    backoffMs = 0;
    wakeUp?.();
  };

  return {
    queueName,
    wake,
    async idle() {
      for (;;) {
        if (inFlight.size === 0) {
          const peeked = await queue.peekMessages({ numberOfMessages: 1 }).catch(() => undefined);
          if (inFlight.size === 0 && (peeked?.peekedMessageItems.length ?? 0) === 0) return;
          wake();
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await looping;
      await Promise.all(inFlight);
    },
  };
}
