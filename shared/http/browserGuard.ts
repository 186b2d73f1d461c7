/**
 * Protection for the browser endpoints (integration page and Microsoft callbacks), which carry no function key:
 * - CSRF: a random cookie plus a form token that is an HMAC of that cookie and the account ("signed double submit");
 *   a POST without both, or with a token minted for another cookie or account, is refused.
 * - Login CSRF: the browser that starts a Microsoft round trip gets a random cookie whose hash is stored with the
 *   OAuth state, so a state cannot be completed in someone else's browser.
 */
import { parse, serialize } from 'cookie';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CSRF_COOKIE = 'tvs_csrf';
export const FLOW_COOKIE = 'tvs_flow';

export const randomValue = (): string => randomBytes(32).toString('base64url');
export const bindingOf = (cookieValue: string): string => createHash('sha256').update(cookieValue).digest('base64url');

export function readCookie(headers: { get(name: string): string | null }, name: string): string | undefined {
  const value = parse(headers.get('cookie') ?? '')[name];
  return value && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
}

/** A session cookie scoped to `path`; Secure whenever the app is served over https. */
export function cookieHeader(name: string, value: string, path: string, publicBaseUrl: string, maxAgeSeconds?: number): string {
  return serialize(name, value, {
    path,
    httpOnly: true,
    sameSite: 'lax', // sent on the top-level GET redirect back from Microsoft, never on cross-site POSTs
    secure: publicBaseUrl.startsWith('https:'),
    maxAge: maxAgeSeconds,
  });
}

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
