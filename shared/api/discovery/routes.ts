/** The discovered Teams users route in the OpenAPI document (the trigger is in functions/teamsUsers.ts). */
import { AccountPathParams } from '../common';
import { actorHeaders, jsonAnswer, keySecurity, problemResponses, registry, unauthorized } from '../registry';
import { TeamsUsersPageSchema, TeamsUsersQuerySchema } from './schemas';

registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/teams-users',
  operationId: 'getTeamsUsers',
  summary: 'Teams users found by the last discovery, filtered and paged (provider, admin). Sorted by display name.',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: TeamsUsersQuerySchema },
  responses: {
    200: jsonAnswer('A page of Teams users and the counts', TeamsUsersPageSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
