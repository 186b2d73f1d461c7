/**
 * Phone numbers and extensions in the form Teams needs them. A voice user's Teams line URI is built from both:
 * `tel:+14255550100;ext=2424`, so numbers are stored in E.164 ("+" then 8-15 digits) and extensions as digit strings.
 *
 * Numbering-plan knowledge (country calling codes, possible lengths per country) comes from libphonenumber-js, which
 * ships its metadata in the package. We check that a number is *possible* (right length for its country), not that it
 * is *valid* (assigned range): fictional 555-01xx numbers must pass, and plans change faster than the metadata.
 */
import { CountryCode, isSupportedCountry, parsePhoneNumberWithError, ParseError, validatePhoneNumberLength } from 'libphonenumber-js';
import { fail, ok, Result } from './errors';

const MIN_E164_DIGITS = 8;
const MAX_E164_DIGITS = 15;
/** Longer input is not a phone number, however it is punctuated; checked before any parsing. */
const MAX_INPUT_LENGTH = 64;
const MAX_EXTENSION_DIGITS = 10;

/** Separators people and spreadsheets put between digit groups. */
const FORMATTED_NUMBER = /^\+?[0-9\s()./-]+$/;
/** "x123", "ext. 123", ";ext=123", "#123": an extension riding on the number. */
const EXTENSION_MARKER = /;\s*ext|ext\.?\s*\d|x\s*\d|#/i;

/** "1.42556E+10": what a spreadsheet shows for 14255550100 once it treats the column as numbers. */
const SCIENTIFIC_NOTATION = /^[0-9](\.[0-9]+)?e\+?[0-9]+$/i;

const invalid = (message: string): Result<string> => fail('VALIDATION_FAILED', message);

/** An ISO 3166 alpha-2 code libphonenumber-js knows (case-insensitive), or null. */
export function toCountryCode(code: string): CountryCode | null {
  const upper = code.trim().toUpperCase();
  return isSupportedCountry(upper) ? upper : null;
}

/**
 * Normalises a phone number to E.164. Accepted forms:
 * - international: `+1 425 555 0100`, `+1 (425) 555-0100`, `+44 (0) 20 7946 0958`, `tel:+14255550100`;
 * - the ITU international prefix: `001 425 555 0100`, `0044 20 7946 0958`;
 * - a "+" lost to URL/form decoding (it decodes to a space): ` 14255550100`, i.e. leading whitespace then digits;
 * - a national number, only with `defaultCountry` (ISO 3166 alpha-2): `(425) 555-0100` with `US`.
 * Refused: letters, an embedded extension (extensions have their own field), impossible lengths.
 */
export function normalizePhoneNumber(raw: string, defaultCountry?: string): Result<string> {
  const country = defaultCountry === undefined ? undefined : toCountryCode(defaultCountry);
  if (country === null) return invalid(`"${defaultCountry}" is not a known ISO 3166 country code for national numbers.`);

  // Country calling codes never start with 0, so " 020 7946 0958" is a national number with a stray space.
  const plusLost = /^\s+[1-9]/.test(raw);
  const text = raw.trim().replace(/^tel:/i, '').trim();
  if (text === '') return invalid('The phone number is empty.');
  if (text.length > MAX_INPUT_LENGTH) return invalid('The phone number is too long.');
  if (EXTENSION_MARKER.test(text)) {
    return invalid('The phone number carries an extension; put the number alone here and the extension in its own field.');
  }
  if (SCIENTIFIC_NOTATION.test(text)) {
    return invalid(
      'The phone number was turned into scientific notation (a spreadsheet formatting the column as numbers); format it as text.',
    );
  }
  if (/\p{L}/u.test(text)) return invalid('A phone number has digits only, no letters.');
  if (!FORMATTED_NUMBER.test(text) || !/[0-9]/.test(text)) {
    return invalid('A phone number has digits, an optional leading "+", and spaces, dashes, dots or brackets between the digits.');
  }

  if (text.startsWith('+')) return parseInternational(text);
  if (text.startsWith('00')) return parseInternational(`+${text.slice(2)}`);
  if (plusLost) return parseWithLostPlus(text, country);
  if (country === undefined) {
    return invalid('The phone number needs its country code: start it with "+" (e.g. +14255550100), or give a default country.');
  }
  return parseNumber(text, country);
}

function parseInternational(text: string): Result<string> {
  return parseNumber(text, undefined);
}

/**
 * " 14255550100" is how "+14255550100" arrives when a query string or form body decodes "+" as a space. With a
 * default country the same digits may also be a national number; when both readings are possible and differ
 * (" 2025550100": Egypt +20 25550100, or US (202) 555-0100) we refuse rather than guess.
 */
function parseWithLostPlus(text: string, country: CountryCode | undefined): Result<string> {
  const international = parseInternational(`+${text}`);
  if (country === undefined) return international;
  const national = parseNumber(text, country);
  if (international.ok && national.ok && international.value !== national.value) {
    return invalid(
      `The phone number is ambiguous: it reads as ${international.value} if its "+" was lost, or as ${national.value} ` +
        `as a national number of ${country}; write it with its "+".`,
    );
  }
  return international.ok ? international : national;
}

function parseNumber(text: string, country: CountryCode | undefined): Result<string> {
  let e164: string;
  try {
    const parsed = parsePhoneNumberWithError(text, country === undefined ? undefined : { defaultCountry: country });
    if (!parsed.isPossible()) return lengthProblem(parsed.number);
    e164 = parsed.number;
  } catch (error) {
    if (error instanceof ParseError) return parseProblem(error.message);
    throw error;
  }
  const digits = e164.length - 1;
  if (digits < MIN_E164_DIGITS) return invalid(`The phone number is too short: E.164 numbers have at least ${MIN_E164_DIGITS} digits.`);
  if (digits > MAX_E164_DIGITS) return invalid(`The phone number is too long: E.164 numbers have at most ${MAX_E164_DIGITS} digits.`);
  return ok(e164);
}

function lengthProblem(e164: string): Result<string> {
  const reason = validatePhoneNumberLength(e164);
  if (reason === 'TOO_SHORT') return invalid('The phone number is too short for its country.');
  if (reason === 'TOO_LONG') return invalid('The phone number is too long for its country.');
  return invalid('The phone number does not have a possible length for its country.');
}

function parseProblem(code: string): Result<string> {
  switch (code) {
    case 'INVALID_COUNTRY':
      return invalid('The phone number does not start with a known country calling code.');
    case 'TOO_SHORT':
      return invalid('The phone number is too short.');
    case 'TOO_LONG':
      return invalid('The phone number is too long.');
    default:
      return invalid('This is not a phone number.');
  }
}

/**
 * Validates an extension: 1-10 digits, kept as a string. Leading zeros matter (callers dial "0123", not "123"), and
 * the extension lands verbatim in the Teams line URI `tel:+14255550100;ext=0123`.
 */
export function normalizeExtension(raw: string): Result<string> {
  const text = raw.trim();
  if (text === '') return invalid('The extension is empty.');
  if (!/^[0-9]+$/.test(text)) return invalid('An extension has digits only (e.g. 2424).');
  if (text.length > MAX_EXTENSION_DIGITS) return invalid(`An extension has at most ${MAX_EXTENSION_DIGITS} digits.`);
  return ok(text);
}
