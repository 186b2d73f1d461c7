/**
 * The one way the product writes CSV (exports of activity or mappings, now or later): `csvRow`. Each cell is
 * neutralised — one that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return)
 * gets an apostrophe in front, so it is shown as text — and quoted when it holds a comma, a quote or a line break
 * (RFC 4180). Reading CSV (the voice-user import) is not affected: values are data there.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function neutralizeCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One CSV line (without its line break) from these cells. */
export function csvRow(cells: readonly string[]): string {
  return cells
    .map((cell) => {
      const safe = neutralizeCsvCell(cell);
      return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(',');
}
