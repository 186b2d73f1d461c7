/** Timer: sends due outbox emails every minute, within Communication Services' sending rate. */
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
