/**
 * Timers of the email outbox: every minute, send what is due within Communication Services' sending rate; once a
 * day, drop the records of emails finished longer ago than EMAIL_RETENTION_DAYS.
 */
import { app, InvocationContext, Timer } from '@azure/functions';
import { container } from '../shared/container';

export async function deliverOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await container().outbox.deliver();
  if (report.sent || report.failed || report.retrying || report.deferred) {
    context.log(
      `Outbox: ${report.sent} sent, ${report.retrying} to retry, ${report.failed} failed, ${report.deferred} deferred by the sending rate.`,
    );
  }
}

export async function purgeOutbox(_timer: Timer, context: InvocationContext): Promise<void> {
  const purged = await container().outbox.purgeFinished();
  context.log(`Outbox: ${purged} finished email records older than the retention removed.`);
}

app.timer('deliverOutbox', { schedule: '0 */1 * * * *', handler: deliverOutbox });
app.timer('purgeOutbox', { schedule: '0 30 3 * * *', handler: purgeOutbox });
