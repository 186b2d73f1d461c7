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
