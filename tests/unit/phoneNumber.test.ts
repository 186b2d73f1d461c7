/** Phone numbers to E.164 and extensions: every accepted and refused form, and properties over generated numbers. */
import fc from 'fast-check';
import { normalizeExtension, normalizePhoneNumber, toCountryCode } from '../../shared/domain/phoneNumber';

const E164 = /^\+[1-9][0-9]{7,14}$/;

describe('normalizePhoneNumber accepts', () => {
  test.each([
    ['E.164 as is', '+14255550100', undefined, '+14255550100'],
    ['spaces', '+1 425 555 0100', undefined, '+14255550100'],
    ['brackets and a dash', '+1 (425) 555-0100', undefined, '+14255550100'],
    ['dots', '+1.425.555.0100', undefined, '+14255550100'],
    ['slashes', '+49 30/1234567', undefined, '+49301234567'],
    ['a UK trunk zero in brackets', '+44 (0) 20 7946 0958', undefined, '+442079460958'],
    ['a tel: URI', 'tel:+14255550100', undefined, '+14255550100'],
    ['a TEL: URI with separators', 'TEL:+1-425-555-0100', undefined, '+14255550100'],
    ['the 00 international prefix', '001 425 555 0100', undefined, '+14255550100'],
    ['00 then a UK number', '0044 20 7946 0958', undefined, '+442079460958'],
    ['00 even with a default country', '0044 20 7946 0958', 'US', '+442079460958'],
    ['a "+" decoded into a space', ' 14255550100', undefined, '+14255550100'],
    ['a "+" decoded into a space, with a matching default country', ' 14255550100', 'US', '+14255550100'],
    ['a lost "+" whose national reading is impossible', ' 442079460958', 'US', '+442079460958'],
    ['a national number with a stray leading space', ' 020 7946 0958', 'GB', '+442079460958'],
    ['a US national number', '(425) 555-0100', 'US', '+14255550100'],
    ['a US national number with its trunk 1', '1 425 555 0100', 'US', '+14255550100'],
    ['a lower-case default country', '425 555 0100', 'us', '+14255550100'],
    ['a UK national number', '020 7946 0958', 'GB', '+442079460958'],
    ['a Singapore number written with its country code but no "+"', '6567891230', 'SG', '+6567891230'],
    ['the US international prefix 011 with a US default', '011 44 20 7946 0958', 'US', '+442079460958'],
    ['surrounding whitespace', '  +1 425 555 0100  ', undefined, '+14255550100'],
    ['a fictional 555-01xx number (possible, not valid)', '+1 425 555 0199', undefined, '+14255550199'],
    ['15 digits (the E.164 maximum)', '+882 1234 5678 9012', undefined, '+882123456789012'],
  ])('%s: %j', (_name, raw, country, expected) => {
    expect(normalizePhoneNumber(raw, country)).toEqual({ ok: true, value: expected });
  });
});

describe('normalizePhoneNumber refuses', () => {
  test.each([
    ['empty', '', undefined, /empty/],
    ['blank', '   ', undefined, /empty/],
    ['a tel: URI with nothing after it', 'tel:', undefined, /empty/],
    ['letters', '+1 425 555 01OO', undefined, /no letters/],
    ['a vanity number', '+1 800 FLOWERS', undefined, /no letters/],
    ['spreadsheet scientific notation', '1.42556E+10', undefined, /scientific notation/],
    ['an "x" extension', '+1 425 555 0100 x123', undefined, /extension/],
    ['an "ext." extension', '+1 425 555 0100 ext. 5', undefined, /extension/],
    ['a tel: URI extension', 'tel:+14255550100;ext=12', undefined, /extension/],
    ['a "#" extension', '+1-425-555-0100#5', undefined, /extension/],
    ['a national number without a default country', '(425) 555-0100', undefined, /country code/],
    ['digits without "+" and without a default country', '14255550100', undefined, /country code/],
    ['an unknown default country', '425 555 0100', 'XX', /not a known ISO 3166/],
    ['an unknown country calling code', '+999 1234 5678', undefined, /country calling code/],
    ['a country calling code of 0', '+0 425 555 0100', undefined, /country calling code/],
    ['too short for the country', '+1 425 555 010', undefined, /too short/],
    ['too long for the country', '+1 425 555 01000', undefined, /too long/],
    ['too short for E.164 (a 7-digit Niue number)', '+683 4002', undefined, /at least 8 digits/],
    ['too short to parse', '+12', undefined, /too short/],
    ['more than 15 digits', '+1234567890123456', undefined, /too long/],
    ['absurdly long input', `+1 ${'4'.repeat(70)}`, undefined, /too long/],
    ['a second "+"', '+1 425 555 0100 +1', undefined, /optional leading "\+"/],
    ['a doubled "+"', '++14255550100', undefined, /optional leading "\+"/],
    ['underscores', '+1_425_555_0100', undefined, /optional leading "\+"/],
    ['punctuation only', '+---', undefined, /optional leading "\+"/],
    ['dial pauses', '4255550100,,45', 'US', /optional leading "\+"/],
    ['a lost "+" that also reads as a national number', ' 2025550100', 'US', /ambiguous.*\+2025550100.*\+12025550100/],
    ['a national number too short for its country', '555-0100', 'US', /too short/],
  ])('%s: %j', (_name, raw, country, message) => {
    const result = normalizePhoneNumber(raw, country);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('VALIDATION_FAILED');
      expect(result.error.message).toMatch(message);
    }
  });
});

