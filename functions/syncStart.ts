/**
 * Starting a sync from the provider's portal:
 *   POST /api/accounts/{accountId}/sync   the account's Global Admin only   → { url, expiresAt }
 * The URL opens our integration page ready to sync (a short-lived signed link); the sync itself is authorised by the
 * GA's Microsoft sign-in from there.
 */
import { app, HttpResponseInit } from '@azure/functions';
import { container } from '../shared/container';
import { readActor } from '../shared/http/actor';
import { accountRoute } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, problemResponse } from '../shared/http/api';

export async function requestSync(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin', 'user']);
  if (!id.ok) return problemResponse(id.error, req);
  const actor = readActor(req.request.headers);
  if (!actor.ok) return problemResponse(actor.error, req);
  const result = await container().sync.requestLink(id.value, actor.value.id);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, result.value, req);
}

app.http('requestSync', {
  route: 'accounts/{accountId}/sync',
  methods: ['POST'],
  authLevel: 'function',
  handler: api(requestSync),
});
