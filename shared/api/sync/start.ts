/** POST /accounts/{accountId}/sync in the OpenAPI document (the trigger is in functions/syncStart.ts). */
import { z } from 'zod';
import { AccountPathParams } from '../common';
import { actorHeaders, jsonAnswer, keySecurity, problemResponses, registry, unauthorized } from '../registry';

export const SyncLinkSchema = registry.register(
  'SyncLink',
  z.object({
    url: z.string().url().openapi({
      description: "Our integration page, ready to sync: open it in the Global Admin's browser; it goes on to Microsoft's sign-in.",
    }),
    expiresAt: z.string().datetime().openapi({ description: 'The link opens nothing after this (minutes from now).' }),
  }),
);

registry.registerPath({
  method: 'post',
  path: '/accounts/{accountId}/sync',
  operationId: 'requestSync',
  summary: "A short-lived link that starts a sync; only for the account's Global Admin (x-actor-id = their portal user id).",
  description:
    'Answers 403 NOT_SYNC_ADMIN for any other actor 409 SYNC_NOT_AVAILABLE while the account is not active (or removal pending), and 409 SYNC_RUNNING (with runId) while a run of the account runs.',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders },
  responses: {
    200: jsonAnswer('The sync link', SyncLinkSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409),
  },
});
