/** The accounts routes in the OpenAPI document (the triggers are in functions/accounts.ts). */
import { AccountPathParams } from '../common';
import { actorHeaders, ifMatchHeader, keySecurity, problemResponses, registry, unauthorized } from '../registry';
import { AccountPutSchema, AccountSchema, AccountStatusSchema } from './schemas';

const security = keySecurity;
const request = { params: AccountPathParams, headers: actorHeaders };
const etagHeader = { headers: { ETag: { schema: { type: 'string' as const }, description: 'The account version, for If-Match.' } } };
registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}',
  summary: 'Create or update an account (provider). Sends the emails the change causes.',
  security,
  request: {
    ...request,
    headers: actorHeaders.merge(ifMatchHeader),
    body: { content: { 'application/json': { schema: AccountPutSchema } } },
  },
  responses: {
    200: { description: 'Updated (or unchanged)', content: { 'application/json': { schema: AccountSchema } }, ...etagHeader },
    201: { description: 'Created', content: { 'application/json': { schema: AccountSchema } }, ...etagHeader },
    ...unauthorized,
    ...problemResponses(400, 403, 409, 412, 413, 415),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}',
  summary: 'Read an account (provider, admin).',
  security,
  request,
  responses: {
    200: { description: 'The account', content: { 'application/json': { schema: AccountSchema } }, ...etagHeader },
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/status',
  summary: 'Sync status, action needed, Global Admin and licences (provider, admin).',
  security,
  request,
  responses: {
    200: { description: 'The status', content: { 'application/json': { schema: AccountStatusSchema } } },
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'delete',
  path: '/accounts/{accountId}/integration',
  summary: 'Remove the integration (provider): the Global Admin is asked to run a final sync.',
  security,
  request: { ...request, headers: actorHeaders.merge(ifMatchHeader) },
  responses: {
    202: { description: 'Removal recorded', content: { 'application/json': { schema: AccountSchema } } },
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 412),
  },
});
