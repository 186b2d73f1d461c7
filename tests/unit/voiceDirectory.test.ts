/** The voice-user directory: validation, duplicates, and the JSON and CSV formats with their row and line numbers. */
import { readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { displayNameProblem } from '../../shared/domain/displayName';
import { DIRECTORY_CSV_COLUMNS, parseDirectoryCsv, parseDirectoryJson } from '../../shared/domain/voiceDirectoryFormats';
import { MAX_DIRECTORY_ROWS, RowError, rowErrorsOf, validateDirectory, VOICE_USER_FIELDS, VoiceUser } from '../../shared/domain/voiceUser';

const ada: VoiceUser = {
  id: 'u-100',
  displayName: 'Ada Adler',
  email: 'ada@contoso.example',
  extension: '2424',
  phoneNumber: '+14255550100',
  voicemail: true,
  callForwarding: true,
  musicOnHold: 'teams',
};

const json = (...voiceUsers: unknown[]) => parseDirectoryJson({ voiceUsers });
const errorsOf = (result: ReturnType<typeof json>): RowError[] => rowErrorsOf(result);
/** Errors without their messages, for exact comparison; messages are checked separately where they matter. */
const shapes = (result: ReturnType<typeof json>) => errorsOf(result).map(({ row, line, field, value }) => ({ row, line, field, value }));

describe('JSON directory', () => {
  test('a deeply nested value is an error for its field, never a crash', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = json({ ...ada, email: deep });
    expect(result.ok).toBe(false);
    expect(errorsOf(result)).toEqual([expect.objectContaining({ row: 1, field: 'email', value: '(a list)' })]);
  });

  test('a complete voice user is taken as is', () => {
    expect(json(ada)).toEqual({ ok: true, value: [ada] });
  });

  test('optional fields default: no email, voicemail and forwarding on, Teams music on hold', () => {
    expect(json({ id: 'u-1', displayName: 'Bo', extension: '7777' })).toEqual({
      ok: true,
      value: [
        {
          id: 'u-1',
          displayName: 'Bo',
          email: null,
          extension: '7777',
          phoneNumber: null,
          voicemail: true,
          callForwarding: true,
          musicOnHold: 'teams',
        },
      ],
    });
  });

  test('null and blank mean "not given", like an empty CSV cell', () => {
    const result = json({ ...ada, email: '  ', extension: null, voicemail: null, callForwarding: '', musicOnHold: null });
    expect(result).toEqual({ ok: true, value: [{ ...ada, email: null, extension: null }] });
  });

  test('text is trimmed and phone numbers are normalised', () => {
    const result = json({
      ...ada,
      id: ' u-100 ',
      displayName: ' Ada Adler ',
      email: ' ada@contoso.example ',
      phoneNumber: '+1 (425) 555-0100',
    });
    expect(result).toEqual({ ok: true, value: [ada] });
  });

  test('JSON numbers are accepted for phone numbers (read as international) and extensions', () => {
    expect(json({ ...ada, phoneNumber: 14255550100, extension: 2424 })).toEqual({ ok: true, value: [ada] });
    expect(shapes(json({ ...ada, phoneNumber: 1.5, extension: -3 }))).toEqual([
      { row: 1, line: null, field: 'extension', value: '-3' },
      { row: 1, line: null, field: 'phoneNumber', value: '1.5' },
    ]);
  });

  test('national numbers need the default country', () => {
    expect(parseDirectoryJson({ voiceUsers: [{ ...ada, phoneNumber: '(425) 555-0100' }] }, { defaultCountry: 'US' })).toEqual({
      ok: true,
      value: [ada],
    });
    expect(errorsOf(json({ ...ada, phoneNumber: '(425) 555-0100' }))[0].message).toMatch(/country code/);
  });

  test('an unknown default country is one error for the whole directory', () => {
    expect(parseDirectoryJson({ voiceUsers: [ada] }, { defaultCountry: 'ZZ' })).toEqual({
      ok: false,
      error: expect.objectContaining({
        code: 'DIRECTORY_INVALID',
        details: { errors: [{ row: 0, line: null, field: 'defaultCountry', value: 'ZZ', message: expect.stringMatching(/ISO 3166/) }] },
      }),
    });
  });

  test('an empty directory is valid (it removes every voice user)', () => {
    expect(json()).toEqual({ ok: true, value: [] });
  });

  test.each([
    ['not an object', [ada], null, /JSON object/],
    ['null', null, null, /JSON object/],
    ['without voiceUsers', {}, 'voiceUsers', /must be an array/],
    ['voiceUsers not an array', { voiceUsers: { 0: ada } }, 'voiceUsers', /must be an array/],
    ['an unknown top-level field', { voiceUsers: [ada], users: [] }, 'users', /Unknown field "users"/],
  ])('a body %s is refused whole', (_name, body, field, message) => {
    expect(parseDirectoryJson(body)).toEqual({
      ok: false,
      error: expect.objectContaining({
        code: 'DIRECTORY_INVALID',
        details: { errors: [{ row: 0, line: null, field, message: expect.stringMatching(message) }] },
      }),
    });
  });

  test('every problem of every row is reported, not just the first', () => {
    const result = json(
      { ...ada, id: 'bad id', email: 'not-an-email', phoneNumber: '+1 425 555 01OO', voicemail: 'maybe', musicOnHold: 'jazz' },
      'not an object',
      { id: 'u-3', displayName: '', extension: '12a', callForwarding: 2, phone: '+14255550111', constructor: 'x' },
      { id: 'u-4', displayName: 'No Number' },
    );
    expect(errorsOf(result)).toEqual([
      { row: 1, line: null, field: 'id', value: 'bad id', message: expect.stringMatching(/1-64 letters/) },
      { row: 1, line: null, field: 'email', value: 'not-an-email', message: expect.stringMatching(/email address/) },
      { row: 1, line: null, field: 'phoneNumber', value: '+1 425 555 01OO', message: expect.stringMatching(/no letters/) },
      { row: 1, line: null, field: 'voicemail', value: 'maybe', message: expect.stringMatching(/true or false/) },
      { row: 1, line: null, field: 'musicOnHold', value: 'jazz', message: expect.stringMatching(/"teams" or "provider"/) },
      { row: 2, line: null, field: null, message: expect.stringMatching(/must be a JSON object/) },
      { row: 3, line: null, field: 'phone', message: expect.stringMatching(/Unknown field "phone"/) },
      { row: 3, line: null, field: 'constructor', message: expect.stringMatching(/Unknown field "constructor"/) },
      { row: 3, line: null, field: 'displayName', value: '', message: expect.stringMatching(/required/) },
      { row: 3, line: null, field: 'extension', value: '12a', message: expect.stringMatching(/digits only/) },
      { row: 3, line: null, field: 'callForwarding', value: '2', message: expect.stringMatching(/true or false/) },
      { row: 4, line: null, field: null, message: expect.stringMatching(/phone number, an extension, or both/) },
    ]);
  });

  test.each([
    ['id', 'missing', undefined, /required/],
    ['id', 'a number', 42, /must be text/],
    ['id', '65 characters', 'a'.repeat(65), /1-64/],
    ['id', 'with a slash', 'a/b', /1-64/],
    ['displayName', 'missing', undefined, /required/],
    ['displayName', '257 characters', 'x'.repeat(257), /at most 256/],
    ['displayName', 'with a line break', 'Ada\nAdler', /control characters/],
    ['email', 'without a domain', 'ada@', /email address/],
    ['email', 'of 260 characters', `${'a'.repeat(250)}@b.example`, /254/],
    ['extension', 'of 11 digits', '12345678901', /at most 10 digits/],
    ['extension', 'a boolean', true, /text or a number/],
    ['phoneNumber', 'with an extension', '+1 425 555 0100 x12', /extension/],
    ['phoneNumber', 'an array', ['+14255550100'], /text or a number/],
    ['voicemail', 'in another language', 'si', /true or false/],
    ['callForwarding', 'an object', {}, /true or false/],
    ['musicOnHold', 'of another source', 'Spotify', /"teams" or "provider"/],
  ])('%s %s is refused', (field, _label, value, message) => {
    const errors = errorsOf(json({ ...ada, [field]: value }));
    expect(errors).toEqual([expect.objectContaining({ row: 1, field, message: expect.stringMatching(message) })]);
  });

  test.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['Y', true],
    ['1', true],
    [true, true],
    ['false', false],
    ['No', false],
    ['n', false],
    ['0', false],
    [false, false],
    ['', true],
    [undefined, true],
  ])('the flag %j reads as %s', (value, expected) => {
    const result = json({ ...ada, voicemail: value, callForwarding: value });
    expect(result).toEqual({ ok: true, value: [{ ...ada, voicemail: expected, callForwarding: expected }] });
  });

  test.each([
    ['teams', 'teams'],
    ['Provider', 'provider'],
    [' PROVIDER ', 'provider'],
    ['', 'teams'],
  ])('music on hold %j reads as %j', (value, expected) => {
    expect(json({ ...ada, musicOnHold: value })).toEqual({ ok: true, value: [{ ...ada, musicOnHold: expected }] });
  });

  test('a value echoed in an error is cut to 100 characters', () => {
    const [error] = errorsOf(json({ ...ada, email: `${'a'.repeat(300)}` }));
    expect(error.value).toHaveLength(100);
  });
});

