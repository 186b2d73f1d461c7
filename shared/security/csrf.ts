/**
 * CSRF protection of the integration page's forms ("signed double submit"): a random cookie plus a form token that
 * is an HMAC of that cookie and the account. A POST without both, or with a token minted for another cookie or
 * account, is refused. Tokens are made with the current key and carry no key id (they live as long as a page view);
 * a token made with a previous key is still accepted while that key is configured, so a rotation spoils no open page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeyRing, PurposeKeys } from './keyRing';

const hmac = (key: Uint8Array, cookieValue: string, accountId: string): Buffer =>
  createHmac('sha256', key).update(`${cookieValue}|${accountId}`).digest();

export class CsrfTokens {
  private readonly keys: PurposeKeys;

  constructor(ring: KeyRing) {
    this.keys = new PurposeKeys(ring, 'csrf');
  }

  tokenFor(cookieValue: string, accountId: string): string {
    return hmac(this.keys.current.key, cookieValue, accountId).toString('base64url');
  }

  verify(cookieValue: string | undefined, token: string | undefined, accountId: string): boolean {
    if (!cookieValue || !token) return false;
    const given = Buffer.from(token);
    return this.keys.accepted.some(({ key }) => {
      const expected = Buffer.from(hmac(key, cookieValue, accountId).toString('base64url'));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}
