/**
 * CSV the product writes (exports of activity or mappings, now or later) goes through this: a cell that a
 * spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is prefixed with an
 * apostrophe, so it is shown as text. Reading CSV (the voice-user import) is not affected: values are data there.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}
