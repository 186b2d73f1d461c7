/**
 * The voice-user directory: the provider's users, pushed by its portal backend as a whole (JSON or CSV) and replaced
 * all-or-nothing. Validation reads every row and every field and reports every problem at once, so an admin fixes a
 * file in one pass; a directory with any error is refused whole.
 *
 * A voice user needs a phone number, an extension, or both: an extension-only user is a normal PBX user (the portals
 * list them as "Ext. 2222"), while a user with neither could never be reached through Teams. Whether a user without a
 * phone number can be mapped is the mapping rules' decision, not the directory's.
 */
import { z } from 'zod';
import { displayNameProblem } from './displayName';
import { fail, Result } from './errors';
import { normalizeExtension, normalizePhoneNumber, toCountryCode } from './phoneNumber';

export type MusicOnHold = 'teams' | 'provider';

export interface VoiceUser {
  /** The provider's id for the user: 1-64 of A-Z a-z 0-9 . _ @ - (compared exactly, case included). */
  id: string;
  displayName: string;
  email: string | null;
  /** Digits only, leading zeros kept. */
  extension: string | null;
  /** E.164. Two users may share a number only when each has its own extension. */
  phoneNumber: string | null;
  voicemail: boolean;
  callForwarding: boolean;
  /** Whose music callers hear on hold: Teams' own, or the provider's. */
  musicOnHold: MusicOnHold;
}

export type VoiceUserField = keyof VoiceUser;

export const VOICE_USER_FIELDS: readonly VoiceUserField[] = [
  'id',
  'displayName',
  'email',
  'extension',
  'phoneNumber',
  'voicemail',
  'callForwarding',
  'musicOnHold',
];

const KNOWN_FIELDS: ReadonlySet<string> = new Set(VOICE_USER_FIELDS);

export const VOICE_USER_DEFAULTS = { voicemail: true, callForwarding: true, musicOnHold: 'teams' } as const;

export const MAX_DIRECTORY_ROWS = 10_000;

/**
 * One problem in a directory file. `row` is the voice user's position (1-based; 0 = the file as a whole), `line` the
 * physical CSV line the row starts on (the header is line 1; null for JSON), `field` the voice-user field at fault
 * (null when the row or file is at fault), `value` the offending value as sent.
 */
export interface RowError {
  row: number;
  line: number | null;
  field: string | null;
  value?: string;
  message: string;
}

/** One row as read from a file, before validation: `fields` holds whatever the file had (an object, normally). */
export interface RawVoiceUser {
  line: number | null;
  fields: unknown;
}

export interface DirectoryOptions {
  /** ISO 3166 alpha-2 country for numbers written without their country code; without it they are refused. */
  defaultCountry?: string;
}

/** A directory with any problem fails as a whole: DIRECTORY_INVALID, with every row's problem in `details.errors`. */
export function directoryInvalid<T = never>(errors: RowError[]): Result<T> {
  return fail(
    'DIRECTORY_INVALID',
    `The directory has ${errors.length} problem(s); nothing was changed. Fix every row listed and send it again.`,
    { errors },
  );
}

/** The row problems of a failed directory read (none when it succeeded). */
export const rowErrorsOf = (result: Result<unknown>): RowError[] =>
  result.ok ? [] : ((result.error.details?.errors as RowError[] | undefined) ?? []);

const ID_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);

/** Absent, null and blank all mean "not given": a CSV cannot tell them apart, so JSON does not either. */
const isBlank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

const trimmed = (value: unknown): unknown => (typeof value === 'string' ? value.trim() : value);

const flag = (fallback: boolean) =>
  z.preprocess(
    (value) => {
      if (isBlank(value)) return fallback;
      if (typeof value !== 'string') return value;
      const word = value.trim().toLowerCase();
      return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
    },
    z.boolean({ error: 'Must be true or false (yes/no, y/n and 1/0 are accepted too).' }),
  );

/**
 * A JSON number cannot hold the leading "+", nor leading zeros: a numeric phone number is read as international
 * digits, a numeric extension as its decimal digits.
 */
const digitsOf = (value: number, kind: string, ctx: z.RefinementCtx): string | null => {
  if (Number.isSafeInteger(value) && value >= 0) return String(value);
  ctx.addIssue({ code: 'custom', message: `A numeric ${kind} must be a whole number; send it as text.` });
  return null;
};

const normalized = (normalize: (text: string) => Result<string>) =>
  z.string().transform((text, ctx) => {
    const result = normalize(text);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.error.message });
    return z.NEVER;
  });

