/**
 * The outbox signal on an Azure Storage queue, from the same storage connection string as the tables. Messages are
 * base64 text, the encoding the Functions host's queue trigger expects by default (host.json `messageEncoding`).
 */
import { QueueClient } from '@azure/storage-queue';
import { OUTBOX_QUEUE, OutboxSignalMessage } from '../email/outboxSignal';
import { OutboxSignal } from '../email/ports';

export function storageQueueSignal(connectionString: string, queueName = OUTBOX_QUEUE): OutboxSignal {
  // Few and short tries: the signal is only a hint, and the request that queued the emails waits for it.
  const client = new QueueClient(connectionString, queueName, {
    retryOptions: { maxTries: 2, retryDelayInMs: 200, tryTimeoutInMs: 5000 },
  });
  let creating: Promise<unknown> | undefined;
  return {
    async notify(accountId, messageIds) {
      await (creating ??= client.createIfNotExists().catch((err: unknown) => {
        creating = undefined;
        throw err;
      }));
      const body: OutboxSignalMessage = { accountId, messageIds };
      // A signal older than an hour is pointless: the timer has sent its emails by then.
      await client.sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'), { messageTimeToLive: 3600 });
    },
  };
}
