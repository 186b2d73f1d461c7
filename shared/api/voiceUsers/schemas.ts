/** Request and response shapes of the voice-user directory route (validation and the OpenAPI document). */
import { z } from 'zod';
import { registry } from '../registry';

export const VoiceUserId = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'a voice user id is 1-64 letters, digits, ".", "_", "@" or "-"');
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
