/** Request and response shapes of the accounts API (validated with zod, published in the OpenAPI document). */
import { z } from 'zod';
import { displayNameProblem } from '../../domain/displayName';
import { normalizePhoneNumber } from '../../domain/phoneNumber';
import { DiscoverySummarySchema } from '../discovery/schemas';
import { registry } from '../registry';
import { RunningRunSchema } from '../sync/schemas';

const GuidSchema = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');

/** The one display-name rule (shared/domain/displayName.ts), for every name the API takes. */
const DisplayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((name, ctx) => {
      const problem = displayNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

export const GlobalAdminSchema = z
  .object({
    portalUserId: z.string().trim().min(1).max(128),
    displayName: DisplayName(200),
    email: z.string().trim().email().max(254),
  })
  .strict();

/** E.164 as the phone-number domain normalises it; anything else is refused, not rewritten. */
const MainNumberSchema = z.string().superRefine((raw, ctx) => {
  const normalized = normalizePhoneNumber(raw);
  if (!normalized.ok) ctx.addIssue({ code: 'custom', message: normalized.error.message });
  else if (normalized.value !== raw) ctx.addIssue({ code: 'custom', message: `write the main number in E.164: ${normalized.value}` });
});

export const ProviderSettingsSchema = z
  .object({
    policyPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]{1,19}$/, 'a policy prefix is 2-20 letters and digits, starting with a letter'),
    numberType: z.enum(['directRouting', 'operatorConnect']),
    mainNumber: MainNumberSchema.nullable().openapi({
      description: "The account's main number (E.164); extension-only voice users get it with their extension. Null: none.",
    }),
  })
  .partial()
  .strict();

export const AccountPutSchema = registry.register(
  'AccountPut',
  z
    .object({
      name: DisplayName(200),
      licenseCount: z.number().int().min(0).max(100000),
      globalAdmin: GlobalAdminSchema,
      tenantId: GuidSchema.nullable()
        .optional()
        .openapi({ description: "The customer's Microsoft tenant id, when the provider knows it." }),
      settings: ProviderSettingsSchema.optional(),
    })
    .strict()
    .openapi({
      example: {
        name: 'Acme Ltd',
        licenseCount: 25,
        globalAdmin: { portalUserId: 'u-100', displayName: 'Dana Admin', email: 'dana@acme.example' },
        settings: { policyPrefix: 'AcmeVoice', numberType: 'directRouting', mainNumber: '+14255550100' },
      },
    }),
);

/**
 * A union, not `.nullable()`: the generator renders a nullable registered schema as `allOf` with the reference, which
 * still refuses null; the union renders as `anyOf: [$ref, {type: 'null'}]`.
 */
const nullableDiscovery = z.union([DiscoverySummarySchema, z.null()]);

export const AccountSchema = registry.register(
  'Account',
  z.object({
    accountId: z.string(),
    name: z.string(),
    licenseCount: z.number().int(),
    globalAdmin: GlobalAdminSchema,
    tenantId: z.string().nullable(),
    settings: z.object({
      policyPrefix: z.string(),
      numberType: z.enum(['directRouting', 'operatorConnect']),
      mainNumber: z.string().nullable(),
    }),
    state: z.enum(['invited', 'consented', 'active', 'removalPending', 'removed']),
    actionNeeded: z.enum(['none', 'activate', 'sync', 'finalSync']),
    version: z.number().int().openapi({ description: 'Also sent as the ETag; send it back in If-Match to update safely.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    discovery: nullableDiscovery
      .optional()
      .openapi({ description: 'The latest tenant discovery (on GET only); null before the first one.' }),
  }),
);

export const AccountStatusSchema = registry.register(
  'AccountStatus',
  z.object({
    accountId: z.string(),
    state: z.enum(['invited', 'consented', 'active', 'removalPending', 'removed']),
    actionNeeded: z.enum(['none', 'activate', 'sync', 'finalSync']),
    lastSync: z.object({ at: z.string(), status: z.string() }).nullable(),
    globalAdmin: z.object({ portalUserId: z.string(), displayName: z.string(), email: z.string(), microsoftIdentityBound: z.boolean() }),
    licenses: z.object({ total: z.number().int(), held: z.number().int(), available: z.number().int() }),
    queuedChanges: z.number().int(),
    runningRunId: z.string().nullable().openapi({ description: 'The sync run in progress, or null.' }),
    runningRun: z
      .union([RunningRunSchema, z.null()])
      .openapi({ description: 'The sync run in progress with its stage and counts, or null (same run as runningRunId).' }),
    discovery: nullableDiscovery.openapi({ description: 'The latest tenant discovery; null before the first one.' }),
  }),
);

export type AccountPut = z.infer<typeof AccountPutSchema>;
