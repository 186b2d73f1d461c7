/**
 * CSRF protection of the integration page's forms ("signed double submit"): a random cookie plus a form token that
 * is an HMAC of that cookie and the account. A POST without both, or with a token minted for another cookie or
 * account, is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('teams-voice-sync/csrf').digest();
  }

  tokenFor(cookieValue: string, accountId: string): string {
    return createHmac('sha256', this.key).update(`${cookieValue}|${accountId}`).digest('base64url');
  }

  verify(cookieValue: string | undefined, token: string | undefined, accountId: string): boolean {
    if (!cookieValue || !token) return false;
    const expected = Buffer.from(this.tokenFor(cookieValue, accountId));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
