/** Input hygiene: one display-name rule, UTF-8 checked to the byte, CSV cells that cannot become formulas. */
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { displayNameProblem } from '../../shared/domain/displayName';
import { firstInvalidUtf8Byte } from '../../shared/http/utf8';
import { parse } from 'csv-parse/sync';
import { csvRow, neutralizeCsvCell } from '../../shared/security/csvCells';

describe('display names', () => {
  test.each([
    ['NUL', 'Acme\u0000Ltd'],
    ['a line break', 'Acme\nLtd'],
    ['DEL', 'Acme\u007f'],
    ['a line separator', 'Acme\u2028Ltd'],
    ['a zero-width space', 'Acme\u200BLtd'],
    ['a byte-order mark', '\uFEFFAcme'],
    ['a right-to-left override', 'Acme \u202Egnp.exe'],
    ['a left-to-right isolate', 'Acme \u2066x\u2069'],
    ['a right-to-left mark', 'Acme\u200F'],
    ['a lone high surrogate', 'Acme \uD800'],
    ['a lone low surrogate', '\uDC00Acme'],
  ])('%s is refused', (_, name) => {
    expect(displayNameProblem(name)).toEqual(expect.any(String));
  });

  test.each([
    ['plain text', 'Acme Ltd'],
    ['accents and other scripts', 'Zoë Müller · 山田太郎 · مرحبا'],
    ['an emoji made with a zero-width joiner', 'Team 👩\u200D💻'],
    ['a surrogate pair', 'Ship 🚢'],
  ])('%s is accepted', (_, name) => {
    expect(displayNameProblem(name)).toBeNull();
  });
});

describe('UTF-8', () => {
  test('agrees with Node on every byte string, and names the first bad byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const at = firstInvalidUtf8Byte(bytes);
        expect(at === -1).toBe(isUtf8(bytes));
        if (at >= 0) expect(isUtf8(bytes.subarray(0, at))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test.each([
    ['a Latin-1 é', [0x41, 0xe9, 0x42], 1],
    ['an overlong slash', [0x2f, 0xc0, 0xaf], 1],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
    ['a truncated sequence at the end', [0x41, 0x42, 0xe2, 0x82], 2],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
  ])('%s', (_, bytes, offset) => {
    expect(firstInvalidUtf8Byte(Uint8Array.from(bytes))).toBe(offset);
  });

  test('well-formed text, a BOM and 4-byte characters pass', () => {
    expect(firstInvalidUtf8Byte(Buffer.from('\uFEFFid,displayName\nv1,Zoë 🚢\n'))).toBe(-1);
  });
});

describe('CSV cells the product writes', () => {
  test.each(['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx'])('%j is kept as text', (cell) => {
    expect(neutralizeCsvCell(cell)).toBe(`'${cell}`);
  });
  test.each(['Ada Lovelace', '2024-01-01', 'a=b', '', "'already text"])('%j is unchanged', (cell) => {
    expect(neutralizeCsvCell(cell)).toBe(cell);
  });
});

describe('CSV rows the product writes', () => {
  test('cells are neutralised and quoted, and read back as the text they were', () => {
    const cells = ['Ada, Countess', 'says "hi"', 'two\nlines', '=1+1', '-5', 'plain'];
    const line = csvRow(cells);
    expect(line).toBe(`"Ada, Countess","says ""hi""","two\nlines",'=1+1,'-5,plain`);
    expect(parse(line)).toEqual([['Ada, Countess', 'says "hi"', 'two\nlines', "'=1+1", "'-5", 'plain']]);
  });
});
