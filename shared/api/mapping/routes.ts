/** The mapping routes in the OpenAPI document (the triggers are in functions/mapping.ts). */
import { AccountPathParams } from '../common';
import {
  actorHeaders,
  ifMatchHeader,
  jsonAnswer,
  keySecurity,
  problemResponses,
  registry,
  responseHeaders,
  unauthorized,
} from '../registry';
import { MappingPageSchema, MappingPutSchema, MappingQuerySchema, MappingSavedSchema } from './schemas';

const etag = responseHeaders.etag('mapping');
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/mapping',
  operationId: 'getMapping',
  summary: 'A page of voice users with their mapping and pending state, the free eligible Teams users, licences (provider, admin).',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: MappingQuerySchema },
  responses: {
    200: jsonAnswer('The mapping page', MappingPageSchema, etag),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}/mapping',
  operationId: 'putMapping',
  summary: 'Save mapping changes (provider, admin): checked against licences and eligibility, queued for the next sync.',
  security: keySecurity,
  request: {
    params: AccountPathParams,
    headers: actorHeaders.merge(ifMatchHeader),
    body: { required: true, content: { 'application/json': { schema: MappingPutSchema } } },
  },
  responses: {
    200: jsonAnswer('Saved (or nothing to change)', MappingSavedSchema, etag),
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 412, 415, 422, 428),
  },
});
