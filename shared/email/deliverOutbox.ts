/**
 * Use cases: deliver due outbox messages within the sending rate (the timer's sweep, and the queue trigger's prompt
 * delivery of the messages a change just queued, through the same lease, send and settle steps). Each attempt leases its message first (so two
 * senders never send one message at once) and uses the message id as the send operation id, so a sender that died
 * after sending but before recording it repeats the same operation and the mail is not delivered twice.
 */
import { DomainError, failTransient, Result } from '../domain/errors';
import { isDue, OutboxRecord } from './outboxMessage';
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
const HOUR = 60 * MINUTE;
const SEND_CONCURRENCY = 4;

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

/** The timer's sweep: every due message, oldest first, within the sending rate. */
export async function deliverOutbox(deps: DeliveryDeps): Promise<DeliveryReport> {
  const start = deps.now();
  const budget = await rateBudget(deps, start);
  const due = await deps.outbox.due(start, budget + 50);
  return deliverWithin(deps, due, budget);
}

/**
 * The queue trigger's delivery: only the messages a signal names, read by their keys (never a scan of the outbox), and
 * only those still due, oldest first, within the rate; those over it stay Pending for the sweeper and count as
 * deferred. It does not look for older deferred emails of other accounts (that is the whole-table scan it avoids): the
 * rate is the limit, and the sweeper sends what waits oldest first. A message already sent, failed, waiting for a
 * retry, leased by another sender or unknown is left alone.
 */
export async function deliverQueued(deps: DeliveryDeps, accountId: string, messageIds: string[]): Promise<DeliveryReport> {
  const start = deps.now();
  const named = await deps.outbox.getMany(accountId, [...new Set(messageIds)]);
  const due = named.filter((m) => isDue(m, start)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  // None of them due (a repeated signal, or the sweeper got there first): no need to count the rate.
  return deliverWithin(deps, due, due.length ? await rateBudget(deps, start) : 0);
}

/** How many more may be sent now: the table's count, not one instance's memory (one read of the last hour). */
async function rateBudget(deps: DeliveryDeps, now: Date): Promise<number> {
  const [lastMinute, lastHour] = await deps.outbox.sentWithin(now, [MINUTE, HOUR]);
  return Math.max(0, Math.min(deps.perMinute - lastMinute, deps.perHour - lastHour));
}

/** The first `budget` of the due messages, in their order; the rest stay due for a later run (deferred). */
async function deliverWithin(deps: DeliveryDeps, due: OutboxRecord[], budget: number): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, retrying: 0, deferred: Math.max(0, due.length - budget) };
  // A few at a time: each send waits for its operation to finish, and one slow message must not hold up the rest.
  const todo = due.slice(0, budget);
  const worker = async (): Promise<void> => {
    for (let next = todo.shift(); next; next = todo.shift()) await attempt(deps, next, report);
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, todo.length) }, worker));
  return report;
}

/** One message: lease it (another sender holding it wins), send it, record the outcome. */
async function attempt(deps: DeliveryDeps, message: OutboxRecord, report: DeliveryReport): Promise<void> {
  const now = deps.now();
  const leased = await deps.outbox.lease(message, now, new Date(now.getTime() + (deps.leaseMs ?? 5 * MINUTE)));
  if (!leased) return;
  const sent = await send(deps.sender, leased);
  if (sent.ok) {
    await deps.outbox.settle(leased, { status: 'Sent', sentAt: deps.now().toISOString(), leaseUntil: null, lastError: null });
    report.sent++;
    return;
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
