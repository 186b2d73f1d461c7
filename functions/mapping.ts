/**
 * Licence mapping of voice users to Teams users (the portal's mapping page):
 *   GET /api/accounts/{accountId}/mapping?page=1&pageSize=10   provider, admin   rows, free Teams users, licences; ETag
 *   PUT /api/accounts/{accountId}/mapping                      provider, admin   If-Match required; changes
 */
import { app } from '@azure/functions';
import { container } from '../shared/container';
import { fail, Result } from '../shared/domain/errors';
import { licenseUsage } from '../shared/domain/mapping';
import { accountRoute, AccountPathParams, ownQuery } from '../shared/http/accountRoute';
import { versionEtag, versionFromIfMatch } from '../shared/http/etag';
import { api, ApiRequest, jsonResponse, parseWith, problemResponse, readJson } from '../shared/http/api';
import { actorHeaders, ifMatchHeader, keySecurity, problemResponses, registry, unauthorized } from '../shared/http/openapi';
import { MappingPageSchema, MappingPutSchema, MappingQuerySchema, MappingSavedSchema } from '../shared/mapping/schemas';

/** A save must say which version it was based on: without it, one admin could silently undo another's work. */
function requiredVersion(req: ApiRequest): Result<number> {
  const version = versionFromIfMatch(req.request.headers.get('if-match'));
  if (version === undefined || version === 'any')
    return fail('PRECONDITION_REQUIRED', 'Send If-Match with the ETag of the mapping you read.');
  return version === 'invalid'
    ? fail('VALIDATION_FAILED', 'If-Match must be the ETag of the mapping, e.g. "3".', { header: 'if-match' })
    : { ok: true, value: version };
}

export const getMapping = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = parseWith(MappingQuerySchema, ownQuery(req.request), 'query');
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().mapping.read(id.value, query.value.page, query.value.pageSize);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, result.value, req, { etag: versionEtag(result.value.version) });
});

export const putMapping = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const version = requiredVersion(req);
  if (!version.ok) return problemResponse(version.error, req);
  const body = await readJson(req.request, MappingPutSchema);
  if (!body.ok) return problemResponse(body.error, req);
  const result = await container().mapping.save(id.value, body.value.changes, version.value);
  if (!result.ok) return problemResponse(result.error, req);
  const { summary, licenseCount } = result.value;
  return jsonResponse(
    200,
    {
      version: result.value.version,
      changed: result.value.changed,
      licenses: licenseUsage(licenseCount, summary.held),
      queuedChanges: summary.queued,
    },
    req,
    { etag: versionEtag(result.value.version) },
  );
});

app.http('getMapping', { route: 'accounts/{accountId}/mapping', methods: ['GET'], authLevel: 'function', handler: getMapping });
app.http('putMapping', { route: 'accounts/{accountId}/mapping', methods: ['PUT'], authLevel: 'function', handler: putMapping });

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