function fieldSchemas(defaultCountry: string | undefined) {
  const textOrNumber = z.union([z.string(), z.number()], { error: 'Must be text or a number.' });
  return {
    id: z.preprocess(
      trimmed,
      z
        .string({ error: (issue) => (issue.input === undefined ? 'The id is required.' : 'The id must be text.') })
        .regex(ID_PATTERN, 'An id is 1-64 letters, digits, ".", "_", "@" or "-".'),
    ),
    displayName: z.preprocess(
      trimmed,
      z
        .string({ error: (issue) => (issue.input === undefined ? 'The display name is required.' : 'The display name must be text.') })
        .min(1, 'The display name is required.')
        .max(256, 'A display name has at most 256 characters.')
        .superRefine((name, ctx) => {
          const problem = displayNameProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    ),
    email: z.preprocess(
      (value) => (isBlank(value) ? null : trimmed(value)),
      z
        .email({ error: 'Must be an email address like dana@example.com.' })
        .max(254, 'An email address has at most 254 characters.')
        .nullable(),
    ),
    extension: z.preprocess(
      (value) => (isBlank(value) ? null : value),
      textOrNumber
        .transform((value, ctx) => (typeof value === 'string' ? value : (digitsOf(value, 'extension', ctx) ?? z.NEVER)))
        .pipe(normalized(normalizeExtension))
        .nullable(),
    ),
    phoneNumber: z.preprocess(
      (value) => (isBlank(value) ? null : value),
      textOrNumber
        .transform((value, ctx) => {
          if (typeof value === 'string') return value;
          const digits = digitsOf(value, 'phone number', ctx);
          return digits === null ? z.NEVER : `+${digits}`;
        })
        .pipe(normalized((text) => normalizePhoneNumber(text, defaultCountry)))
        .nullable(),
    ),
    voicemail: flag(VOICE_USER_DEFAULTS.voicemail),
    callForwarding: flag(VOICE_USER_DEFAULTS.callForwarding),
    musicOnHold: z.preprocess(
      (value) => (isBlank(value) ? VOICE_USER_DEFAULTS.musicOnHold : typeof value === 'string' ? value.trim().toLowerCase() : value),
      z.enum(['teams', 'provider'], { error: 'Music on hold is "teams" or "provider".' }),
    ),
  };
}

/** The value as the sender wrote it, short enough to echo back in an error. */
function shownValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  // Only primitives are echoed: a deeply nested object or array must never be serialised (it could overflow the stack).
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value)
        ? '(a list)'
        : typeof value === 'object' && value !== null
          ? '(an object)'
          : String(value);
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const where = (row: number, line: number | null): string => (line === null ? `row ${row}` : `row ${row} (line ${line})`);

/**
 * Validates and normalises a whole directory. Rows are numbered from 1 in the order given. Duplicates are reported on
 * every repeat, naming the first row: an id, an extension, or a phone number shared by users who do not each have
 * their own extension.
 */
export function validateDirectory(rows: readonly RawVoiceUser[], opts: DirectoryOptions = {}): Result<VoiceUser[]> {
  if (opts.defaultCountry !== undefined && toCountryCode(opts.defaultCountry) === null) {
    return directoryError('defaultCountry', opts.defaultCountry, `"${opts.defaultCountry}" is not an ISO 3166 alpha-2 country code.`);
  }
  if (rows.length > MAX_DIRECTORY_ROWS) {
    return directoryError(null, undefined, `A directory holds at most ${MAX_DIRECTORY_ROWS} voice users; this one has ${rows.length}.`);
  }

  const schemas = fieldSchemas(opts.defaultCountry);
  const errors: RowError[] = [];
  const users: VoiceUser[] = [];
  const firstWithId = new Map<string, number>();
  const firstWithExtension = new Map<string, number>();
  const firstWithNumber = new Map<string, number>();
  const firstWithNumberAlone = new Map<string, number>();

  rows.forEach(({ line, fields }, index) => {
    const row = index + 1;
    const report = (field: string | null, value: unknown, message: string) =>
      errors.push({ row, line, field, value: shownValue(value), message });
    if (!isPlainObject(fields)) {
      report(null, undefined, 'Each voice user must be a JSON object.');
      return;
    }
    for (const key of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(key)) report(key, undefined, `Unknown field "${key}"; the fields are ${VOICE_USER_FIELDS.join(', ')}.`);
    }

    const parsed: Partial<VoiceUser> = {};
    for (const field of VOICE_USER_FIELDS) {
      const result = schemas[field].safeParse(fields[field]);
      if (result.success) (parsed as Record<string, unknown>)[field] = result.data;
      else report(field, fields[field], result.error.issues[0].message);
    }
    const extensionKnown = 'extension' in parsed;
    if (extensionKnown && 'phoneNumber' in parsed && parsed.extension === null && parsed.phoneNumber === null) {
      report(null, undefined, 'A voice user needs a phone number, an extension, or both.');
    }

    const firstRow = (first: number) => where(first, rows[first - 1].line);
    const { id, extension, phoneNumber } = parsed;
    if (id !== undefined) {
      const first = firstWithId.get(id);
      if (first === undefined) firstWithId.set(id, row);
      else report('id', id, `The id "${id}" is already used by ${firstRow(first)}.`);
    }
    if (typeof extension === 'string') {
      const first = firstWithExtension.get(extension);
      if (first === undefined) firstWithExtension.set(extension, row);
      else report('extension', extension, `The extension ${extension} is already used by ${firstRow(first)}.`);
    }
    // A shared number is fine when every user on it has an extension (tel:+…;ext=…); an unknown extension (invalid) is
    // already reported, so it raises no sharing error.
    if (typeof phoneNumber === 'string' && extensionKnown) {
      const clash = extension === null ? firstWithNumber.get(phoneNumber) : firstWithNumberAlone.get(phoneNumber);
      if (clash !== undefined) {
        report(
          'phoneNumber',
          phoneNumber,
          `The phone number ${phoneNumber} is already used by ${firstRow(clash)}; users share a number only when each has its own extension.`,
        );
      }
      if (!firstWithNumber.has(phoneNumber)) firstWithNumber.set(phoneNumber, row);
      if (extension === null && !firstWithNumberAlone.has(phoneNumber)) firstWithNumberAlone.set(phoneNumber, row);
    }

    if (Object.keys(parsed).length === VOICE_USER_FIELDS.length) users.push(parsed as VoiceUser);
  });

  return errors.length === 0 ? { ok: true, value: users } : directoryInvalid(errors);
}

function directoryError(field: string | null, value: string | undefined, message: string): Result<VoiceUser[]> {
  return directoryInvalid([{ row: 0, line: null, field, value, message }]);
}
