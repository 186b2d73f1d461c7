/** Request and response shapes of the voice-user and mapping routes (validation and the OpenAPI document). */
import { z } from 'zod';
import { MAX_CHANGES_PER_SAVE } from '../domain/mapping';
import { registry } from '../http/openapi';

const VoiceUserId = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'a voice user id is 1-64 letters, digits, ".", "_", "@" or "-"');
/** A Microsoft Entra object id (a GUID); checked before it is used as a storage key. */
const TeamsUserId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a Teams user id is the Microsoft Entra object id');

export const VoiceUsersQuerySchema = z
  .object({
    defaultCountry: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 two-letter country code')
      .transform((c) => c.toUpperCase())
      .optional()
      .openapi({ description: 'Country of phone numbers written without an international prefix, e.g. US.' }),
  })
  .strict();

export const VoiceUserSchema = registry.register(
  'VoiceUser',
  z.object({
    id: VoiceUserId,
    displayName: z.string(),
    email: z.string().nullable(),
    extension: z.string().nullable(),
    phoneNumber: z.string().nullable().openapi({ description: 'E.164, e.g. +14255550100.' }),
    voicemail: z.boolean(),
    callForwarding: z.boolean(),
    musicOnHold: z.enum(['teams', 'provider']),
  }),
);

/** Documentation of the JSON body; the directory parser (shared/domain/voiceDirectoryFormats.ts) validates it. */
export const VoiceUsersBodySchema = registry.register(
  'VoiceUsersBody',
  z.object({
    voiceUsers: z.array(
      VoiceUserSchema.partial({
        email: true,
        extension: true,
        phoneNumber: true,
        voicemail: true,
        callForwarding: true,
        musicOnHold: true,
      }),
    ),
  }),
);

export const ImportOutcomeSchema = registry.register(
  'VoiceUsersImported',
  z.object({
    added: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    removed: z.number().int(),
    pendingRemoval: z.number().int().openapi({ description: 'Left the directory while mapped: unmapped in Teams by the next sync.' }),
    version: z.number().int(),
    licensesHeld: z.number().int(),
    queuedChanges: z.number().int(),
  }),
);

export const MappingQuerySchema = z
  .object({
    page: z.coerce.number().int().min(1).max(100000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(10),
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
        .openapi({ description: `At most ${MAX_CHANGES_PER_SAVE} changes per save (one atomic write). teamsUserId null unmaps.` }),
    })
    .strict(),
);

const TeamsUserRefSchema = z.object({ id: z.string(), displayName: z.string().nullable(), userPrincipalName: z.string().nullable() });
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
      }),
    ),
    availableTeamsUsers: z.array(TeamsUserRefSchema),
    licenses: LicensesSchema,
    queuedChanges: z.number().int(),
  }),
);

export const MappingSavedSchema = registry.register(
  'MappingSaved',
  z.object({ version: z.number().int(), changed: z.number().int(), licenses: LicensesSchema, queuedChanges: z.number().int() }),
);
