/**
 * One rule for every display name the product stores and shows (accounts, Global Admins, voice users): printable
 * text. Refused: control characters (line breaks, tabs, NUL, DEL…), the line and paragraph separators U+2028 and
 * U+2029, the zero-width space U+200B and the byte-order mark U+FEFF, the bidirectional overrides, embeddings,
 * isolates and marks that can make a name read differently from what it is (U+202A–U+202E, U+2066–U+2069, U+200E,
 * U+200F, U+061C), and lone surrogates (not text at all). Joiners stay allowed: emoji and many scripts need them.
 */
const CONTROL = /\p{Cc}/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
/** Line and paragraph separators (line breaks by another name), zero-width space and the byte-order mark. */
const INVISIBLE_BREAK = /[\u2028\u2029\u200B\uFEFF]/u;
/** With the u flag a well-formed pair is one code point; only a lone surrogate is left in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `name` is not an acceptable display name, or null when it is. */
export function displayNameProblem(name: string): string | null {
  if (CONTROL.test(name) || INVISIBLE_BREAK.test(name)) {
    return 'A display name has no line breaks, tabs, zero-width spaces or other control characters.';
  }
  if (BIDI_CONTROL.test(name)) return 'A display name has no bidirectional control characters (such as right-to-left overrides).';
  if (LONE_SURROGATE.test(name)) return 'A display name must be valid Unicode text (it has a lone surrogate).';
  return null;
}
