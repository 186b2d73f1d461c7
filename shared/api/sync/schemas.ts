/** Sync run shapes of the API (zod, published in the OpenAPI document). */
import { z } from 'zod';
import { SYNC_RUN_STATUSES, SYNC_STAGES, SYNC_TRIGGERS, SyncRunStatus, SyncStage, SyncTrigger } from '../../domain/syncRun';
import { AccountPathParams } from '../common';
import { registry } from '../registry';

/** Run ids are GUIDs (the orchestration's newGuid), checked before one is used in a storage query. */
export const SyncRunPathParams = AccountPathParams.extend({
  runId: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'a sync run id is a GUID')
    .openapi({ example: '3f2b8c1e-5d4a-4e7b-9c2d-1a0b9e8f7c6d' }),
});

export const SyncRunsQuerySchema = z
  .object({
    page: z.coerce.number().int().min(1).max(100000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

const StatusSchema = z.enum(SYNC_RUN_STATUSES as [SyncRunStatus, ...SyncRunStatus[]]);
const StageSchema = z.enum(SYNC_STAGES as unknown as [SyncStage, ...SyncStage[]]);

export const SyncCountsSchema = registry.register(
  'SyncCounts',
  z.object({
    planned: z.number().int().openapi({ description: 'Operations the plan holds.' }),
    applied: z.number().int(),
    failed: z.number().int().openapi({ description: 'Operations Microsoft refused; the others went on.' }),
    left: z.number().int().openapi({ description: 'Operations not attempted; they wait for the next sync.' }),
  }),
);

export const SyncRunSchema = registry.register(
  'SyncRun',
  z
    .object({
      runId: z.string(),
      accountId: z.string(),
      trigger: z.enum(SYNC_TRIGGERS as [SyncTrigger, ...SyncTrigger[]]).openapi({
        description: 'Where the Global Admin started it: the portal, an email link or the integration page.',
      }),
      startedBy: z.string().openapi({ description: "The Global Admin's portal user id." }),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      status: StatusSchema,
      stage: StageSchema.openapi({ description: 'The stage reached; for a failed run, the stage it failed in.' }),
      counts: SyncCountsSchema,
      deadline: z.string().openapi({ description: 'Earliest token expiry minus a safety margin: no work starts after it.' }),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
      verification: z
        .object({
          status: z.enum(['verifying', 'effective', 'notEffective']).openapi({
            description:
              'verifying: Teams does not show every applied change to its user yet; effective: it does; notEffective: the verification window (2 hours) ended with some users still not showing them (NOT_EFFECTIVE_AFTER_2H on their mapping rows).',
          }),
          users: z.number().int().openapi({ description: 'Users the run changed and applied.' }),
          effective: z.number().int(),
          notEffective: z.number().int(),
          until: z.string().openapi({ description: 'When the verification gives up on the users not effective yet.' }),
          checkedAt: z.string(),
        })
        .nullable()
        .openapi({
          description:
            'After a run that applied changes: the post-sync verification. null before it starts or when there is nothing to verify.',
        }),
    })
    .openapi({ description: 'One sync run of the account.' }),
);

export const SyncRunsPageSchema = registry.register(
  'SyncRunsPage',
  z.object({
    accountId: z.string(),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int().openapi({ description: 'Runs of the account over all pages.' }),
    totalPages: z.number().int(),
    runs: z.array(SyncRunSchema).openapi({ description: 'Newest first.' }),
  }),
);

/** What /status shows of the run in progress. */
export const RunningRunSchema = registry.register(
  'RunningSyncRun',
  z.object({ runId: z.string(), stage: StageSchema, startedAt: z.string(), deadline: z.string(), counts: SyncCountsSchema }),
);

const OPERATION_KINDS = [
  'unassignNumber',
  'assignNumber',
  'grantVoiceRoutingPolicy',
  'grantCallingPolicy',
  'revokeVoiceRoutingPolicy',
  'revokeCallingPolicy',
] as const;

const PlannedOperationSchema = z
  .object({
    kind: z.enum(OPERATION_KINDS),
    telephoneNumber: z.string().optional().openapi({ description: '`+E164`, with `;ext=N` for an extension (number operations).' }),
    numberType: z.enum(['directRouting', 'operatorConnect']).optional(),
    policyName: z.string().optional().openapi({ description: 'The policy granted (grants).' }),
    before: z.string().nullable().optional().openapi({ description: 'What the user has now (policy operations).' }),
  })
  .openapi({ description: 'One change the sync would make on one Teams user.' });

export const SyncPlanSchema = registry.register(
  'SyncPlan',
  z
    .object({
      accountId: z.string(),
      computedAt: z.string(),
      summary: z.object({
        usersChanged: z.number().int().openapi({ description: 'Teams users the sync would change.' }),
        usersRefused: z.number().int().openapi({ description: 'Teams users it would refuse, each with a code.' }),
        operations: z.record(z.enum(OPERATION_KINDS), z.number().int()).openapi({ description: 'Operations by kind.' }),
        refusals: z.record(z.string(), z.number().int()).openapi({ description: 'Refused users by code.' }),
      }),
      users: z.array(
        z.object({
          teamsUserId: z.string(),
          voiceUserIds: z.array(z.string()),
          role: z.enum(['mapped', 'unmapped']),
          outcome: z.enum(['planned', 'refused']),
          operations: z.array(PlannedOperationSchema),
          error: z.object({ code: z.string(), message: z.string() }).nullable(),
        }),
      ),
    })
    .openapi({
      description:
        "What the next sync would change, read now from the tenant with the app's own permissions; users already right are left out.",
    }),
);

export const ActivityQuerySchema = z
  .object({
    runId: SyncRunPathParams.shape.runId.optional().openapi({ description: "The run; the account's latest when absent." }),
    page: z.coerce.number().int().min(1).max(100000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const ActivityPageSchema = registry.register(
  'ActivityPage',
  z.object({
    accountId: z.string(),
    runId: z.string().nullable().openapi({ description: 'The run listed; null when the account has no run yet.' }),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
    totalPages: z.number().int(),
    entries: z
      .array(
        z.object({
          entryId: z.string(),
          at: z.string(),
          teamsUserId: z.string(),
          voiceUserIds: z.array(z.string()),
          kind: z.string().openapi({
            description:
              'An operation kind (as in the sync plan), `refused`, or `effective` (the post-sync verification: succeeded when Teams showed the user every change applied to them, at `at`; failed with NOT_EFFECTIVE_AFTER_2H when it never did).',
          }),
          target: z.string().nullable().openapi({ description: 'The telephone number or policy name.' }),
          before: z.string().nullable(),
          after: z.string().nullable(),
          result: z.enum(['succeeded', 'failed', 'refused', 'notAttempted']),
          clientRequestId: z
            .string()
            .nullable()
            .openapi({ description: 'Our client-request-id of the last call (for Microsoft support).' }),
          requestId: z.string().nullable().openapi({ description: "Microsoft's request-id of the last call." }),
          error: z.object({ code: z.string(), message: z.string() }).nullable(),
        }),
      )
      .openapi({ description: 'In plan order: one entry per operation, or per refused user.' }),
  }),
);
