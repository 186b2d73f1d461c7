/**
 * The fast path of the outbox: after a change has written its emails, a small queue message names them (ids only,
 * never content) and the queue trigger `sendOutboxMessage` sends them at once. It is only a hint: the outbox timer
 * still sends every due email, so a signal that is lost, late, repeated or poisoned costs speed, never an email.
 */
import { z } from 'zod';
import { OutboxMessage } from './outboxMessage';
import { OutboxSignal } from './ports';

/** The Storage queue the signals go through (one storage account per deployment, like the tables). */
export const OUTBOX_QUEUE = 'outbox-send';

export const OutboxSignalSchema = z.object({
  accountId: z.string().min(1).max(256),
  messageIds: z.array(z.string().min(1).max(64)).min(1).max(100),
});

export type OutboxSignalMessage = z.infer<typeof OutboxSignalSchema>;

/** A queue message as the trigger received it, or undefined when it is not a signal (nothing to retry). */
export function parseOutboxSignal(entry: unknown): OutboxSignalMessage | undefined {
  const parsed = OutboxSignalSchema.safeParse(entry);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Signals emails just queued with their change. Never fails the change: returns why the signal could not be sent
 * (for the trigger's log), and the timer sends the emails on its next run.
 */
export async function signalQueued(signal: OutboxSignal, accountId: string, queued: OutboxMessage[]): Promise<string | undefined> {
  if (queued.length === 0) return undefined;
  try {
    await signal.notify(
      accountId,
      queued.map((m) => m.id),
    );
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
  }
}
