/**
 * The sync preview for the provider's portal backend:
 *   GET /api/accounts/{accountId}/sync-plan                 provider, admin   what the next sync would change, read now
 *   GET /api/accounts/{accountId}/activity?runId=&page=     provider, admin   what a run did, per operation
 */
import { app, HttpResponseInit } from '@azure/functions';
import { ActivityQuerySchema } from '../shared/api/sync/schemas';
import { activityView, syncPlanView } from '../shared/api/sync/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, problemResponse } from '../shared/http/api';
import { readQuery } from '../shared/http/query';

export async function getSyncPlan(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const result = await container().sync.preview(id.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, syncPlanView(id.value, result.value), req);
}

export async function getActivity(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = readQuery(req.request, ActivityQuerySchema);
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().sync.activity(id.value, query.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, activityView(result.value), req);
}

app.http('getSyncPlan', {
  route: 'accounts/{accountId}/sync-plan',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getSyncPlan),
});
app.http('getActivity', {
  route: 'accounts/{accountId}/activity',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getActivity),
});
