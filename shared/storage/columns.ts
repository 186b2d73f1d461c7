/** Reading Table Storage columns back: it keeps no nulls, so an absent or empty string column means null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