describe('normalizeExtension', () => {
  test.each([
    ['2424', '2424'],
    ['0123', '0123'],
    [' 42 ', '42'],
    ['7', '7'],
    ['0000000000', '0000000000'],
  ])('accepts %j as %j', (raw, expected) => {
    expect(normalizeExtension(raw)).toEqual({ ok: true, value: expected });
  });

  test.each([
    ['', /empty/],
    ['  ', /empty/],
    ['x2424', /digits only/],
    ['Ext. 2424', /digits only/],
    ['24-24', /digits only/],
    ['-1', /digits only/],
    ['١٢٣', /digits only/],
    ['12345678901', /at most 10 digits/],
  ])('refuses %j', (raw, message) => {
    const result = normalizeExtension(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(message);
  });
});

test('toCountryCode knows ISO 3166 codes in any case and nothing else', () => {
  expect(toCountryCode('gb')).toBe('GB');
  expect(toCountryCode(' US ')).toBe('US');
  expect(toCountryCode('XX')).toBeNull();
  expect(toCountryCode('USA')).toBeNull();
});

/** Numbers in plans whose possible lengths are stable: the country calling code, national digits and trunk prefix. */
interface Plan {
  country: string;
  callingCode: string;
  trunkPrefix: string;
  national: fc.Arbitrary<string>;
}
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const PLANS: Plan[] = [
  {
    country: 'US',
    callingCode: '1',
    trunkPrefix: '',
    national: fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(6)).map((p) => p.join('')),
  },
  { country: 'GB', callingCode: '44', trunkPrefix: '0', national: digits(8).map((d) => `20${d}`) },
  { country: 'DE', callingCode: '49', trunkPrefix: '0', national: digits(8).map((d) => `30${d}`) },
  { country: 'AU', callingCode: '61', trunkPrefix: '0', national: digits(8).map((d) => `2${d}`) },
  {
    country: 'SG',
    callingCode: '65',
    trunkPrefix: '',
    national: fc.tuple(fc.constantFrom('6', '8', '9'), digits(7)).map((p) => p.join('')),
  },
];

const numberArb = fc.constantFrom(...PLANS).chain((plan) => plan.national.map((national) => ({ plan, national })));

/** Every way the same number may be written, with the default country each needs. */
function formattings({ plan, national }: { plan: Plan; national: string }): [string, string | undefined][] {
  const cc = plan.callingCode;
  const groups = national.match(/.{1,4}/g)!.join(' ');
  return [
    [`+${cc}${national}`, undefined],
    [`+${cc} ${groups}`, undefined],
    [`+${cc}-${national.match(/.{1,3}/g)!.join('-')}`, undefined],
    [`+${cc} (${national.slice(0, 3)}) ${national.slice(3)}`, undefined],
    [`+${cc}.${national.match(/.{1,2}/g)!.join('.')}`, undefined],
    [`tel:+${cc}${national}`, undefined],
    [`00${cc} ${groups}`, undefined],
    [` ${cc}${national}`, undefined],
    [`${plan.trunkPrefix}${groups}`, plan.country],
    [`+${cc} ${groups}`, plan.country],
  ];
}

test('every formatting of a number gives the same E.164, and normalising is idempotent', () => {
  fc.assert(
    fc.property(numberArb, (number) => {
      const expected = `+${number.plan.callingCode}${number.national}`;
      for (const [raw, country] of formattings(number)) {
        expect({ raw, result: normalizePhoneNumber(raw, country) }).toEqual({ raw, result: { ok: true, value: expected } });
      }
      expect(normalizePhoneNumber(expected)).toEqual({ ok: true, value: expected });
      expect(normalizePhoneNumber(expected, number.plan.country)).toEqual({ ok: true, value: expected });
    }),
    { numRuns: 300 },
  );
});

test('whatever the input, the outcome is E.164 or a refusal, and an accepted number normalises to itself', () => {
  const noisy = fc.string({ unit: fc.constantFrom(...'+0123456789 ()-./x#;tel:'), maxLength: 24 });
  fc.assert(
    fc.property(noisy, fc.option(fc.constantFrom('US', 'GB', 'DE', 'SG'), { nil: undefined }), (raw, country) => {
      const result = normalizePhoneNumber(raw, country);
      if (!result.ok) return;
      expect(result.value).toMatch(E164);
      expect(normalizePhoneNumber(result.value, country)).toEqual(result);
    }),
    { numRuns: 2000 },
  );
});

test('an extension is its digits, unchanged', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9]{1,10}$/), (extension) => {
      expect(normalizeExtension(extension)).toEqual({ ok: true, value: extension });
    }),
  );
});
