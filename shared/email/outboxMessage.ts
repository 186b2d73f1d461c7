/** An email waiting in the outbox. Rendered when queued, so it says what was true when its event happened. */
import { createHash } from 'node:crypto';
import { TemplateName } from './templates';

export type OutboxStatus = 'Pending' | 'Sending' | 'Sent' | 'Failed';

export interface OutboxMessage {
  /** Derived from the dedupe key, so the same event always yields the same id (and the same send operation id). */
  id: string;
  dedupeKey: string;
  accountId: string;
  template: TemplateName;
  to: { address: string; displayName: string };
  subject: string;
  html: string;
  text: string;
  createdAt: string;
}

export interface OutboxRecord extends OutboxMessage {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  leaseUntil: string | null;
  lastError: string | null;
  operationId: string | null;
  sentAt: string | null;
  etag: string;
}

/** Due for an attempt: Pending and its time has come, or Sending with an expired lease (a sender died mid-way). */
export function isDue(record: OutboxRecord, now: Date): boolean {
  const iso = now.toISOString();
  if (record.status === 'Pending') return record.nextAttemptAt <= iso;
  return record.status === 'Sending' && record.leaseUntil !== null && record.leaseUntil < iso;
}

/** A UUID-shaped id from the dedupe key (Communication Services wants a GUID operation id). */
export function messageIdFor(dedupeKey: string): string {
  const h = createHash('sha256').update(dedupeKey).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
