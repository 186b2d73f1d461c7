/** The accounts routes in the OpenAPI document (the triggers are in functions/accounts.ts). */
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
import { AccountPutSchema, AccountSchema, AccountStatusSchema } from './schemas';

const security = keySecurity;
const request = { params: AccountPathParams, headers: actorHeaders };
const etag = responseHeaders.etag('account');
registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}',
  operationId: 'putAccount',
  summary: 'Create or update an account (provider). Sends the emails the change causes.',
  security,
  request: {
    ...request,
    headers: actorHeaders.merge(ifMatchHeader),
    body: { required: true, content: { 'application/json': { schema: AccountPutSchema } } },
  },
  responses: {
    200: jsonAnswer('Updated (or unchanged)', AccountSchema, etag),
    201: jsonAnswer('Created', AccountSchema, { ...etag, ...responseHeaders.location }),
    ...unauthorized,
    ...problemResponses(400, 403, 409, 412, 413, 415),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}',
  operationId: 'getAccount',
  summary: 'Read an account (provider, admin).',
  security,
  request,
  responses: {
    200: jsonAnswer('The account', AccountSchema, etag),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/status',
  operationId: 'getAccountStatus',
  summary: 'Sync status, action needed, Global Admin and licences (provider, admin).',
  security,
  request,
  responses: {
    200: jsonAnswer('The status', AccountStatusSchema, etag),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'delete',
  path: '/accounts/{accountId}/integration',
  operationId: 'deleteIntegration',
  summary: 'Remove the integration (provider): the Global Admin is asked to run a final sync.',
  security,
  request: { ...request, headers: actorHeaders.merge(ifMatchHeader) },
  responses: {
    202: jsonAnswer('Removal recorded', AccountSchema, etag),
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 412),
  },
});
