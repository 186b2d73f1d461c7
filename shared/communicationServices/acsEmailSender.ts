/** EmailSender on Azure Communication Services Email (the same code against the local simulator). */
import { EmailClient, KnownEmailSendStatus } from '@azure/communication-email';
import { isRestError, RestError } from '@azure/core-rest-pipeline';
import { fail, failTransient, ok } from '../domain/errors';
import { EmailSender } from '../email/ports';

function retryAfterMs(err: RestError): number | undefined {
  const header = err.response?.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

export function acsEmailSender(connectionString: string, senderAddress: string, pollIntervalMs = 2000): EmailSender {
  // Few SDK retries: the outbox retries with backoff across runs and keeps the attempts visible.
  const client = new EmailClient(connectionString, { retryOptions: { maxRetries: 1 } });
  return {
    async send(message, operationId) {
      try {
        const poller = await client.beginSend(
          {
            senderAddress,
            content: { subject: message.subject, html: message.html, plainText: message.text },
            recipients: { to: [{ address: message.to.address, displayName: message.to.displayName }] },
            headers: { 'x-outbox-message-id': message.id },
            disableUserEngagementTracking: true,
          },
          { operationId, updateIntervalInMs: pollIntervalMs },
        );
        try {
          const result = await poller.pollUntilDone();
          if (result.status === KnownEmailSendStatus.Succeeded) return ok(undefined);
          return fail('EMAIL_SEND_FAILED', `${result.status}: ${result.error?.message ?? 'no reason given'}`);
        } catch (err) {
          // The poller throws when the operation ends Failed or Canceled: that is the service's final word.
          const state = poller.getOperationState();
          if (state.status === 'failed' || state.status === 'canceled') {
            const reason = state.result?.error?.message ?? state.error?.message ?? (err as Error).message;
            return fail('EMAIL_SEND_FAILED', `${state.status === 'failed' ? 'Failed' : 'Canceled'}: ${reason}`);
          }
          throw err;
        }
      } catch (err) {
        if (isRestError(err)) {
          const status = err.statusCode ?? 0;
          const transient = status === 0 || status === 408 || status === 429 || status >= 500;
          const message = `Communication Services answered ${status || 'nothing'}: ${err.message}`;
          return transient
            ? failTransient('EMAIL_SEND_FAILED', message, { retryAfterMs: retryAfterMs(err) })
            : fail('EMAIL_SEND_FAILED', message);
        }
        // Anything else (a network fault, a timeout): worth another attempt.
        return failTransient('EMAIL_SEND_FAILED', err instanceof Error ? err.message : String(err));
      }
    },
  };
}
