/** The sync run routes in the OpenAPI document (the triggers are in functions/syncRuns.ts). */
import { AccountPathParams } from '../common';
import { actorHeaders, jsonAnswer, keySecurity, problemResponses, registry, unauthorized } from '../registry';
import {
  ActivityPageSchema,
  ActivityQuerySchema,
  SyncPlanSchema,
  SyncRunPathParams,
  SyncRunSchema,
  SyncRunsPageSchema,
  SyncRunsQuerySchema,
} from './schemas';

registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/sync-runs',
  operationId: 'getSyncRuns',
  summary: "A page of the account's sync runs, newest first (provider, admin).",
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: SyncRunsQuerySchema },
  responses: {
    200: jsonAnswer('A page of sync runs', SyncRunsPageSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/sync-runs/{runId}',
  operationId: 'getSyncRun',
  summary: 'One sync run: status, stage, counts, deadline and error (provider, admin).',
  security: keySecurity,
  request: { params: SyncRunPathParams, headers: actorHeaders },
  responses: {
    200: jsonAnswer('The sync run', SyncRunSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/sync-plan',
  operationId: 'getSyncPlan',
  summary: 'What the next sync would change, per Teams user, read now from the tenant (provider, admin).',
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders },
  responses: {
    200: jsonAnswer('The plan of the next sync', SyncPlanSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 502, 503),
  },
});
registry.registerPath({
  method: 'get',
  path: '/accounts/{accountId}/activity',
  operationId: 'getActivity',
  summary: "A page of a sync run's activity log: one entry per operation or refused user (provider, admin).",
  security: keySecurity,
  request: { params: AccountPathParams, headers: actorHeaders, query: ActivityQuerySchema },
  responses: {
    200: jsonAnswer('A page of the activity log', ActivityPageSchema),
    ...unauthorized,
    ...problemResponses(400, 403, 404),
  },
});
