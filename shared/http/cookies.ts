/**
 * The cookies of the browser endpoints (integration page and Microsoft callbacks), which carry no function key: the
 * CSRF cookie of the page's forms and the flow cookie that binds an OAuth state to the browser that started it
 * (see shared/security/csrf.ts and browserBinding.ts).
 */
import { parse, serialize } from 'cookie';

export const CSRF_COOKIE = 'tvs_csrf';
export const FLOW_COOKIE = 'tvs_flow';

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
