/**
 * Licence mapping of voice users to Teams users (the portal's mapping page):
 *   GET /api/accounts/{accountId}/mapping?page=1&pageSize=10[&teamsUserSearch=]   provider, admin   rows, free Teams users, licences; ETag
 *   PUT /api/accounts/{accountId}/mapping                      provider, admin   If-Match required; changes
 */
import { app, HttpResponseInit } from '@azure/functions';
import { MappingPutSchema, MappingQuerySchema } from '../shared/api/mapping/schemas';
import { mappingSavedView } from '../shared/api/mapping/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { readQuery } from '../shared/http/query';
import { api, ApiRequest, jsonResponse, problemResponse, readJson } from '../shared/http/api';
import { requiredIfMatch, versionEtag } from '../shared/http/etag';

export async function getMapping(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = readQuery(req.request, MappingQuerySchema);
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().mapping.read(id.value, query.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, result.value, req, { etag: versionEtag(result.value.version) });
}

export async function putMapping(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const version = requiredIfMatch(req.request.headers, 'mapping');
  if (!version.ok) return problemResponse(version.error, req);
  const body = await readJson(req.request, MappingPutSchema);
  if (!body.ok) return problemResponse(body.error, req);
  const result = await container().mapping.save(id.value, body.value.changes, version.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, mappingSavedView(result.value), req, { etag: versionEtag(result.value.version) });
}

app.http('getMapping', { route: 'accounts/{accountId}/mapping', methods: ['GET'], authLevel: 'function', handler: api(getMapping) });
app.http('putMapping', { route: 'accounts/{accountId}/mapping', methods: ['PUT'], authLevel: 'function', handler: api(putMapping) });
