/**
 * Discovered Teams users for the provider's portal backend:
 *   GET /api/accounts/{accountId}/teams-users?filter=all|eligible|resourceAccounts&includeGone=false&page=1&pageSize=100
 * (provider, admin). Users come from the account's last discovery; the mapping drop-down uses filter=eligible.
 */
import { app } from '@azure/functions';
import { container } from '../shared/container';
import { TeamsUsersPageSchema, TeamsUsersQuerySchema } from '../shared/discovery/schemas';
import { teamsUsersPageView } from '../shared/discovery/views';
import { accountRoute, AccountPathParams, ownQuery } from '../shared/http/accountRoute';
import { api, jsonResponse, parseWith, problemResponse } from '../shared/http/api';
import { actorHeaders, keySecurity, problemResponses, registry, unauthorized } from '../shared/http/openapi';

export const getTeamsUsers = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = parseWith(TeamsUsersQuerySchema, ownQuery(req.request), 'query');
  if (!query.ok) return problemResponse(query.error, req);
  const result = await container().discovery.teamsUsers(id.value, query.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, teamsUsersPageView(result.value), req);
});

app.http('getTeamsUsers', { route: 'accounts/{accountId}/teams-users', methods: ['GET'], authLevel: 'function', handler: getTeamsUsers });

registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/teams-users',
  summary: 'Teams users found by the last discovery, filtered and paged (provider, admin). Sorted by display name.',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: TeamsUsersQuerySchema },
  responses: {
    200: { description: 'A page of Teams users and the counts', content: { 'application/json': { schema: TeamsUsersPageSchema } } },
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
