/**
 * Use case: deliver due outbox messages within the sending rate. Each attempt leases its message first (so two
 * senders never send one message at once) and uses the message id as the send operation id, so a sender that died
 * after sending but before recording it repeats the same operation and the mail is not delivered twice.
 */
import { DomainError, failTransient, Result } from '../domain/errors';
import { EmailSender, OutboxStore } from './ports';

export interface DeliveryDeps {
  outbox: OutboxStore;
  sender: EmailSender;
  now: () => Date;
  perMinute: number;
  perHour: number;
  maxAttempts: number;
  leaseMs?: number;
}

export interface DeliveryReport {
  sent: number;
  failed: number;
  retrying: number;
  /** Due messages left for a later run because of the sending rate. */
  deferred: number;
}

const MINUTE = 60_000;

/** Exponential backoff from 30 s, capped at one hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60 * MINUTE, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/** One attempt; a sender that throws (a bug, an outage it did not expect) counts as a transient failure. */
async function send(sender: EmailSender, message: Parameters<EmailSender['send']>[0]): Promise<Result<void>> {
  try {
    return await sender.send(message, message.id);
  } catch (err) {
    return failTransient('EMAIL_SEND_FAILED', err instanceof Error ? err.message : String(err));
  }
}

const retryAfterMs = (error: DomainError): number => {
  const value = error.details?.retryAfterMs;
  return typeof value === 'number' ? value : 0;
};

export async function deliverOutbox(deps: DeliveryDeps): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, retrying: 0, deferred: 0 };
  const start = deps.now();
  const [lastMinute, lastHour] = await Promise.all([
    deps.outbox.sentSince(new Date(start.getTime() - MINUTE)),
    deps.outbox.sentSince(new Date(start.getTime() - 60 * MINUTE)),
  ]);
  const budget = Math.max(0, Math.min(deps.perMinute - lastMinute, deps.perHour - lastHour));
  const due = await deps.outbox.due(start, budget + 50);
  report.deferred = Math.max(0, due.length - budget);

  for (const message of due.slice(0, budget)) {
    const now = deps.now();
    const leased = await deps.outbox.lease(message, now, new Date(now.getTime() + (deps.leaseMs ?? 5 * MINUTE)));
    if (!leased) continue;
    const sent = await send(deps.sender, leased);
    if (sent.ok) {
      await deps.outbox.settle(leased, { status: 'Sent', sentAt: deps.now().toISOString(), leaseUntil: null, lastError: null });
      report.sent++;
      continue;
    }
    const reason = sent.error.message.split('\n')[0].slice(0, 500);
    if (!sent.error.transient || leased.attempts >= deps.maxAttempts) {
      await deps.outbox.settle(leased, {
        status: 'Failed',
        lastError: sent.error.transient ? `gave up after ${leased.attempts} attempts: ${reason}` : reason,
        leaseUntil: null,
      });
      report.failed++;
    } else {
      const wait = Math.max(retryAfterMs(sent.error), backoffMs(leased.attempts));
      await deps.outbox.settle(leased, {
        status: 'Pending',
        lastError: reason,
        nextAttemptAt: new Date(deps.now().getTime() + wait).toISOString(),
        leaseUntil: null,
      });
      report.retrying++;
    }
  }
  return report;
}
