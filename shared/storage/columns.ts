/** Reading Table Storage columns back: it keeps no nulls, so an absent or empty string column means null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A column holding a small JSON object (what a row needs whole, e.g. a voice user's applied state); null if absent or unreadable. */
export function jsonColumn<T>(v: unknown): T | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    return JSON.parse(v) as T;
  } catch {
    return null;
  }
}

/** Characters per column of a split JSON value: a string column holds at most 64 KiB (32K UTF-16 characters). */
const PART_CHARS = 30_000;

/** A JSON value too big for one column, as columns `part0`, `part1`, … and `parts` (at most ~250 columns fit a row). */
export function splitJson(value: unknown): Record<string, unknown> {
  const text = JSON.stringify(value);
  const columns: Record<string, unknown> = { parts: Math.max(1, Math.ceil(text.length / PART_CHARS)) };
  for (let i = 0; i * PART_CHARS < text.length || i === 0; i++) columns[`part${i}`] = text.slice(i * PART_CHARS, (i + 1) * PART_CHARS);
  return columns;
}

/** The value splitJson wrote, or undefined when the row has none or it is unreadable. */
export function joinJson<T>(row: Record<string, unknown>): T | undefined {
  const parts = row.parts;
  if (typeof parts !== 'number') return undefined;
  let text = '';
  for (let i = 0; i < parts; i++) text += typeof row[`part${i}`] === 'string' ? (row[`part${i}`] as string) : '';
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
