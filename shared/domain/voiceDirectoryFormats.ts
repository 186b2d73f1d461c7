/**
 * The two wire formats of the voice-user directory, both read into the same rows and validated by validateDirectory:
 * - JSON: `{ "voiceUsers": [ { "id": …, "displayName": …, … } ] }`;
 * - CSV: a header row naming the columns (spelling-tolerant, see DIRECTORY_CSV_COLUMNS), then one voice user per row.
 * CSV errors carry the physical line a row starts on, so an admin can find it in a spreadsheet or an editor.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { ok, Result } from './errors';
import {
  directoryInvalid,
  DirectoryOptions,
  RawVoiceUser,
  RowError,
  rowErrorsOf,
  validateDirectory,
  VOICE_USER_FIELDS,
  VoiceUser,
  VoiceUserField,
} from './voiceUser';

export interface DirectoryColumn {
  field: VoiceUserField;
  /** Header spellings accepted, compared case-insensitively and ignoring spaces, "_" and "-". */
  headers: readonly string[];
  required: boolean;
  description: string;
}

export const DIRECTORY_CSV_COLUMNS: readonly DirectoryColumn[] = [
  {
    field: 'id',
    headers: ['id', 'voiceuserid', 'userid'],
    required: true,
    description: 'The provider\'s id for the voice user: 1-64 letters, digits, ".", "_", "@" or "-"; unique in the file.',
  },
  { field: 'displayName', headers: ['displayname', 'name'], required: true, description: 'The name shown to admins: 1-256 characters.' },
  { field: 'email', headers: ['email', 'emailaddress'], required: false, description: 'An email address; blank for none.' },
  {
    field: 'extension',
    headers: ['extension', 'ext', 'extkey'],
    required: false,
    description: 'Digits only, 1-10, leading zeros kept; unique in the file.',
  },
  {
    field: 'phoneNumber',
    headers: ['phonenumber', 'number', 'did', 'phone'],
    required: false,
    description: 'The direct number, normalised to E.164; shared only by users with different extensions.',
  },
  {
    field: 'voicemail',
    headers: ['voicemail'],
    required: false,
    description: 'true/false, yes/no, y/n or 1/0; blank means true.',
  },
  {
    field: 'callForwarding',
    headers: ['callforwarding', 'callforwardingallowed', 'forwarding'],
    required: false,
    description: 'Whether the user may forward calls: true/false, yes/no, y/n or 1/0; blank means true.',
  },
  {
    field: 'musicOnHold',
    headers: ['musiconhold', 'moh'],
    required: false,
    description: 'Whose music callers hear on hold: "teams" or "provider"; blank means teams.',
  },
];

/** Reads `{ "voiceUsers": [...] }`; row n is array element n - 1. Numbers are accepted for phone numbers and extensions. */
export function parseDirectoryJson(body: unknown, opts: DirectoryOptions = {}): Result<VoiceUser[]> {
  const fileError = (field: string | null, message: string): Result<VoiceUser[]> =>
    directoryInvalid([{ row: 0, line: null, field, message }]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fileError(null, 'The body must be a JSON object: { "voiceUsers": [ … ] }.');
  }
  const unknownKeys = Object.keys(body).filter((key) => key !== 'voiceUsers');
  if (unknownKeys.length > 0) return fileError(unknownKeys[0], `Unknown field "${unknownKeys[0]}"; the body has only "voiceUsers".`);
  const { voiceUsers } = body as { voiceUsers?: unknown };
  if (!Array.isArray(voiceUsers)) return fileError('voiceUsers', '"voiceUsers" must be an array of voice users.');
  return validateDirectory(
    voiceUsers.map((fields) => ({ line: null, fields })),
    opts,
  );
}

const headerKey = (header: string): string => header.toLowerCase().replace(/[\s_-]/g, '');

const FIELD_BY_HEADER = new Map(DIRECTORY_CSV_COLUMNS.flatMap((column) => column.headers.map((header) => [header, column.field] as const)));

interface CsvRecord {
  cells: string[];
  line: number;
}

const isBlankRecord = (cells: readonly string[]): boolean => cells.every((cell) => cell.trim() === '');

/**
 * Reads a CSV directory: a header row, then one voice user per row. Blank lines (and rows of empty cells, as
 * spreadsheets export) are skipped; quoted cells may hold commas, quotes ("") and line breaks.
 */
