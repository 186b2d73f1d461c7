/**
 * Triggers of the email outbox: a queue trigger that sends the emails a change just queued, at once; a timer that
 * every minute sweeps up what is due (retries, and whatever the queue missed) within Communication Services' sending
 * rate; once a day, a timer that drops the records of emails finished longer ago than EMAIL_RETENTION_DAYS.
 */
import { app, InvocationContext, Timer } from '@azure/functions';
import { container } from '../shared/container';
import { DeliveryReport } from '../shared/email/deliverOutbox';
import { OUTBOX_QUEUE, parseOutboxSignal } from '../shared/email/outboxSignal';

const summary = (report: DeliveryReport): string =>
  `${report.sent} sent, ${report.retrying} to retry, ${report.failed} failed, ${report.deferred} deferred by the sending rate`;

/**
 * Throws only when delivery itself could not run (storage unreachable), so the host retries the message and, after
 * host.json `maxDequeueCount` tries, moves it to the poison queue; the timer sends its emails either way. A signal
 * naming emails already sent, failed or unknown is done, not retried.
 */
export async function sendOutboxMessage(entry: unknown, context: InvocationContext): Promise<void> {
  const signal = parseOutboxSignal(entry);
  if (!signal) return void context.warn('Outbox signal ignored: not an outbox signal.');
  const report = await container().outbox.deliverQueued(signal.accountId, signal.messageIds);
  context.log(`Outbox signal for account ${signal.accountId} (${signal.messageIds.length} emails): ${summary(report)}.`);
}

export async function deliverOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await container().outbox.deliver();
  if (report.sent || report.failed || report.retrying || report.deferred) {
    context.log(`Outbox: ${summary(report)}.`);
  }
}

export async function purgeOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const purged = await container().outbox.purgeFinished();
  context.log(`Outbox: ${purged} finished email records older than the retention removed.`);
}

app.storageQueue('sendOutboxMessage', { queueName: OUTBOX_QUEUE, connection: 'AzureWebJobsStorage', handler: sendOutboxMessage });
app.timer('deliverOutbox', { schedule: '0 */1 * * * *', handler: deliverOutbox });
app.timer('purgeOutbox', { schedule: '0 30 3 * * *', handler: purgeOutbox });
