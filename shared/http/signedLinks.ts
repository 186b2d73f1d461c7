/**
 * Signed, expiring links for emails (HS256 JWS): bound to a purpose, an account and its Global Admin, so a link
 * forwarded to someone else, or kept after the GA changed, opens nothing. The page they open re-checks everything.
 */
import { jwtVerify, SignJWT, errors } from 'jose';
import { randomUUID } from 'node:crypto';

export type LinkPurpose = 'integration';

export interface LinkClaims {
  purpose: LinkPurpose;
  accountId: string;
  globalAdminId: string;
}

export type LinkCheck = { valid: true; claims: LinkClaims; expiresAt: Date } | { valid: false; reason: 'expired' | 'invalid' };

const ISSUER = 'teams-voice-sync';

export class LinkSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: LinkClaims, now: Date = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ pur: claims.purpose, acc: claims.accountId, ga: claims.globalAdminId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
  }

  async verify(token: string, now: Date = new Date()): Promise<LinkCheck> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'], currentDate: now });
      const { pur, acc, ga, exp } = payload as { pur?: unknown; acc?: unknown; ga?: unknown; exp?: number };
      if (pur !== 'integration' || typeof acc !== 'string' || typeof ga !== 'string' || !exp) return { valid: false, reason: 'invalid' };
      return { valid: true, claims: { purpose: pur, accountId: acc, globalAdminId: ga }, expiresAt: new Date(exp * 1000) };
    } catch (err) {
      return { valid: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
