/**
 * The outbox signal on an Azure Storage queue, from the same storage connection string as the tables. Messages are
 * base64 text, the encoding the Functions host's queue trigger expects by default (host.json `messageEncoding`).
 */
import { QueueClient } from '@azure/storage-queue';
import { OUTBOX_QUEUE, OutboxSignalMessage } from '../email/outboxSignal';
import { OutboxSignal } from '../email/ports';

/**
 * The request that queued the emails waits for the signal, after its change is saved: a queue that does not answer
 * may cost it this much, no more (creating the queue and sending the message together, retries included).
 */
export const NOTIFY_TIMEOUT_MS = 1500;

export function storageQueueSignal(connectionString: string, queueName = OUTBOX_QUEUE): OutboxSignal {
  // Few and short tries: the signal is only a hint. The overall bound is the abort signal below.
  const client = new QueueClient(connectionString, queueName, {
    retryOptions: { maxTries: 2, retryDelayInMs: 200, tryTimeoutInMs: NOTIFY_TIMEOUT_MS },
  });
  let creating: Promise<unknown> | undefined;
  return {
    async notify(accountId, messageIds) {
      const abortSignal = AbortSignal.timeout(NOTIFY_TIMEOUT_MS);
      try {
        // A call that waits on another's creation is bounded by that call's deadline, which comes first.
        await (creating ??= client.createIfNotExists({ abortSignal }).catch((err: unknown) => {
          creating = undefined;
          throw err;
        }));
        const body: OutboxSignalMessage = { accountId, messageIds };
        // A signal older than an hour is pointless: the timer has sent its emails by then.
        await client.sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'), { messageTimeToLive: 3600, abortSignal });
      } catch (err) {
        if (abortSignal.aborted) throw new Error(`the queue did not answer within ${NOTIFY_TIMEOUT_MS} ms`);
        throw err;
      }
    },
  };
}
