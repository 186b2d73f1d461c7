/**
 * Discovered Teams users for the provider's portal backend:
 *   GET /api/accounts/{accountId}/teams-users?filter=all|eligible|resourceAccounts&includeGone=false&page=1&pageSize=100
 * (provider, admin). Users come from the account's last discovery; the mapping drop-down uses filter=eligible.
 */
import { app, HttpResponseInit } from '@azure/functions';
import { TeamsUsersQuerySchema } from '../shared/api/discovery/schemas';
import { teamsUsersPageView } from '../shared/api/discovery/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { readQuery } from '../shared/http/query';
import { api, ApiRequest, jsonResponse, problemResponse } from '../shared/http/api';

export async function getTeamsUsers(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = readQuery(req.request, TeamsUsersQuerySchema);
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().discovery.teamsUsers(id.value, query.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, teamsUsersPageView(result.value), req);
}

app.http('getTeamsUsers', {
  route: 'accounts/{accountId}/teams-users',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getTeamsUsers),
});
