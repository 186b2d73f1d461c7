/**
 * Use case: deliver due outbox messages within the sending rate. Each attempt is claimed first (a lease, so two
 * senders never send one message at once) and uses the message id as the send operation id, so a sender that died
 * after sending but before recording it repeats the same operation and the mail is not delivered twice.
 */
import { EmailSendError, EmailSender, OutboxStore } from './ports';

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
    const claimed = await deps.outbox.claim(message, now, new Date(now.getTime() + (deps.leaseMs ?? 5 * MINUTE)));
    if (!claimed) continue;
    try {
      const outcome = await deps.sender.send(claimed, claimed.id);
      if (outcome.status === 'Succeeded') {
        await deps.outbox.settle(claimed, { status: 'Sent', sentAt: deps.now().toISOString(), leaseUntil: null, lastError: null });
        report.sent++;
      } else {
        await deps.outbox.settle(claimed, { status: 'Failed', lastError: outcome.reason, leaseUntil: null });
        report.failed++;
      }
    } catch (err) {
      const error = err instanceof EmailSendError ? err : new EmailSendError(err instanceof Error ? err.message : String(err), false);
      const reason = error.message.split('\n')[0].slice(0, 500);
      if (error.permanent || claimed.attempts >= deps.maxAttempts) {
        await deps.outbox.settle(claimed, {
          status: 'Failed',
          lastError: error.permanent ? reason : `gave up after ${claimed.attempts} attempts: ${reason}`,
          leaseUntil: null,
        });
        report.failed++;
      } else {
        const wait = Math.max(error.retryAfterMs ?? 0, backoffMs(claimed.attempts));
        await deps.outbox.settle(claimed, {
          status: 'Pending',
          lastError: reason,
          nextAttemptAt: new Date(deps.now().getTime() + wait).toISOString(),
          leaseUntil: null,
        });
        report.retrying++;
      }
    }
  }
  return report;
}
