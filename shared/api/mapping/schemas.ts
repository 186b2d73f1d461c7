/** Request and response shapes of the mapping routes (validation and the OpenAPI document). */
import { z } from 'zod';
import { AVAILABLE_TEAMS_USERS, MAX_CHANGES_PER_SAVE } from '../../domain/mapping';
import { registry } from '../registry';
import { VoiceUserId, VoiceUserSchema } from '../voiceUsers/schemas';

/** A Microsoft Entra object id: a GUID (checked before it is used as a storage key). */
const TeamsUserId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    'a Teams user id is the Microsoft Entra object id (a GUID)',
  );

export const MappingQuerySchema = z
  .object({
    page: z.coerce.number().int().min(1).max(100000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(10),
    teamsUserSearch: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'List only the free Teams users whose display name or UPN contains this (case-insensitive).' }),
  })
  .strict();

export const MappingPutSchema = registry.register(
  'MappingChanges',
  z
    .object({
      changes: z
        .array(z.object({ voiceUserId: VoiceUserId, teamsUserId: TeamsUserId.nullable() }).strict())
        .min(1)
        .max(MAX_CHANGES_PER_SAVE)
        .superRefine((changes, ctx) => {
          // One change per voice user: two would leave the outcome to their order.
          const first = new Map<string, number>();
          changes.forEach((c, i) => {
            const earlier = first.get(c.voiceUserId);
            if (earlier === undefined) first.set(c.voiceUserId, i);
            else ctx.addIssue({ code: 'custom', path: [i, 'voiceUserId'], message: `names the same voice user as changes.${earlier}` });
          });
        })
        .openapi({ description: `At most ${MAX_CHANGES_PER_SAVE} changes per save (one atomic write). teamsUserId null unmaps.` }),
    })
    .strict(),
);

const TeamsUserRefSchema = z.object({ id: z.string(), displayName: z.string().nullable(), userPrincipalName: z.string().nullable() });
const LastSyncSchema = z
  .object({
    runId: z.string(),
    at: z.string(),
    result: z.enum(['applied', 'failed', 'refused']),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    notEffective: z
      .object({ code: z.literal('NOT_EFFECTIVE_AFTER_2H'), message: z.string() })
      .optional()
      .openapi({ description: 'Set when the run applied the changes but two hours later Teams still did not show them to the user.' }),
  })
  .nullable()
  .openapi({
    description:
      'The last sync run that handled this voice user: applied (Teams has the mapping), failed (a write failed) or refused (not attempted); error says why when not applied; notEffective when the post-sync verification never saw the change take effect. null until a sync has handled them.',
  });
const LicensesSchema = z.object({ total: z.number().int(), held: z.number().int(), available: z.number().int() });

export const MappingPageSchema = registry.register(
  'MappingPage',
  z.object({
    version: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
    totalPages: z.number().int(),
    rows: z.array(
      z.object({
        voiceUser: VoiceUserSchema.extend({ inDirectory: z.boolean() }),
        teamsUser: TeamsUserRefSchema.nullable(),
        appliedTeamsUser: TeamsUserRefSchema.nullable(),
        pendingState: z.enum(['synced', 'pendingAdd', 'pendingChange', 'pendingRemoval', 'unmapped']),
        lastSync: LastSyncSchema,
      }),
    ),
    availableTeamsUsers: z.array(TeamsUserRefSchema).openapi({
      description: `Free eligible Teams users by display name (those matching teamsUserSearch, if given), at most ${AVAILABLE_TEAMS_USERS}.`,
    }),
    moreTeamsUsersAvailable: z
      .boolean()
      .openapi({ description: 'More free Teams users match than are listed: search to narrow them down.' }),
    licenses: LicensesSchema,
    queuedChanges: z.number().int(),
  }),
);

export const MappingSavedSchema = registry.register(
  'MappingSaved',
  z.object({ version: z.number().int(), changed: z.number().int(), licenses: LicensesSchema, queuedChanges: z.number().int() }),
);
