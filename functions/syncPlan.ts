/**
 * The sync preview for the provider's portal backend:
 *   GET /api/accounts/{accountId}/sync-plan   provider, admin   what the next sync would change, read now
 */
import { app, HttpResponseInit } from '@azure/functions';
import { syncPlanView } from '../shared/api/sync/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, problemResponse } from '../shared/http/api';

export async function getSyncPlan(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const result = await container().sync.preview(id.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, syncPlanView(id.value, result.value), req);
}

app.http('getSyncPlan', {
  route: 'accounts/{accountId}/sync-plan',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getSyncPlan),
});
