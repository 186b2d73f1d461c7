/**
 * Authenticated encryption for short-lived secrets that must sit in a table row for a few minutes, such as a PKCE
 * verifier: a row read by someone else reveals nothing and cannot be altered unnoticed. A compact JWE (jose,
 * `dir` + `A256GCM`, full 128-bit tags only) with the key id (`kid`) and the value's place (`ctx`, e.g. table, row
 * and field) in the protected header, which GCM authenticates: a value copied into another row does not open.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import { KeyRing, PurposeKeys } from './keyRing';

const ALG = 'dir';
const ENC = 'A256GCM';

export class Sealer {
  private readonly keys: PurposeKeys;

  constructor(ring: KeyRing) {
    this.keys = new PurposeKeys(ring, 'sealing');
  }

  /** `context` names where the value lives (e.g. `authSessions/{state}/verifier`); open needs the same. */
  async seal(plain: string, context: string): Promise<string> {
    const { kid, key } = this.keys.current;
    return new CompactEncrypt(new TextEncoder().encode(plain)).setProtectedHeader({ alg: ALG, enc: ENC, kid, ctx: context }).encrypt(key);
  }

  /** The plain text, or undefined when the value was altered, sealed for another place, or under a key we do not hold. */
  async open(sealed: string, context: string): Promise<string | undefined> {
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(
        sealed,
        (header) => {
          const key = this.keys.byId(header.kid);
          if (!key) throw new Error('unknown key id');
          return key;
        },
        { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] },
      );
      if (protectedHeader.ctx !== context) return undefined;
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch {
      return undefined;
    }
  }
}
