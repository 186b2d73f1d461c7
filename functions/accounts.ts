/**
 * Accounts API for the provider's portal backend:
 *   PUT    /api/accounts/{accountId}              provider          create or update (If-Match optional)
 *   GET    /api/accounts/{accountId}              provider, admin   the account (ETag = version)
 *   GET    /api/accounts/{accountId}/status       provider, admin   sync status, GA, licences
 *   DELETE /api/accounts/{accountId}/integration  provider          remove the integration (final sync)
 */
import { app, HttpResponseInit } from '@azure/functions';
import { AccountPutSchema, AccountSchema, AccountStatusSchema } from '../shared/accounts/schemas';
import { accountView, etagOf, statusView } from '../shared/accounts/views';
import { IfMatch, versionFromIfMatch } from '../shared/http/etag';
import { container } from '../shared/container';
import { accountRoute, AccountPathParams } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, problemResponse, readJson } from '../shared/http/api';
import { actorHeaders, ifMatchHeader, keySecurity, problemResponses, registry, unauthorized } from '../shared/http/openapi';
import { DomainError, Result } from '../shared/domain/errors';

function ifMatch(req: ApiRequest): Result<IfMatch> {
  const version = versionFromIfMatch(req.request.headers.get('if-match'));
  if (version === 'invalid') {
    return {
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'If-Match must be an ETag from this API, e.g. "3".', details: { header: 'if-match' } },
    };
  }
  return { ok: true, value: version };
}

const problem = (req: ApiRequest, error: DomainError): HttpResponseInit => problemResponse(error, req);

export const putAccount = api(async (req) => {
  const id = accountRoute(req, ['provider']);
  if (!id.ok) return problem(req, id.error);
  const version = ifMatch(req);
  if (!version.ok) return problem(req, version.error);
  const body = await readJson(req.request, AccountPutSchema);
  if (!body.ok) return problem(req, body.error);
  const result = await container().accounts.upsert(id.value, body.value, version.value);
  if (!result.ok) return problem(req, result.error);
  const { account, created } = result.value;
  return jsonResponse(created ? 201 : 200, accountView(account), req, {
    etag: etagOf(account),
    ...(created ? { location: `/api/accounts/${encodeURIComponent(account.accountId)}` } : {}),
  });
});

export const getAccount = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problem(req, id.error);
  const result = await container().accounts.get(id.value);
  if (!result.ok) return problem(req, result.error);
  const [discovery, mapping] = await Promise.all([container().discovery.status(id.value), container().mapping.summary(id.value)]);
  return jsonResponse(200, accountView(result.value, discovery ?? null, mapping), req, { etag: etagOf(result.value) });
});

export const getStatus = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problem(req, id.error);
  const result = await container().accounts.get(id.value);
  if (!result.ok) return problem(req, result.error);
  const [discovery, mapping] = await Promise.all([container().discovery.status(id.value), container().mapping.summary(id.value)]);
  return jsonResponse(200, statusView(result.value, discovery, mapping), req, { etag: etagOf(result.value) });
});

export const deleteIntegration = api(async (req) => {
  const id = accountRoute(req, ['provider']);
  if (!id.ok) return problem(req, id.error);
  const version = ifMatch(req);
  if (!version.ok) return problem(req, version.error);
  const result = await container().accounts.remove(id.value, version.value);
  if (!result.ok) return problem(req, result.error);
  return jsonResponse(202, accountView(result.value), req, { etag: etagOf(result.value) });
});

app.http('putAccount', { route: 'accounts/{accountId}', methods: ['PUT'], authLevel: 'function', handler: putAccount });
app.http('getAccount', { route: 'accounts/{accountId}', methods: ['GET'], authLevel: 'function', handler: getAccount });
app.http('getAccountStatus', { route: 'accounts/{accountId}/status', methods: ['GET'], authLevel: 'function', handler: getStatus });
app.http('deleteIntegration', {
  route: 'accounts/{accountId}/integration',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: deleteIntegration,
});

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
