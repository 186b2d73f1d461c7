/**
 * Signed, expiring links for emails (HS256 JWS): bound to a purpose, an account, its Global Admin and the GA's email
 * address (as a digest), so a link kept after the GA or their mailbox changed opens nothing. The page they open
 * re-checks everything. Each link names its key (`kid`): after a rotation, links signed with a previous key keep
 * opening while that key is still configured (docs/operations.md).
 */
import { jwtVerify, SignJWT, errors } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { fail, ok, Result } from '../domain/errors';
import { KeyRing, PurposeKeys } from './keyRing';

/** `integration` opens the page; `sync` opens it ready to sync (from the portal's POST /sync or an email). */
export type LinkPurpose = 'integration' | 'sync';
const PURPOSES: readonly unknown[] = ['integration', 'sync'];

export interface LinkClaims {
  purpose: LinkPurpose;
  accountId: string;
  globalAdminId: string;
  /** Digest of the address the link was sent to (see emailDigest). */
  globalAdminEmailDigest: string;
  /** Where a sync link was handed out: `portal` (POST /sync); absent for email links. */
  via?: 'portal';
}

/** A short digest of an email address: enough to tell addresses apart, without putting the address in the link. */
export const emailDigest = (email: string): string =>
  createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);

export interface LinkRequest {
  purpose: LinkPurpose;
  accountId: string;
  globalAdminId: string;
  globalAdminEmail: string;
  /** A shorter life than the signer's default (a portal sync link lives minutes, not days). */
  ttlSeconds?: number;
  via?: 'portal';
}

export interface VerifiedLink {
  claims: LinkClaims;
  expiresAt: Date;
  /** The link's own id (`jti`): what a single-use link is recorded by once used. */
  linkId: string;
}

const ISSUER = 'teams-voice-sync';

const invalid = (): Result<VerifiedLink> => fail('LINK_INVALID', 'This link is not valid: it was changed or was not issued by us.');

export class LinkSigner {
  private readonly keys: PurposeKeys;

  constructor(
    ring: KeyRing,
    private readonly ttlSeconds: number,
  ) {
    this.keys = new PurposeKeys(ring, 'links');
  }

  async sign(claims: LinkRequest, now: Date = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({
      pur: claims.purpose,
      acc: claims.accountId,
      ga: claims.globalAdminId,
      gae: emailDigest(claims.globalAdminEmail),
      ...(claims.via ? { via: claims.via } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', kid: this.keys.current.kid })
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (claims.ttlSeconds ?? this.ttlSeconds))
      .setJti(randomUUID())
      .sign(this.keys.current.key);
  }

  /** The link's claims, or LINK_EXPIRED / LINK_INVALID (changed, not issued by us, or its key is no longer held). */
  async verify(token: string, now: Date = new Date()): Promise<Result<VerifiedLink>> {
    const keyOf = (header: { kid?: unknown }): Uint8Array => {
      const key = this.keys.byId(header.kid);
      if (!key) throw new Error('unknown key id');
      return key;
    };
    try {
      const { payload } = await jwtVerify(token, keyOf, { issuer: ISSUER, algorithms: ['HS256'], currentDate: now });
      const { pur, acc, ga, gae, via, exp, jti } = payload as {
        pur?: unknown;
        acc?: unknown;
        ga?: unknown;
        gae?: unknown;
        via?: unknown;
        exp?: number;
        jti?: unknown;
      };
      if (
        !PURPOSES.includes(pur) ||
        typeof acc !== 'string' ||
        typeof ga !== 'string' ||
        typeof gae !== 'string' ||
        !exp ||
        typeof jti !== 'string'
      ) {
        return invalid();
      }
      return ok({
        claims: {
          purpose: pur as LinkPurpose,
          accountId: acc,
          globalAdminId: ga,
          globalAdminEmailDigest: gae,
          ...(via === 'portal' ? { via } : {}),
        },
        expiresAt: new Date(exp * 1000),
        linkId: jti,
      });
    } catch (err) {
      return err instanceof errors.JWTExpired ? fail('LINK_EXPIRED', 'This link has expired.') : invalid();
    }
  }
}
