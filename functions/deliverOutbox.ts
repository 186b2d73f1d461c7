/**
 * Timers of the email outbox: every minute, send what is due within Communication Services' sending rate; once a
 * day, drop the records of emails finished longer ago than EMAIL_RETENTION_DAYS.
 */
import { app, InvocationContext } from '@azure/functions';
import { container } from '../shared/container';

app.timer('deliverOutbox', {
  schedule: '0 */1 * * * *',
  handler: async (_timer, context: InvocationContext) => {
    const report = await container().outbox.deliver();
    if (report.sent || report.failed || report.retrying || report.deferred) {
      context.log(
        `Outbox: ${report.sent} sent, ${report.retrying} to retry, ${report.failed} failed, ${report.deferred} deferred by the sending rate.`,
      );
    }
  },
});

app.timer('purgeOutbox', {
  schedule: '0 30 3 * * *',
  handler: async (_timer, context: InvocationContext) => {
    const purged = await container().outbox.purgeFinished();
    context.log(`Outbox: ${purged} finished email records older than the retention removed.`);
  },
});
