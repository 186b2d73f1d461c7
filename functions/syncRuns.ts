/**
 * Sync runs for the provider's portal backend:
 *   GET /api/accounts/{accountId}/sync-runs?page=1&pageSize=20   provider, admin   newest first
 *   GET /api/accounts/{accountId}/sync-runs/{runId}              provider, admin   one run
 */
import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { SyncRunPathParams, SyncRunsQuerySchema } from '../shared/api/sync/schemas';
import { syncRunsPageView, syncRunView } from '../shared/api/sync/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, parseWith, problemResponse } from '../shared/http/api';
import { readQuery } from '../shared/http/query';

export async function getSyncRuns(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = readQuery(req.request, SyncRunsQuerySchema);
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().sync.listRuns(id.value, query.value.page, query.value.pageSize);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, syncRunsPageView(result.value), req);
}

export async function getSyncRun(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const params = parseWith(SyncRunPathParams, (req.request as HttpRequest).params, 'path');
  if (!params.ok) return problemResponse(params.error, req);
  const result = await container().sync.getRun(id.value, params.value.runId);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, syncRunView(result.value), req);
}

app.http('getSyncRuns', {
  route: 'accounts/{accountId}/sync-runs',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getSyncRuns),
});
app.http('getSyncRun', {
  route: 'accounts/{accountId}/sync-runs/{runId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getSyncRun),
});
