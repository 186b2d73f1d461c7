/**
 * Microsoft Entra ID for activation: the admin consent URL, and the authorization-code + PKCE sign-in done with
 * msal-node. The ID token is then validated again with jose against the tenant's published keys (signature,
 * issuer for its `tid`, audience, nonce), so the tenant we bind comes from a token we checked ourselves. Roles come
 * from `wids` when the app registration asks for it, otherwise from Graph `me/transitiveMemberOf` (documented,
 * reliable, and it includes roles held through role-assignable groups; least privilege User.Read).
 * A fresh msal client per sign-in, emptied afterwards: no refresh token outlives the callback.
 */
import { AuthenticationResult, AuthError, ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { MicrosoftSignIn, SignInStart } from '../activation/ports';
import { MicrosoftIdentity, refusalForMicrosoftError } from '../domain/activation';
import { fail, ok, Result } from '../domain/errors';
import { AppCredential, msalCredential } from './appCredential';

export interface EntraSettings {
  authorityHost: string;
  graphBaseUrl: string;
  clientId: string;
  credential: AppCredential;
  consentRedirectUri: string;
  signInRedirectUri: string;
  /** Where Microsoft returns after the sync's delegated sign-in ({PUBLIC_BASE_URL}/api/auth/sync). */
  syncRedirectUri: string;
}

/** Application permissions the admin consent grants come from the app registration: `/.default` asks for all. */
const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
/** Delegated scope of the sign-in: enough to read the signed-in user's own directory roles. */
const SIGN_IN_SCOPES = ['User.Read'];
/** Sign-in is multi-tenant; the tenant is checked from the validated ID token, never assumed. */
const SIGN_IN_AUTHORITY = 'organizations';
/**
 * Delegated Graph permissions of a sync (docs/activation.md lists what each is for). One resource per token request:
 * the code is redeemed for these, the Teams admin API token comes from the same sign-in's refresh token.
 */
export const SYNC_GRAPH_SCOPES = [
  'User.Read',
  'Directory.Read.All',
  'User.ReadWrite.All',
  'Domain.ReadWrite.All',
  'TeamsUserConfiguration.Read.All',
  'TeamsTelephoneNumber.ReadWrite.All',
  'TeamsPolicyUserAssign.ReadWrite.All',
];
/** "Skype and Teams Tenant Admin API" (the Teams admin API behind the MicrosoftTeams module). */
export const TEAMS_ADMIN_RESOURCE = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';
export const TEAMS_ADMIN_SCOPES = [`${TEAMS_ADMIN_RESOURCE}/user_impersonation`];
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Used only when Microsoft's answer has no expiry: the shortest lifetime Microsoft documents for access tokens. */
const FALLBACK_TOKEN_LIFETIME_MS = 60 * 60_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function entraSignIn(settings: EntraSettings): MicrosoftSignIn {
  const host = settings.authorityHost.replace(/\/$/, '');
  const crypto = new CryptoProvider();
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  const msal = (tenant: string): ConfidentialClientApplication =>
    new ConfidentialClientApplication({
      auth: {
        clientId: settings.clientId,
        ...msalCredential(settings.credential),
        authority: `${host}/${tenant}`,
        knownAuthorities: [new URL(host).host],
      },
      system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
    });

  async function keysFor(tenantId: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const cached = keySets.get(tenantId);
    if (cached) return cached;
    const response = await fetch(`${host}/${tenantId}/v2.0/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(`OpenID configuration of the tenant answered ${response.status}`);
    const { jwks_uri } = (await response.json()) as { jwks_uri: string };
    const keys = createRemoteJWKSet(new URL(jwks_uri));
    keySets.set(tenantId, keys);
    return keys;
  }

  async function validateIdToken(idToken: string, nonce: string): Promise<Result<Record<string, unknown>>> {
    const unverifiedTid = (JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tid?: unknown }).tid;
    if (typeof unverifiedTid !== 'string' || !GUID.test(unverifiedTid)) {
      return fail('ID_TOKEN_INVALID', 'The Microsoft ID token has no valid tenant id.');
    }
    try {
      // Multi-tenant issuer check: the issuer must be exactly the one of the tenant the token names.
      const { payload } = await jwtVerify(idToken, await keysFor(unverifiedTid), {
        issuer: `${host}/${unverifiedTid}/v2.0`,
        audience: settings.clientId,
        algorithms: ['RS256'],
      });
      if (payload.nonce !== nonce) return fail('ID_TOKEN_INVALID', 'The Microsoft ID token does not answer this sign-in (nonce).');
      return ok(payload as Record<string, unknown>);
    } catch (err) {
      // Keys that could not be fetched are Microsoft being unreachable, not a bad token.
      if (!(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout) {
        return fail('MICROSOFT_SIGN_IN_FAILED', "Microsoft's signing keys could not be read; try again in a few minutes.");
      }
      return fail('ID_TOKEN_INVALID', `The Microsoft ID token did not validate (${err.code}).`);
    }
  }

  async function directoryRoles(accessToken: string): Promise<string[]> {
    const graph = Client.init({
      authProvider: (done) => done(null, accessToken),
      baseUrl: `${settings.graphBaseUrl.replace(/\/$/, '')}/`,
      customHosts: new Set([new URL(settings.graphBaseUrl).hostname]),
    });
    const roles: string[] = [];
    let page = (await graph.api('/me/transitiveMemberOf').version('v1.0').get()) as {
      value: Record<string, unknown>[];
      '@odata.nextLink'?: string;
    };
    for (;;) {
      for (const item of page.value) {
        if (item['@odata.type'] === '#microsoft.graph.directoryRole' && typeof item.roleTemplateId === 'string')
          roles.push(item.roleTemplateId);
      }
      const next = page['@odata.nextLink'];
      if (!next) return roles;
      page = (await graph.api(next).get()) as typeof page;
    }
  }

  const expiryOf = (expiresOn: Date | null): Date => expiresOn ?? new Date(Date.now() + FALLBACK_TOKEN_LIFETIME_MS);

  async function redeem(
    client: ConfidentialClientApplication,
    request: { code: string; codeVerifier: string; nonce: string; scopes: string[]; redirectUri: string },
  ): Promise<Result<AuthenticationResult>> {
    try {
      return ok(await client.acquireTokenByCode(request));
    } catch (err) {
      // Only the OAuth error and AADSTS code are kept: Microsoft's messages are for diagnostics, never shown raw.
      const e = err as AuthError;
      const refusal = refusalForMicrosoftError(e.errorCode ?? '', e.errorMessage ?? '');
      const aadsts = /AADSTS\d+/.exec(e.errorMessage ?? '')?.[0];
      return refusal === 'MFA_REQUIRED' || refusal === 'CONSENT_DECLINED' || refusal === 'ADMIN_APPROVAL_REQUIRED'
        ? fail(refusal, 'Microsoft refused the sign-in.', { microsoftError: e.errorCode, aadsts })
        : fail('CODE_EXCHANGE_FAILED', 'Microsoft did not accept the sign-in code.', { microsoftError: e.errorCode, aadsts });
    }
  }

  /** The person a redeemed code names: from the ID token we validated ourselves, roles from `wids` or Graph. */
  async function identityOf(result: AuthenticationResult, nonce: string): Promise<Result<MicrosoftIdentity>> {
    const claims = await validateIdToken(result.idToken, nonce).catch(() =>
      fail<Record<string, unknown>>(
        'MICROSOFT_SIGN_IN_FAILED',
        "Microsoft's sign-in metadata could not be read; try again in a few minutes.",
      ),
    );
    if (!claims.ok) return claims;
    const c = claims.value;
    const wids = Array.isArray(c.wids) ? (c.wids as unknown[]).filter((w): w is string => typeof w === 'string') : undefined;
    const who: MicrosoftIdentity = {
      tenantId: String(c.tid),
      objectId: String(c.oid ?? ''),
      username: String(c.preferred_username ?? ''),
      displayName: String(c.name ?? ''),
      roleTemplateIds: wids ?? [],
    };
    if (!wids) {
      const roles = await directoryRoles(result.accessToken).catch((err: { statusCode?: number; code?: string }) => err);
      if (!Array.isArray(roles)) {
        return fail('MICROSOFT_SIGN_IN_FAILED', 'Microsoft Graph did not tell us your directory roles; try again in a few minutes.', {
          microsoftError: roles.code ?? String(roles.statusCode ?? 'unknown'),
        });
      }
      who.roleTemplateIds = roles;
    }
    if (!GUID.test(who.objectId)) return fail('ID_TOKEN_INVALID', 'The Microsoft ID token has no valid object id.');
    return ok(who);
  }

  /** An authorization-code + PKCE (S256) + nonce sign-in URL at `organizations`, hinting the expected tenant. */
  async function authCodeUrl(
    state: string,
    tenantHint: string | null,
    scopes: string[],
    redirectUri: string,
    extraScopesToConsent?: string[],
  ): Promise<SignInStart> {
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const nonce = crypto.createNewGuid();
    const url = await msal(SIGN_IN_AUTHORITY).getAuthCodeUrl({
      scopes,
      ...(extraScopesToConsent ? { extraScopesToConsent } : {}),
      redirectUri,
      state,
      nonce,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      responseMode: 'query',
      prompt: 'select_account',
      ...(tenantHint ? { domainHint: tenantHint } : {}),
    });
    return { url, codeVerifier: verifier, nonce };
  }
  return {
    adminConsentUrl(tenant, state) {
      const url = new URL(`${host}/${encodeURIComponent(tenant)}/v2.0/adminconsent`);
      url.search = new URLSearchParams({
        client_id: settings.clientId,
        scope: GRAPH_DEFAULT_SCOPE,
        redirect_uri: settings.consentRedirectUri,
        state,
      }).toString();
      return url.toString();
    },

    signInUrl: (state, tenantHint) => authCodeUrl(state, tenantHint, SIGN_IN_SCOPES, settings.signInRedirectUri),

    async completeSignIn({ code, codeVerifier, nonce }) {
      const client = msal(SIGN_IN_AUTHORITY);
      const redeemed = await redeem(client, { code, codeVerifier, nonce, scopes: SIGN_IN_SCOPES, redirectUri: settings.signInRedirectUri });
      if (!redeemed.ok) return redeemed;
      try {
        return await identityOf(redeemed.value, nonce);
      } finally {
        if (redeemed.value.account) await client.getTokenCache().removeAccount(redeemed.value.account);
      }
    },

    // Consent for the Teams admin API in the same prompt; its token is asked for separately (one resource each).
    syncSignInUrl: (state, tenantHint) => authCodeUrl(state, tenantHint, SYNC_GRAPH_SCOPES, settings.syncRedirectUri, TEAMS_ADMIN_SCOPES),

    async completeSyncSignIn({ code, codeVerifier, nonce }) {
      // This client's in-memory cache is the only place the refresh token ever lives; `close` empties it.
      const client = msal(SIGN_IN_AUTHORITY);
      const close = async (): Promise<void> => {
        const cache = client.getTokenCache();
        for (const account of await cache.getAllAccounts()) await cache.removeAccount(account);
      };
      const redeemed = await redeem(client, {
        code,
        codeVerifier,
        nonce,
        scopes: SYNC_GRAPH_SCOPES,
        redirectUri: settings.syncRedirectUri,
      });
      if (!redeemed.ok) {
        await close();
        return redeemed;
      }
      const result = redeemed.value;
      const identity = await identityOf(result, nonce).catch(async (err: unknown) => {
        await close();
        throw err;
      });
      if (!identity.ok || !result.account) {
        await close();
        return identity.ok ? fail('CODE_EXCHANGE_FAILED', 'Microsoft did not name the signed-in account.') : identity;
      }
      const account = result.account;
      return ok({
        identity: identity.value,
        graph: { resource: GRAPH_RESOURCE, accessToken: result.accessToken, expiresOn: expiryOf(result.expiresOn) },
        async teamsAdmin() {
          try {
            const teams = await client.acquireTokenSilent({
              account,
              scopes: TEAMS_ADMIN_SCOPES,
              authority: `${host}/${identity.value.tenantId}`,
              forceRefresh: true,
            });
            return ok({ resource: TEAMS_ADMIN_RESOURCE, accessToken: teams.accessToken, expiresOn: expiryOf(teams.expiresOn) });
          } catch (err) {
            const e = err as AuthError;
            const aadsts = /AADSTS\d+/.exec(e.errorMessage ?? '')?.[0];
            if (aadsts === 'AADSTS65001' || e.subError === 'consent_required') {
              return fail('TEAMS_ADMIN_CONSENT_MISSING', 'The permission for the Teams admin API was not granted for your organization.', {
                microsoftError: e.errorCode,
                aadsts,
              });
            }
            const refusal = refusalForMicrosoftError(e.errorCode ?? '', e.errorMessage ?? '');
            return refusal === 'MFA_REQUIRED'
              ? fail(refusal, 'Microsoft asks for multi-factor authentication for the Teams admin API.', {
                  microsoftError: e.errorCode,
                  aadsts,
                })
              : fail('CODE_EXCHANGE_FAILED', 'Microsoft did not give a token for the Teams admin API.', {
                  microsoftError: e.errorCode,
                  aadsts,
                });
          }
        },
        close,
      });
    },
  };
}
