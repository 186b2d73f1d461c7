/** The voice-user directory route in the OpenAPI document (the trigger is in functions/voiceUsers.ts). */
import { z } from 'zod';
import { AccountPathParams } from '../common';
import { actorHeaders, jsonAnswer, keySecurity, problemResponses, registry, responseHeaders, unauthorized } from '../registry';
import { ImportOutcomeSchema, VoiceUsersBodySchema, VoiceUsersQuerySchema } from './schemas';

registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}/voice-users',
  operationId: 'putVoiceUsers',
  summary: 'Replace the voice-user directory (provider, admin): JSON or CSV, all or nothing; every bad row is reported.',
  security: keySecurity,
  request: {
    params: AccountPathParams,
    headers: actorHeaders,
    query: VoiceUsersQuerySchema,
    body: {
      required: true,
      content: {
        'application/json': { schema: VoiceUsersBodySchema },
        'text/csv': { schema: z.string().openapi({ description: 'Header row, then one voice user per line; see docs/voice-users.md.' }) },
      },
    },
  },
  responses: {
    200: jsonAnswer('Imported', ImportOutcomeSchema, responseHeaders.etag('mapping')),
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 413, 415, 422),
  },
});