describe('duplicates', () => {
  const user = (id: string, extension: string | null, phoneNumber: string | null) => ({ id, displayName: id, extension, phoneNumber });

  test('a repeated id is reported on every repeat, naming the first row', () => {
    const result = json(user('a', '1', null), user('b', '2', null), user('a', '3', null), user('a', '4', null));
    expect(errorsOf(result)).toEqual([
      { row: 3, line: null, field: 'id', value: 'a', message: 'The id "a" is already used by row 1.' },
      { row: 4, line: null, field: 'id', value: 'a', message: 'The id "a" is already used by row 1.' },
    ]);
  });

  test('ids are compared exactly: case makes a different id', () => {
    expect(json(user('a', '1', null), user('A', '2', null)).ok).toBe(true);
  });

  test('a repeated extension is reported', () => {
    expect(shapes(json(user('a', '0100', null), user('b', '100', null), user('c', '0100', null)))).toEqual([
      { row: 3, line: null, field: 'extension', value: '0100' },
    ]);
  });

  test('users may share a number when each has its own extension (tel:+…;ext=…)', () => {
    const result = json(user('a', '1', '+14255550100'), user('b', '2', '+1 425 555 0100'), user('c', '3', '+14255550100'));
    expect(result.ok).toBe(true);
  });

  test('a shared number is refused when either user has no extension', () => {
    const result = json(
      user('a', '1', '+14255550100'),
      user('b', null, '+14255550100'),
      user('c', '3', '+14255550100'),
      user('d', null, '+442079460958'),
      user('e', '5', '+442079460958'),
    );
    expect(errorsOf(result)).toEqual([
      { row: 2, line: null, field: 'phoneNumber', value: '+14255550100', message: expect.stringMatching(/already used by row 1;/) },
      { row: 3, line: null, field: 'phoneNumber', value: '+14255550100', message: expect.stringMatching(/already used by row 2;/) },
      { row: 5, line: null, field: 'phoneNumber', value: '+442079460958', message: expect.stringMatching(/already used by row 4;/) },
    ]);
  });

  test('a shared number with the same extension is an extension clash', () => {
    expect(shapes(json(user('a', '1', '+14255550100'), user('b', '1', '+14255550100')))).toEqual([
      { row: 2, line: null, field: 'extension', value: '1' },
    ]);
  });

  test('a row with an invalid extension raises no sharing error on top of it', () => {
    expect(shapes(json(user('a', '1', '+14255550100'), user('b', 'x', '+14255550100')))).toEqual([
      { row: 2, line: null, field: 'extension', value: 'x' },
    ]);
  });

  test('duplicates are found among numbers written differently', () => {
    const result = parseDirectoryJson(
      { voiceUsers: [user('a', null, '(425) 555-0100'), user('b', null, ' 14255550100')] },
      { defaultCountry: 'US' },
    );
    expect(shapes(result)).toEqual([{ row: 2, line: null, field: 'phoneNumber', value: '+14255550100' }]);
  });
});

