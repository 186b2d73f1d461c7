/**
 * Login-CSRF protection: the browser that starts a Microsoft round trip gets a random cookie whose hash is stored
 * with the OAuth state, so a state cannot be completed in someone else's browser.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: OAuth states and cookie values. */
export const randomValue = (): string => randomBytes(32).toString('base64url');

/** What is stored of a browser's flow cookie: its hash, never the cookie itself. */
export const bindingOf = (cookieValue: string): string => createHash('sha256').update(cookieValue).digest('base64url');
