/** What the activation use cases need from the outside world. */
import { MicrosoftIdentity } from '../domain/activation';
import { Result } from '../domain/errors';
import { SyncTrigger } from '../domain/syncRun';

/** `sync` is the Global Admin's delegated sign-in that authorises one sync run. */
export type AuthPurpose = 'adminConsent' | 'signIn' | 'sync';

/** One OAuth round trip in progress, keyed by its random `state`; single-use and short-lived. */
export interface AuthSession {
  state: string;
  purpose: AuthPurpose;
  accountId: string;
  /** The GA's portal user id the email link was issued to. */
  globalAdminId: string;
  /** Hash of the random cookie of the browser that started the flow (login-CSRF protection). */
  browserBinding: string;
  /** PKCE verifier and nonce of a sign-in (sealed at rest by the store). */
  codeVerifier?: string;
  nonce?: string;
  /** Of a `sync` session: where the sync was started from. */
  trigger?: SyncTrigger;
  createdAt: string;
  expiresAt: string;
}

export interface AuthSessionStore {
  create(session: AuthSession): Promise<void>;
  /**
   * Marks the session used and returns it, after checking it was issued for `expected.purpose` to the browser whose
   * binding is `expected.browserBinding`. Fails with STATE_UNKNOWN, STATE_WRONG_PURPOSE or STATE_OTHER_BROWSER
   * (leaving the session untouched, so whoever merely saw a state cannot spoil the real user's flow),
   * STATE_ALREADY_USED (also when two callbacks race) or STATE_EXPIRED; a session is never usable twice.
   */
  consume(state: string, expected: { purpose: AuthPurpose; browserBinding: string | null; now: Date }): Promise<Result<AuthSession>>;
  /**
   * Records a single-use link as used (a create-only write: of two concurrent uses exactly one passes); fails with
   * LINK_ALREADY_USED if it was recorded before. The record lives until the link's own expiry.
   */
  useLink(linkId: string, expiresAt: Date, now: Date): Promise<Result<void>>;
  /** Deletes sessions (and used-link records) that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

/** Who holds a tenant, and since when (a claim is written just before the account is bound). */
export interface TenantLink {
  accountId: string;
  claimedAt: Date;
}

/** One successful claim's own write: any later claim of the tenant (by anyone) replaces it. */
export interface TenantClaim {
  etag: string;
}

/**
 * Which account each Microsoft tenant is linked to: one tenant serves one account, or two accounts' syncs would undo
 * each other's work in Teams.
 */
export interface TenantLinks {
  /**
   * Links the tenant to the account (writing the claim anew when it holds the tenant already). A link of another
   * account is taken over, ETag-conditionally, only when `abandoned(link)` says so; otherwise TENANT_ALREADY_LINKED.
   * CONCURRENT_UPDATE when the link kept changing under the claim.
   */
  claim(tenantId: string, accountId: string, at: Date, abandoned: (link: TenantLink) => Promise<boolean>): Promise<Result<TenantClaim>>;
  /**
   * Deletes the link if the account holds it (and, given `claim`, only while that claim is still the last one written),
   * ETag-conditionally, so a link meanwhile taken by someone else stays. Idempotent.
   */
  release(tenantId: string, accountId: string, claim?: TenantClaim): Promise<void>;
}

export interface SignInStart {
  url: string;
  codeVerifier: string;
  nonce: string;
}

/** Microsoft Entra ID, as activation uses it. */
export interface MicrosoftSignIn {
  /** The `/v2.0/adminconsent` URL for the app's application permissions. */
  adminConsentUrl(tenant: string, state: string): string;
  /**
   * An authorization-code + PKCE sign-in URL (with nonce) at `organizations`, hinting the expected tenant: a person
   * of another tenant can sign in, and our own tenant check then refuses them with a clear page.
   */
  signInUrl(state: string, tenantHint: string | null): Promise<SignInStart>;
  /** Redeems the code, validates the ID token (signature, issuer, audience, nonce) and reads the user's roles. */
  completeSignIn(request: { code: string; codeVerifier: string; nonce: string }): Promise<Result<MicrosoftIdentity>>;
  /**
   * The sync's delegated sign-in URL (PKCE, nonce) at `organizations`, hinting the bound tenant: the Graph scopes the
   * run needs, with the Teams admin API scope asked for consent in the same prompt (a token is one resource each).
   */
  syncSignInUrl(state: string, tenantHint: string): Promise<SignInStart>;
  /** Redeems the sync sign-in's code for the Graph token and validates the ID token as completeSignIn does. */
  completeSyncSignIn(request: { code: string; codeVerifier: string; nonce: string }): Promise<Result<DelegatedSignIn>>;
}

/** A delegated access token for one resource; never logged, never stored in clear. */
export interface DelegatedToken {
  resource: string;
  accessToken: string;
  expiresOn: Date;
}

/** A completed sync sign-in, its refresh token held in memory only until `close`. */
export interface DelegatedSignIn {
  identity: MicrosoftIdentity;
  graph: DelegatedToken;
  /** The "Skype and Teams Tenant Admin API" token, redeemed with the sign-in's refresh token. */
  teamsAdmin(): Promise<Result<DelegatedToken>>;
  /** Drops the sign-in's token cache: no refresh token outlives the callback. */
  close(): Promise<void>;
}