describe('size limit', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ line: null, fields: { id: `u${i}`, displayName: `User ${i}`, extension: `${i}` } }));

  test(`${MAX_DIRECTORY_ROWS} voice users are accepted`, () => {
    const result = validateDirectory(many(MAX_DIRECTORY_ROWS));
    expect(result.ok && result.value.length).toBe(MAX_DIRECTORY_ROWS);
  });

  test('one more is refused with a single error', () => {
    expect(validateDirectory(many(MAX_DIRECTORY_ROWS + 1))).toEqual({
      ok: false,
      error: expect.objectContaining({
        code: 'DIRECTORY_INVALID',
        details: {
          errors: [{ row: 0, line: null, field: null, message: `A directory holds at most 10000 voice users; this one has 10001.` }],
        },
      }),
    });
  });
});

describe('CSV directory', () => {
  const csv = (...lines: string[]) => lines.join('\n');

  test('a good file: BOM, CRLF, tolerant header names, quoted commas, defaults, blank lines', () => {
    const text =
      '\uFEFFVoice User ID,Name,E-mail,Ext Key,DID,Voicemail,Call Forwarding Allowed,MOH\r\n' +
      'u-100,"Adler, Ada",ada@contoso.example,2424,+1 425 555 0100,yes,Y,Teams\r\n' +
      '\r\n' +
      'u-101,Bo Berg,,0100,,no,0,provider\r\n' +
      ',,,,,,,\r\n' +
      'u-102,Cy Chan,cy@contoso.example,,(425) 555-0102,,,\r\n';
    expect(parseDirectoryCsv(text, { defaultCountry: 'US' })).toEqual({
      ok: true,
      value: [
        { ...ada, displayName: 'Adler, Ada' },
        {
          id: 'u-101',
          displayName: 'Bo Berg',
          email: null,
          extension: '0100',
          phoneNumber: null,
          voicemail: false,
          callForwarding: false,
          musicOnHold: 'provider',
        },
        {
          id: 'u-102',
          displayName: 'Cy Chan',
          email: 'cy@contoso.example',
          extension: null,
          phoneNumber: '+14255550102',
          voicemail: true,
          callForwarding: true,
          musicOnHold: 'teams',
        },
      ],
    });
  });

  test('columns may come in any order, and optional ones may be left out', () => {
    expect(parseDirectoryCsv(csv('phone_number,display_name,ID', '+14255550100,Ada Adler,u-100'))).toEqual({
      ok: true,
      value: [{ ...ada, email: null, extension: null }],
    });
  });

  test('a header alone is an empty directory', () => {
    expect(parseDirectoryCsv('id,displayName,extension\n')).toEqual({ ok: true, value: [] });
  });

  test('a "+" lost to form decoding (leading space) still reads as international', () => {
    const result = parseDirectoryCsv(csv('id,displayName,phoneNumber', 'u-100,Ada, 14255550100'));
    expect(result.ok && result.value[0].phoneNumber).toBe('+14255550100');
  });

  test('several bad rows: every error is reported with its row and physical line', () => {
    const text = csv(
      'id,displayName,email,extension,phoneNumber,voicemail,callForwarding,musicOnHold',
      'u-1,Ada,ada@contoso.example,101,+14255550101,yes,yes,teams',
      'u-2,Bo,bo@,102,+14255550102,yes,yes,teams',
      '',
      'u-3,Cy,,103,+1 425 555 0103 x9,perhaps,yes,teams',
      'u-1,Di,,104,+14255550104,yes,yes,radio',
      'u-5,Ed,,101,+14255550101,,,',
      'u-6,Flo,,,,,,',
      'u 7,,,abc,12345,,,',
    );
    expect(errorsOf(parseDirectoryCsv(text))).toEqual([
      { row: 2, line: 3, field: 'email', value: 'bo@', message: expect.any(String) },
      { row: 3, line: 5, field: 'phoneNumber', value: '+1 425 555 0103 x9', message: expect.stringMatching(/extension/) },
      { row: 3, line: 5, field: 'voicemail', value: 'perhaps', message: expect.any(String) },
      { row: 4, line: 6, field: 'musicOnHold', value: 'radio', message: expect.any(String) },
      { row: 4, line: 6, field: 'id', value: 'u-1', message: 'The id "u-1" is already used by row 1 (line 2).' },
      { row: 5, line: 7, field: 'extension', value: '101', message: 'The extension 101 is already used by row 1 (line 2).' },
      { row: 6, line: 8, field: null, message: expect.stringMatching(/phone number, an extension, or both/) },
      { row: 7, line: 9, field: 'id', value: 'u 7', message: expect.any(String) },
      { row: 7, line: 9, field: 'displayName', value: '', message: expect.any(String) },
      { row: 7, line: 9, field: 'extension', value: 'abc', message: expect.any(String) },
      { row: 7, line: 9, field: 'phoneNumber', value: '12345', message: expect.stringMatching(/country code/) },
    ]);
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('a quoted value spanning lines (%s) keeps the line numbers of the rows after it right', (_name, eol) => {
    const text = ['id,displayName,extension', 'u-1,"Ada', 'Adler",101', 'u-2,"Bo ""The Boss"", Berg",102', 'u-3,,103', ''].join(eol);
    expect(errorsOf(parseDirectoryCsv(text))).toEqual([
      { row: 1, line: 2, field: 'displayName', value: `Ada${eol}Adler`, message: expect.stringMatching(/line breaks/) },
      { row: 3, line: 5, field: 'displayName', value: '', message: expect.any(String) },
    ]);
    const fixed = parseDirectoryCsv(text.replace(`Ada${eol}Adler`, 'Ada Adler').replace('u-3,,', 'u-3,Cy,'));
    expect(fixed.ok && fixed.value.map((u) => u.displayName)).toEqual(['Ada Adler', 'Bo "The Boss", Berg', 'Cy']);
  });

  test('a stray quote inside an unquoted value is kept as text', () => {
    const result = parseDirectoryCsv(csv('id,displayName,extension', 'u-1,Bo "The Boss" Berg,101'));
    expect(result.ok && result.value[0].displayName).toBe('Bo "The Boss" Berg');
  });

  test('an unclosed quote is one error, on the line of the row where it opens', () => {
    const text = csv('id,displayName,extension', 'u-1,Ada,101', '', 'u-2,"Bo,102', 'u-3,Cy,103', 'u-4,Di,104');
    expect(parseDirectoryCsv(text)).toEqual({
      ok: false,
      error: expect.objectContaining({
        code: 'DIRECTORY_INVALID',
        details: { errors: [{ row: 0, line: 4, field: null, message: expect.stringMatching(/never closed/) }] },
      }),
    });
  });

  test('a row with more or fewer values than the header is reported, with its fields still checked', () => {
    const text = csv('id,displayName,extension', 'u-1,Ada,101,extra', 'u-2,Bo', 'u-3,Cy,103,,', 'u-4,Di,104');
    expect(errorsOf(parseDirectoryCsv(text))).toEqual([
      { row: 1, line: 2, field: null, message: 'This row has 4 values but the header has 3 columns.' },
      { row: 2, line: 3, field: null, message: 'This row has 2 values but the header has 3 columns.' },
      { row: 2, line: 3, field: null, message: expect.stringMatching(/phone number, an extension, or both/) },
    ]);
  });

  describe('header problems are reported on the header line, and alone', () => {
    test.each([
      [
        'an unknown column',
        csv('id,displayName,extension,Addon license 1', 'u-1,,x,team_chat'),
        [
          {
            field: 'Addon license 1',
            value: 'Addon license 1',
            message: expect.stringMatching(/Unknown column "Addon license 1"; the columns are id, displayName/),
          },
        ],
      ],
      [
        'the same field twice',
        csv('id,name,display_name,extension', 'u-1,A,A,1'),
        [{ field: 'displayName', value: 'display_name', message: 'The columns "name" and "display_name" are both displayName.' }],
      ],
      [
        'missing required columns',
        csv('email,extension', 'a@b.example,1'),
        [
          { field: 'id', message: 'The required column "id" is missing.' },
          { field: 'displayName', message: 'The required column "displayName" is missing.' },
        ],
      ],
      [
        'neither a phone number nor an extension column',
        csv('id,displayName', 'u-1,Ada'),
        [{ field: null, message: 'The file needs a phoneNumber column, an extension column, or both.' }],
      ],
      [
        'a nameless column with values',
        csv('id,displayName,extension,', 'u-1,Ada,1,oops'),
        [{ field: null, value: '', message: 'Column 4 has values but no name in the header.' }],
      ],
    ])('%s', (_name, text, expected) => {
      expect(errorsOf(parseDirectoryCsv(text))).toEqual(expected.map((error) => ({ row: 0, line: 1, ...error })));
    });

    test('the header line is its physical line, after leading blank lines', () => {
      expect(errorsOf(parseDirectoryCsv(csv('', '', 'id,nom,extension')))).toEqual([
        { row: 0, line: 3, field: 'nom', value: 'nom', message: expect.stringMatching(/Unknown column/) },
        { row: 0, line: 3, field: 'displayName', message: expect.any(String) },
      ]);
    });

    test('a nameless column left empty (as spreadsheets export) is ignored', () => {
      expect(parseDirectoryCsv(csv('id,displayName,extension,,', 'u-1,Ada,1,,')).ok).toBe(true);
    });

    test('an empty file needs a header', () => {
      expect(errorsOf(parseDirectoryCsv(''))).toEqual([{ row: 0, line: 1, field: null, message: expect.stringMatching(/header row/) }]);
      expect(errorsOf(parseDirectoryCsv('\uFEFF\n\n'))).toEqual([
        { row: 0, line: 1, field: null, message: expect.stringMatching(/header row/) },
      ]);
    });
  });

  test('every column has its canonical name among its accepted headers, and every field has a column', () => {
    expect(DIRECTORY_CSV_COLUMNS.map((column) => column.field)).toEqual(VOICE_USER_FIELDS);
    for (const column of DIRECTORY_CSV_COLUMNS) expect(column.headers).toContain(column.field.toLowerCase());
  });

  test('docs/voice-users.md documents every column and header spelling', () => {
    const docs = readFileSync(join(__dirname, '../../docs/voice-users.md'), 'utf8');
    for (const column of DIRECTORY_CSV_COLUMNS) {
      expect(docs).toContain(`\`${column.field}\``);
      for (const header of column.headers) expect(docs.toLowerCase()).toContain(`\`${header}\``);
    }
  });
});

describe('round trips', () => {
  const idArb = fc.stringMatching(/^[A-Za-z0-9._@-]{1,64}$/);
  // Biased towards what CSV must quote.
  const nameUnit = fc.oneof(fc.constantFrom(',', '"', ' ', "'", ';'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
  const nameArb = fc
    .string({ unit: nameUnit, minLength: 1, maxLength: 40 })
    .map((name) => name.trim())
    .filter((name) => name.length > 0 && displayNameProblem(name) === null);
  const emailArb = fc
    .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/), fc.stringMatching(/^[a-z0-9]{1,12}$/))
    .filter(([local]) => !local.includes('..') && !local.endsWith('.'))
    .map(([local, domain]) => `${local}@${domain}.example`);
  const phoneArb = fc.tuple(fc.integer({ min: 2, max: 9 }), fc.stringMatching(/^[0-9]{9}$/)).map(([first, rest]) => `+1${first}${rest}`);
  const userArb: fc.Arbitrary<VoiceUser> = fc
    .record({
      id: idArb,
      displayName: nameArb,
      email: fc.option(emailArb, { nil: null }),
      extension: fc.option(fc.stringMatching(/^[0-9]{1,10}$/), { nil: null }),
      phoneNumber: fc.option(phoneArb, { nil: null }),
      voicemail: fc.boolean(),
      callForwarding: fc.boolean(),
      musicOnHold: fc.constantFrom('teams' as const, 'provider' as const),
    })
    .filter((user) => user.extension !== null || user.phoneNumber !== null);

  /** Unique ids, extensions and numbers: a directory that must validate. */
  const directoryArb = fc.uniqueArray(userArb, { selector: (user) => user.id, maxLength: 30, size: 'max' }).map((users) => {
    const taken = new Set<string>();
    return users.filter((user) => {
      const keys = [user.extension && `ext:${user.extension}`, user.phoneNumber && `tel:${user.phoneNumber}`].filter(
        (key): key is string => !!key,
      );
      if (keys.some((key) => taken.has(key))) return false;
      keys.forEach((key) => taken.add(key));
      return true;
    });
  });

  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const TRUE_SPELLINGS = ['true', 'TRUE', 'yes', 'Y', '1'];
  const FALSE_SPELLINGS = ['false', 'No', 'n', '0'];

  function toCsv(users: VoiceUser[], eol: string, spelling: number, bom: boolean): string {
    const flag = (value: boolean) =>
      (value ? TRUE_SPELLINGS : FALSE_SPELLINGS)[spelling % (value ? TRUE_SPELLINGS : FALSE_SPELLINGS).length];
    const phone = (e164: string) =>
      [e164, `${e164.slice(0, 2)} (${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`, `tel:${e164}`][spelling % 3];
    const lines = [
      'Voice User ID,Display Name,Email,Ext,Phone Number,Voicemail,Call Forwarding,Music On Hold',
      ...users.map((user) =>
        [
          user.id,
          quote(user.displayName),
          user.email ?? '',
          user.extension ?? '',
          user.phoneNumber === null ? '' : quote(phone(user.phoneNumber)),
          flag(user.voicemail),
          flag(user.callForwarding),
          spelling % 2 === 0 ? user.musicOnHold : user.musicOnHold.toUpperCase(),
        ].join(','),
      ),
    ];
    return (bom ? '\uFEFF' : '') + lines.join(eol) + eol;
  }

  test('the generated directories are not trivial', () => {
    const samples = fc.sample(directoryArb, { numRuns: 100, seed: 1 });
    expect(samples.filter((users) => users.length >= 10).length).toBeGreaterThan(30);
    expect(samples.flat().some((user) => /[",]/.test(user.displayName))).toBe(true);
  });

  test('any valid directory survives JSON → validate unchanged', () => {
    fc.assert(
      fc.property(directoryArb, (users) => {
        expect(parseDirectoryJson(JSON.parse(JSON.stringify({ voiceUsers: users })))).toEqual({ ok: true, value: users });
      }),
      { numRuns: 150 },
    );
  });

  test('any valid directory survives CSV → validate unchanged, whatever the spellings and line endings', () => {
    fc.assert(
      fc.property(directoryArb, fc.constantFrom('\n', '\r\n'), fc.nat(), fc.boolean(), (users, eol, spelling, bom) => {
        expect(parseDirectoryCsv(toCsv(users, eol, spelling, bom))).toEqual({ ok: true, value: users });
      }),
      { numRuns: 150 },
    );
  });

  test('a validated directory validates to itself', () => {
    fc.assert(
      fc.property(directoryArb, (users) => {
        const once = validateDirectory(users.map((fields) => ({ line: null, fields })));
        expect(once.ok && validateDirectory(once.value.map((fields) => ({ line: null, fields })))).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });
});
