/**
 * Discovered Teams users for the provider's portal backend:
 *   GET /api/accounts/{accountId}/teams-users?filter=all|eligible|resourceAccounts&includeGone=false&page=1&pageSize=100
 * (provider, admin). Users come from the account's last discovery; the mapping drop-down uses filter=eligible.
 */
import { app, HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { AccountIdSchema } from '../shared/accounts/schemas';
import { container } from '../shared/container';
import { TeamsUsersPageSchema, TeamsUsersQuerySchema } from '../shared/discovery/schemas';
import { teamsUsersPageView } from '../shared/discovery/views';
import { Result } from '../shared/domain/errors';
import { authorize, readActor } from '../shared/http/actor';
import { api, ApiRequest, jsonResponse, parseWith, problemResponse } from '../shared/http/api';
import { actorHeaders, keySecurity, problemResponses, registry, unauthorized } from '../shared/http/openapi';

const PathParams = z.object({ accountId: AccountIdSchema });

function guard(req: ApiRequest): Result<string> {
  const params = parseWith(PathParams, (req.request as HttpRequest).params, 'path');
  if (!params.ok) return params;
  const actor = readActor(req.request.headers);
  if (!actor.ok) return actor;
  const allowed = authorize(actor.value, params.value.accountId, ['provider', 'admin']);
  return allowed.ok ? { ok: true, value: params.value.accountId } : allowed;
}

export const getTeamsUsers = api(async (req) => {
  const id = guard(req);
  if (!id.ok) return problemResponse(id.error, req);
  // `code` is the Functions key when sent in the query string, not one of ours.
  const given = Object.fromEntries([...req.request.query.entries()].filter(([name]) => name !== 'code'));
  const query = parseWith(TeamsUsersQuerySchema, given, 'query');
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
  request: { params: PathParams, headers: actorHeaders, query: TeamsUsersQuerySchema },
  responses: {
    200: { description: 'A page of Teams users and the counts', content: { 'application/json': { schema: TeamsUsersPageSchema } } },
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