export function parseDirectoryCsv(text: string, opts: DirectoryOptions = {}): Result<VoiceUser[]> {
  const read = readCsv(text);
  if (!read.ok) return read;
  const [header, ...rows] = read.value.filter((record) => !isBlankRecord(record.cells));
  if (header === undefined) {
    return directoryInvalid([{ row: 0, line: 1, field: null, message: 'The file is empty; it needs a header row naming the columns.' }]);
  }

  const columns = readHeader(header, rows);
  if (!columns.ok) return columns;

  const errors: RowError[] = [];
  const raw: RawVoiceUser[] = rows.map(({ cells, line }, index) => {
    const extra = cells.slice(header.cells.length);
    if (cells.length < header.cells.length || !isBlankRecord(extra)) {
      errors.push({
        row: index + 1,
        line,
        field: null,
        message: `This row has ${cells.length} values but the header has ${header.cells.length} columns.`,
      });
    }
    const fields: Partial<Record<VoiceUserField, string>> = {};
    columns.value.forEach((field, position) => {
      if (field !== null && position < cells.length) fields[field] = cells[position];
    });
    return { line, fields };
  });

  const validated = validateDirectory(raw, opts);
  if (errors.length === 0) return validated;
  // Shape errors first within a row; sort is stable, so each side keeps its own order.
  const all = [...errors, ...rowErrorsOf(validated)];
  return directoryInvalid(all.sort((a, b) => a.row - b.row));
}

/**
 * Splits the text into records with the line each starts on. Lines are counted from each record's raw text:
 * csv-parse's own `info.lines` counts a CRLF inside a quoted cell as two lines.
 */
function readCsv(text: string): Result<CsvRecord[]> {
  let nextLine = 1;
  try {
    const records: CsvRecord[] = parse(text, {
      bom: true,
      raw: true,
      relax_column_count: true,
      // A stray quote inside an unquoted cell (Bob "The Builder" Smith) is kept as text, not refused.
      relax_quotes: true,
      on_record: ({ record, raw }: { record: string[]; raw: string }) => {
        const line = nextLine;
        nextLine += lineBreaks(raw.replace(/(\r\n|\r|\n)$/, '')) + 1;
        return { cells: record, line };
      },
    });
    return ok(records);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const message =
      error.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'A quoted value that starts in the row on this line is never closed (a missing " ).'
        : `The file is not valid CSV from this line on: ${error.message}`;
    return directoryInvalid([{ row: 0, line: nextLine, field: null, message }]);
  }
}

const lineBreaks = (text: string): number => text.match(/\r\n|\r|\n/g)?.length ?? 0;

/**
 * Maps each header cell to a voice-user field. Any header problem stops there: with columns misread, every row's
 * errors would be noise. A nameless column is ignored while all its cells are empty (spreadsheets add such columns).
 */
function readHeader(header: CsvRecord, rows: readonly CsvRecord[]): Result<(VoiceUserField | null)[]> {
  const errors: RowError[] = [];
  const report = (field: string | null, value: string | undefined, message: string) =>
    errors.push({ row: 0, line: header.line, field, value, message });
  const fields: (VoiceUserField | null)[] = [];
  const seen = new Map<VoiceUserField, string>();

  header.cells.forEach((name, position) => {
    fields.push(null);
    if (name.trim() === '') {
      if (rows.some(({ cells }) => (cells[position] ?? '').trim() !== '')) {
        report(null, name, `Column ${position + 1} has values but no name in the header.`);
      }
      return;
    }
    const field = FIELD_BY_HEADER.get(headerKey(name));
    if (field === undefined) {
      report(name, name, `Unknown column "${name.trim()}"; the columns are ${VOICE_USER_FIELDS.join(', ')}.`);
      return;
    }
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      report(field, name, `The columns "${earlier.trim()}" and "${name.trim()}" are both ${field}.`);
      return;
    }
    seen.set(field, name);
    fields[position] = field;
  });

  for (const column of DIRECTORY_CSV_COLUMNS) {
    if (column.required && !seen.has(column.field)) report(column.field, undefined, `The required column "${column.field}" is missing.`);
  }
  if (!seen.has('phoneNumber') && !seen.has('extension')) {
    report(null, undefined, 'The file needs a phoneNumber column, an extension column, or both.');
  }
  return errors.length === 0 ? ok(fields) : directoryInvalid(errors);
}
