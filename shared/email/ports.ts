/** What outbox delivery needs: a place to keep messages, and something that sends them. */
import { Result } from '../domain/errors';
import { OutboxRecord } from './outboxMessage';

export interface OutboxStore {
  /** Messages due for an attempt: Pending and due, or Sending with an expired lease (a sender died mid-way). */
  due(now: Date, limit: number): Promise<OutboxRecord[]>;
  /** The named messages of one account, read by their keys (no scan); ids without a message are left out. */
  getMany(accountId: string, ids: string[]): Promise<OutboxRecord[]>;
  /**
   * For each window (milliseconds up to `now`), how many messages were sent within it, plus those being sent now under
   * a live lease (for the sending rate: a sender that starts while another is mid-send counts the other's messages
   * too). One read of the longest window answers them all.
   */
  sentWithin(now: Date, windowsMs: number[]): Promise<number[]>;
  /** Takes a message for one attempt under a lease; undefined when another sender took it first. */
  lease(record: OutboxRecord, now: Date, leaseUntil: Date): Promise<OutboxRecord | undefined>;
  /** Records an attempt's outcome. */
  settle(
    record: OutboxRecord,
    patch: Partial<Pick<OutboxRecord, 'status' | 'nextAttemptAt' | 'lastError' | 'sentAt' | 'leaseUntil'>>,
  ): Promise<void>;
  /** Deletes Sent and Failed messages created before `before` (the record of what was sent is kept that long). */
  purgeFinished(before: Date): Promise<number>;
}

export interface EmailSender {
  /**
   * Sends once per operation id: repeating a send with the same id must not deliver twice. Fails with
   * EMAIL_SEND_FAILED: `transient` when a later attempt may succeed (with `details.retryAfterMs` when the service
   * said when), permanent when the service refused the message for good.
   */
  send(message: OutboxRecord, operationId: string): Promise<Result<void>>;
}

export interface OutboxSignal {
  /** Asks for prompt delivery of emails just queued (ids only). Throws when the queue cannot be reached. */
  notify(accountId: string, messageIds: string[]): Promise<void>;
}
