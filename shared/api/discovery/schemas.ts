/** Discovery shapes of the API (zod, published in the OpenAPI document). */
import { z } from 'zod';
import { registry } from '../registry';

const CountsSchema = z.object({
  users: z
    .number()
    .int()
    .openapi({ description: 'Users in the tenant at the last discovery (resource accounts and disabled users included).' }),
  eligible: z.number().int().openapi({ description: 'Enabled users with an active Teams Phone plan and no Calling Plan.' }),
  callingPlan: z.number().int().openapi({ description: 'Users holding an active Microsoft Calling Plan.' }),
  resourceAccounts: z.number().int(),
  gone: z.number().int().openapi({ description: 'Users seen before and no longer in the tenant.' }),
});

export const DiscoverySummarySchema = registry.register(
  'DiscoverySummary',
  z
    .object({
      discoveryId: z.string(),
      status: z.enum(['running', 'succeeded', 'failed']),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      progress: z.object({ pagesRead: z.number().int(), usersSeen: z.number().int() }),
      counts: CountsSchema.nullable(),
      licences: z
        .array(
          z.object({
            skuId: z.string(),
            skuPartNumber: z.string(),
            enabled: z.number().int(),
            consumed: z.number().int(),
            available: z.number().int(),
          }),
        )
        .nullable()
        .openapi({ description: "The tenant's subscribed SKUs (Graph subscribedSkus): enabled, assigned and unassigned units." }),
      tenant: z
        .object({ displayName: z.string().nullable(), defaultDomain: z.string().nullable() })
        .nullable()
        .openapi({ description: "The tenant's name and default domain (Graph organization); null until read." }),
      error: z
        .object({
          code: z.string().openapi({
            description:
              'DISCOVERY_NOT_CONSENTED, DISCOVERY_FORBIDDEN, DISCOVERY_THROTTLED, DISCOVERY_STALLED, TENANT_MISMATCH or DISCOVERY_FAILED.',
          }),
          message: z.string(),
        })
        .nullable(),
    })
    .openapi({ description: "The account's latest tenant discovery (app-only Microsoft Graph read of users and licences)." }),
);

const booleanText = z.enum(['true', 'false']);

export const TeamsUsersQuerySchema = z
  .object({
    filter: z
      .enum(['all', 'eligible', 'resourceAccounts'])
      .default('all')
      .openapi({ description: 'eligible: users the mapping may use; resourceAccounts: auto attendant and call queue accounts.' }),
    includeGone: booleanText
      .default('false')
      .transform((v) => v === 'true')
      .openapi({ description: 'Also list users no longer in the tenant (marked gone, kept).' }),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const TeamsUserSchema = registry.register(
  'TeamsUser',
  z.object({
    id: z.string().openapi({ description: 'Microsoft Entra object id of the user.' }),
    displayName: z.string().nullable(),
    userPrincipalName: z.string().nullable(),
    mail: z.string().nullable(),
    department: z.string().nullable(),
    accountEnabled: z.boolean(),
    eligible: z.boolean(),
    ineligibleReason: z.enum(['resourceAccount', 'accountDisabled', 'noTeamsPhone', 'callingPlan']).nullable(),
    teamsPhoneStatus: z
      .string()
      .nullable()
      .openapi({ description: 'capabilityStatus of the Teams Phone plan (Enabled, Warning = grace period, Suspended, …).' }),
    callingPlan: z.boolean(),
    resourceAccount: z.boolean(),
    resourceAccountKind: z
      .enum(['autoAttendant', 'callQueue', 'unknown'])
      .nullable()
      .openapi({ description: 'Auto attendant vs call queue is not visible to app-only Graph: unknown from discovery.' }),
    gone: z.boolean(),
    goneSince: z.string().nullable(),
    lastSeenAt: z.string(),
  }),
);

export const TeamsUsersPageSchema = registry.register(
  'TeamsUsersPage',
  z.object({
    accountId: z.string(),
    discovery: z
      .object({ discoveryId: z.string(), status: z.enum(['running', 'succeeded', 'failed']), finishedAt: z.string().nullable() })
      .nullable(),
    filter: z.enum(['all', 'eligible', 'resourceAccounts']),
    includeGone: z.boolean(),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int().openapi({ description: 'Users matching the filter, over all pages.' }),
    totalPages: z.number().int(),
    counts: CountsSchema,
    users: z.array(TeamsUserSchema),
  }),
);
