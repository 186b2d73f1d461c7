/** The mapping routes in the OpenAPI document (the triggers are in functions/mapping.ts). */
import { AccountPathParams } from '../common';
import { actorHeaders, ifMatchHeader, keySecurity, problemResponses, registry, unauthorized } from '../registry';
import { MappingPageSchema, MappingPutSchema, MappingQuerySchema, MappingSavedSchema } from './schemas';

const etagHeader = { headers: { ETag: { schema: { type: 'string' as const }, description: 'The mapping version, for If-Match.' } } };
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/mapping',
  summary: 'A page of voice users with their mapping and pending state, the free eligible Teams users, licences (provider, admin).',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: MappingQuerySchema },
  responses: {
    200: { description: 'The mapping page', content: { 'application/json': { schema: MappingPageSchema } }, ...etagHeader },
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}/mapping',
  summary: 'Save mapping changes (provider, admin): checked against licences and eligibility, queued for the next sync.',
  security: keySecurity,
  request: {
    params: AccountPathParams,
    headers: actorHeaders.merge(ifMatchHeader),
    body: { content: { 'application/json': { schema: MappingPutSchema } } },
  },
  responses: {
    200: { description: 'Saved (or nothing to change)', content: { 'application/json': { schema: MappingSavedSchema } }, ...etagHeader },
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 412, 415, 422, 428),
  },
});
