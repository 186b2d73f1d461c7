/**
 * Simulated Microsoft Entra ID (v2.0 endpoints): OpenID configuration, JWKS, authorize (scripted or with a small
 * HTML sign-in page), admin consent, and the token endpoint (authorization_code + PKCE, refresh_token,
 * client_credentials). Errors follow Microsoft's documented shapes (error, error_description with AADSTS code,
 * error_codes, trace_id, correlation_id, timestamp).
 */
import * as crypto from 'node:crypto';
import { html, json, SimRequest, SimResponse } from './http';
import {
  AppRegistration,
  AuthorizeOutcome,
  GRAPH_APP_ID,
  RESOURCE_ARM,
  RESOURCE_GRAPH,
  RESOURCE_KEY_VAULT,
  RESOURCE_TEAMS,
  SimState,
  TokenErrorKind,
} from './state';
import { SimUser, TenantState } from './tenants/model';
import { signJwt } from './tokens';
import { escapeHtml, randomToken, sha256b64url } from './util';

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

export const DEFAULT_DELEGATED: Record<string, string[]> = {
  [RESOURCE_GRAPH]: [
    'User.Read',
    'User.Read.All',
    'Directory.Read.All',
    'Organization.Read.All',
    'TeamsUserConfiguration.Read.All',
    'TeamsTelephoneNumber.ReadWrite.All',
    'TeamsPolicyUserAssign.ReadWrite.All',
  ],
  [RESOURCE_TEAMS]: ['user_impersonation'],
  [RESOURCE_KEY_VAULT]: ['user_impersonation'],
  [RESOURCE_ARM]: ['user_impersonation'],
};
export const DEFAULT_APPLICATION: Record<string, string[]> = {
  [RESOURCE_GRAPH]: [
    'User.Read.All',
    'Organization.Read.All',
    'TeamsUserConfiguration.Read.All',
    'TeamsTelephoneNumber.ReadWrite.All',
    'TeamsPolicyUserAssign.ReadWrite.All',
  ],
  [RESOURCE_KEY_VAULT]: [],
  [RESOURCE_ARM]: [],
};

/** Well-known AADSTS errors the simulator produces, with Microsoft's wording (shortened). */
export const AADSTS = {
  consentDeclined: { code: 65004, error: 'access_denied', text: 'User declined to consent to access the app.' },
  adminApprovalRequired: { code: 90094, error: 'access_denied', text: 'Administrator consent is required.' },
  mfaRequired: {
    code: 50076,
    error: 'interaction_required',
    text: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.',
  },
  consentRequired: {
    code: 65001,
    error: 'invalid_grant',
    text: 'The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.',
  },
  userNotInTenant: {
    code: 50020,
    error: 'invalid_request',
    text: 'User account from identity provider does not exist in tenant and cannot access the application in that tenant.',
  },
  appNotFound: {
    code: 700016,
    error: 'unauthorized_client',
    text: 'Application was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.',
  },
  tenantNotFound: {
    code: 90002,
    error: 'invalid_tenant',
    text: 'Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.',
  },
  redirectMismatch: {
    code: 50011,
    error: 'invalid_request',
    text: 'The redirect URI specified in the request does not match the redirect URIs configured for the application.',
  },
  /** at the token endpoint RFC 6749 section 4.1.3 makes a redirect_uri mismatch an invalid_grant */
  redirectMismatchGrant: {
    code: 50011,
    error: 'invalid_grant',
    text: 'The redirect URI specified in the request does not match the redirect URI used to obtain the authorization code.',
  },
  invalidAssertion: {
    code: 700027,
    error: 'invalid_client',
    text: 'Client assertion failed signature validation or its claims are wrong.',
  },
  invalidSecret: {
    code: 7000215,
    error: 'invalid_client',
    text: 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
  },
  codeExpired: {
    code: 70008,
    error: 'invalid_grant',
    text: 'The provided authorization code or refresh token has expired due to inactivity.',
  },
  codeRedeemed: {
    code: 54005,
    error: 'invalid_grant',
    text: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  codeInvalid: { code: 9002313, error: 'invalid_grant', text: 'Invalid request. Request is malformed or invalid.' },
  pkceMismatch: {
    code: 501481,
    error: 'invalid_grant',
    text: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  clientMismatch: { code: 70000, error: 'invalid_grant', text: 'Provided grant is invalid or malformed.' },
  missingParam: { code: 900144, error: 'invalid_request', text: 'The request body must contain the following parameter:' },
  multiResource: {
    code: 28000,
    error: 'invalid_scope',
    text: 'Provided value for the input parameter scope is not valid because it contains more than one resource.',
  },
  clientCredentialsScope: {
    code: 1002012,
    error: 'invalid_scope',
    text: 'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
  },
  unsupportedGrant: { code: 70003, error: 'unsupported_grant_type', text: 'The app requested an unsupported grant type.' },
  temporarilyUnavailable: { code: 90033, error: 'temporarily_unavailable', text: 'A transient error has occurred. Please try again.' },
} as const;
type AadstsKey = keyof typeof AADSTS;

function aadDescription(key: AadstsKey, traceId: string, correlationId: string, extra = ''): string {
  const e = AADSTS[key];
  return `AADSTS${e.code}: ${e.text}${extra ? ' ' + extra : ''} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`;
}

function tokenError(req: SimRequest, status: number, key: AadstsKey, extra = '', suberror?: string): SimResponse {
  const traceId = crypto.randomUUID();
  const correlationId = req.headers['client-request-id'] ?? crypto.randomUUID();
  const e = AADSTS[key];
  const body: Record<string, unknown> = {
    error: e.error,
    error_description: aadDescription(key, traceId, correlationId, extra),
    error_codes: [e.code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${req.origin}/error?code=${e.code}`,
  };
  if (suberror) body.suberror = suberror;
  return json(status, body, { 'cache-control': 'no-store' });
}

function errorPage(status: number, key: AadstsKey, extra = ''): SimResponse {
  const desc = aadDescription(key, crypto.randomUUID(), crypto.randomUUID(), extra);
  return html(
    status,
    `<!doctype html><html><head><title>Sign in to your account</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p id="error">${escapeHtml(desc)}</p></body></html>`,
  );
}

/** Resource (audience) of a scope string, and the scope name within it. */
export function splitScope(scope: string): { resource: string; name: string } | undefined {
  if (OIDC_SCOPES.has(scope)) return undefined;
  const lower = scope.toLowerCase();
  for (const r of [RESOURCE_GRAPH, RESOURCE_KEY_VAULT, RESOURCE_ARM, 'https://communication.azure.com']) {
    if (lower.startsWith(r + '/')) return { resource: r, name: scope.slice(r.length + 1) };
  }
  if (lower.startsWith(RESOURCE_TEAMS + '/')) return { resource: RESOURCE_TEAMS, name: scope.slice(RESOURCE_TEAMS.length + 1) };
  if (lower.startsWith('api://' + RESOURCE_TEAMS + '/')) return { resource: RESOURCE_TEAMS, name: scope.slice(RESOURCE_TEAMS.length + 7) };
  if (lower.startsWith(GRAPH_APP_ID + '/')) return { resource: RESOURCE_GRAPH, name: scope.slice(GRAPH_APP_ID.length + 1) };
  const slash = scope.lastIndexOf('/');
  if (slash > 0) return { resource: scope.slice(0, slash), name: scope.slice(slash + 1) };
  return { resource: RESOURCE_GRAPH, name: scope };
}

function resourcesOf(scopes: string[]): string[] {
  const set = new Set<string>();
  for (const s of scopes) {
    const r = splitScope(s);
    if (r) set.add(r.resource);
  }
  return [...set];
}

function delegatedFor(app: AppRegistration, resource: string): string[] {
  return (app.delegated ?? DEFAULT_DELEGATED)[resource] ?? [];
}
function applicationFor(app: AppRegistration, resource: string): string[] | undefined {
  return (app.application ?? DEFAULT_APPLICATION)[resource];
}

function scopeText(resource: string, names: string[]): string {
  return names.map((n) => (resource === RESOURCE_GRAPH ? n : `${resource}/${n}`)).join(' ');
}

export function servicePrincipalId(tenantId: string, clientId: string): string {
  return crypto
    .createHash('sha256')
    .update(`sp|${tenantId}|${clientId}`)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
}

function openIdConfiguration(req: SimRequest, tenant: string, t: TenantState | undefined): Record<string, unknown> {
  const o = req.origin;
  const seg = t ? t.id : tenant;
  const issuerTenant = t ? t.id : '{tenantid}';
  return {
    token_endpoint: `${o}/${seg}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${o}/${seg}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${o}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${req.origin.replace(/\/$/, '')}/oidc/userinfo`,
    authorization_endpoint: `${o}/${seg}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${o}/${seg}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${o}/${seg}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${o}/${seg}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

interface ResolvedUser {
  user: SimUser;
  tenant: TenantState;
}

function findUser(state: SimState, who: string, preferTenant?: TenantState, tenantId?: string): ResolvedUser | undefined {
  const key = who.toLowerCase();
  const tenants = tenantId
    ? [state.findTenant(tenantId)].filter((t): t is TenantState => !!t)
    : [...(preferTenant ? [preferTenant] : []), ...state.tenants.values()];
  for (const t of tenants) {
    const u = t.usersById.get(key) ?? t.usersByUpn.get(key) ?? t.usersByUpn.get(`${key}@${t.domain}`.toLowerCase());
    if (u) return { user: u, tenant: t };
  }
  return undefined;
}

function withParams(base: string, params: Record<string, string | undefined>, mode: string): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p.set(k, v);
  return mode === 'fragment' ? `${base}#${p.toString()}` : `${base}${base.includes('?') ? '&' : '?'}${p.toString()}`;
}

function deliver(redirectUri: string, params: Record<string, string | undefined>, mode: string): SimResponse {
  if (mode === 'form_post') {
    const inputs = Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v!)}"/>`)
      .join('');
    return html(
      200,
      `<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`,
    );
  }
  return { status: 302, headers: { location: withParams(redirectUri, params, mode) }, text: '' };
}

export function createEntra(state: SimState) {
  const issuerFor = (origin: string, tid: string) => `${origin}/${tid}/v2.0`;

  function lifetime(): number {
    return state.tokenLifetime();
  }

  function accessTokenFor(
    origin: string,
    app: AppRegistration,
    tenant: TenantState,
    resource: string,
    opts: { user?: SimUser; scopes?: string[]; roles?: string[] },
  ): { token: string; expiresIn: number } {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = lifetime();
    const claims: Record<string, unknown> = {
      aud: resource,
      iss: issuerFor(origin, tenant.id),
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      appid: app.clientId,
      azp: app.clientId,
      app_displayname: app.displayName ?? 'Teams Voice Sync (simulated registration)',
      tid: tenant.id,
      uti: randomToken(16),
      ver: '1.0',
    };
    if (opts.user) {
      Object.assign(claims, {
        idtyp: 'user',
        oid: opts.user.id,
        sub: sha256b64url(`${opts.user.id}|${resource}`).slice(0, 43),
        upn: opts.user.userPrincipalName,
        unique_name: opts.user.userPrincipalName,
        name: opts.user.displayName,
        scp: (opts.scopes ?? []).join(' '),
        wids: opts.user.roles,
      });
    } else {
      const sp = servicePrincipalId(tenant.id, app.clientId);
      Object.assign(claims, { idtyp: 'app', oid: sp, sub: sp, roles: opts.roles ?? [] });
    }
    const token = signJwt(state.signingKey, claims);
    state.recordIssued(token);
    return { token, expiresIn };
  }

  function idTokenFor(origin: string, app: AppRegistration, tenant: TenantState, user: SimUser, nonce: string | undefined): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: app.clientId,
      iss: issuerFor(origin, tenant.id),
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      sub: sha256b64url(`${user.id}|${app.clientId}`).slice(0, 43),
      tid: tenant.id,
      ver: '2.0',
      uti: randomToken(16),
    };
    if (nonce) claims.nonce = nonce;
    const optional = app.optionalIdTokenClaims ?? [];
    if (optional.includes('wids')) claims.wids = user.roles;
    if (optional.includes('upn')) claims.upn = user.userPrincipalName;
    if (optional.includes('email')) claims.email = user.mail;
    return signJwt(state.signingKey, claims);
  }

  function clientInfo(user: SimUser, tenant: TenantState): string {
    return Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url');
  }

  // ---------------------------------------------------------------- authorize / adminconsent
  interface AuthorizeContext {
    kind: 'authorize' | 'adminconsent';
    tenantSegment: string;
    tenant?: TenantState;
    params: Record<string, string>;
    app: AppRegistration;
  }

  function validateAuthorize(
    req: SimRequest,
    tenantSegment: string,
    kind: AuthorizeContext['kind'],
    params: Record<string, string>,
  ): AuthorizeContext | SimResponse {
    const tenant = MULTI_TENANT.has(tenantSegment.toLowerCase()) ? undefined : state.findTenant(tenantSegment);
    if (!tenant && !MULTI_TENANT.has(tenantSegment.toLowerCase())) return errorPage(400, 'tenantNotFound', `Tenant '${tenantSegment}'.`);
    const clientId = params.client_id;
    if (!clientId) return errorPage(400, 'missingParam', "'client_id'.");
    const app = state.apps.get(clientId);
    if (!app) return errorPage(400, 'appNotFound', `Application with identifier '${clientId}'.`);
    const redirectUri = params.redirect_uri;
    if (!redirectUri || !app.redirectUris.includes(redirectUri))
      return errorPage(400, 'redirectMismatch', `Request: '${redirectUri ?? ''}'.`);
    void req;
    return { kind, tenantSegment, tenant, params, app };
  }

  function redirectError(ctx: AuthorizeContext, req: SimRequest, key: AadstsKey, errorOverride?: string): SimResponse {
    const correlationId = req.headers['client-request-id'] ?? crypto.randomUUID();
    const params: Record<string, string | undefined> = {};
    if (ctx.kind === 'adminconsent') params.admin_consent = 'True';
    params.error = errorOverride ?? AADSTS[key].error;
    params.error_description = aadDescription(key, crypto.randomUUID(), correlationId);
    params.error_uri = `${req.origin}/error?code=${AADSTS[key].code}`;
    params.state = ctx.params.state;
    return deliver(ctx.params.redirect_uri!, params, ctx.params.response_mode ?? 'query');
  }

  function complete(ctx: AuthorizeContext, req: SimRequest, outcome: AuthorizeOutcome): SimResponse {
    switch (outcome.outcome) {
      case 'consentDeclined':
        return redirectError(ctx, req, 'consentDeclined', ctx.kind === 'adminconsent' ? 'consent_required' : 'access_denied');
      case 'adminApprovalRequired':
        return redirectError(ctx, req, 'adminApprovalRequired');
      case 'mfaRequired':
        return redirectError(ctx, req, 'mfaRequired');
      case 'signIn':
        break;
    }
    const found = findUser(state, outcome.user, ctx.tenant, outcome.tenantId);
    if (!found) return errorPage(400, 'userNotInTenant', `User '${outcome.user}' is unknown to the simulator.`);
    if (ctx.tenant && found.tenant.id !== ctx.tenant.id)
      return errorPage(
        400,
        'userNotInTenant',
        `User account '${found.user.userPrincipalName}' from identity provider does not exist in tenant '${ctx.tenant.displayName}'.`,
      );
    if (!found.user.accountEnabled) return redirectError(ctx, req, 'userNotInTenant', 'access_denied');
    const tenant = found.tenant;
    if (ctx.kind === 'adminconsent') {
      if (!found.user.roles.includes('62e90394-69f5-4237-9190-012177145e10')) return redirectError(ctx, req, 'adminApprovalRequired');
      tenant.adminConsents.add(ctx.app.clientId);
      const scopes = Object.entries(ctx.app.application ?? DEFAULT_APPLICATION)
        .flatMap(([resource, roles]) => roles.map((r) => `${resource}/${r}`))
        .join(' ');
      return deliver(
        ctx.params.redirect_uri!,
        { admin_consent: 'True', tenant: tenant.id, scope: scopes, state: ctx.params.state },
        'query',
      );
    }
    const code = randomToken(48);
    const scopes = (ctx.params.scope ?? '').split(/\s+/).filter(Boolean);
    state.codes.set(code, {
      clientId: ctx.app.clientId,
      redirectUri: ctx.params.redirect_uri!,
      codeChallenge: ctx.params.code_challenge,
      codeChallengeMethod: ctx.params.code_challenge ? (ctx.params.code_challenge_method ?? 'plain') : undefined,
      scopes,
      tenantId: tenant.id,
      userId: found.user.id,
      nonce: ctx.params.nonce,
      expiresAt: Date.now() + state.config.authCodeLifetimeSeconds * 1000,
      used: false,
    });
    return deliver(
      ctx.params.redirect_uri!,
      {
        code,
        client_info: ctx.params.client_info === '1' ? clientInfo(found.user, tenant) : undefined,
        state: ctx.params.state,
        session_state: crypto.randomUUID(),
      },
      ctx.params.response_mode ?? 'query',
    );
  }

  function signInPage(ctx: AuthorizeContext, req: SimRequest): SimResponse {
    const txn = randomToken(24);
    state.pendingSignIns.set(txn, { tenant: ctx.tenantSegment, params: ctx.params, kind: ctx.kind });
    const tenants = ctx.tenant ? [ctx.tenant] : [...state.tenants.values()];
    const options = tenants
      .flatMap((t) =>
        t.users
          .filter((u) => u.accountEnabled && !u.resourceAccount)
          .map(
            (u) =>
              `<option value="${escapeHtml(u.id)}">${escapeHtml(u.displayName)} &lt;${escapeHtml(u.userPrincipalName)}&gt;${u.roles.includes('62e90394-69f5-4237-9190-012177145e10') ? ' (Global Administrator)' : ''}</option>`,
          ),
      )
      .join('');
    const title =
      ctx.kind === 'adminconsent' ? `Permissions requested — accept for your organization` : 'Sign in (simulated Microsoft Entra ID)';
    return html(
      200,
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:sans-serif;max-width:40em;margin:3em auto}select,button{font-size:1em;margin:.3em 0}</style></head><body>
<h1>${escapeHtml(title)}</h1><p>Local simulator. Application: <b>${escapeHtml(ctx.app.displayName ?? ctx.app.clientId)}</b>. Requested: <code>${escapeHtml(ctx.params.scope ?? '')}</code></p>
<form method="POST" action="${escapeHtml(req.origin)}/${escapeHtml(ctx.tenantSegment)}/oauth2/v2.0/authorize/complete">
<input type="hidden" name="txn" value="${txn}"/>
<label>Account<br/><select name="user">${options}</select></label><br/>
<button name="action" value="accept" type="submit">Accept</button>
<button name="action" value="decline" type="submit">Cancel (decline consent)</button>
<button name="action" value="mfa" type="submit">Fail multi-factor authentication</button>
<button name="action" value="approval" type="submit">Needs admin approval</button>
</form></body></html>`,
    );
  }

  function authorizeEntry(req: SimRequest, tenantSegment: string, kind: AuthorizeContext['kind']): SimResponse {
    const params = Object.fromEntries(req.query.entries());
    const ctx = validateAuthorize(req, tenantSegment, kind, params);
    if ('status' in ctx) return ctx;
    if (kind === 'authorize') {
      if (params.response_type !== 'code') return redirectError(ctx, req, 'missingParam', 'unsupported_response_type');
      if (!params.scope) return redirectError(ctx, req, 'missingParam');
      if (params.code_challenge_method && !['S256', 'plain'].includes(params.code_challenge_method))
        return redirectError(ctx, req, 'missingParam', 'invalid_request');
    }
    const scripted = state.authorizeScripts.shift();
    if (scripted) return complete(ctx, req, scripted);
    return signInPage(ctx, req);
  }

  function completeFromPage(req: SimRequest): SimResponse {
    const form = new URLSearchParams(req.rawBody);
    const txn = form.get('txn') ?? '';
    const pending = state.pendingSignIns.get(txn);
    if (!pending) return errorPage(400, 'codeInvalid', 'The sign-in session is unknown or has expired.');
    state.pendingSignIns.delete(txn);
    const ctx = validateAuthorize(req, pending.tenant, pending.kind, pending.params);
    if ('status' in ctx) return ctx;
    const action = form.get('action');
    const user = form.get('user') ?? '';
    const outcome: AuthorizeOutcome =
      action === 'decline'
        ? { outcome: 'consentDeclined' }
        : action === 'mfa'
          ? { outcome: 'mfaRequired' }
          : action === 'approval'
            ? { outcome: 'adminApprovalRequired' }
            : { outcome: 'signIn', user };
    return complete(ctx, req, outcome);
  }

  // ---------------------------------------------------------------- token endpoint
  /**
   * Checks a certificate client assertion as Entra does: RS256/PS256 signature by the registered certificate's key,
   * x5t or x5t#S256 naming that certificate, iss = sub = client id, aud = a token endpoint of this authority, not
   * expired. Returns what is wrong, or undefined.
   */
  function clientAssertionProblem(jwt: string, app: AppRegistration, origin: string): string | undefined {
    if (!app.certificatePem) return 'No certificate is registered for this application.';
    const [h, p, sig] = jwt.split('.');
    if (!h || !p || !sig) return 'The assertion is not a JWS.';
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return 'The assertion is not a JWS.';
    }
    const cert = new crypto.X509Certificate(app.certificatePem);
    const thumb = (hex: string): string => Buffer.from(hex.replace(/:/g, ''), 'hex').toString('base64url');
    if (header['x5t#S256'] !== thumb(cert.fingerprint256) && header.x5t !== thumb(cert.fingerprint)) {
      return 'The assertion names a certificate that is not registered (x5t).';
    }
    const alg = header.alg;
    if (alg !== 'RS256' && alg !== 'PS256') return `Unsupported assertion algorithm ${String(alg)}.`;
    const valid = crypto.verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      alg === 'PS256' ? { key: cert.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : cert.publicKey,
      Buffer.from(sig, 'base64url'),
    );
    if (!valid) return 'The assertion signature does not verify with the registered certificate.';
    if (claims.iss !== app.clientId || claims.sub !== app.clientId) return 'The assertion iss and sub must be the client id.';
    const aud = String(claims.aud ?? '');
    if (!aud.startsWith(origin + '/') || !aud.endsWith('/oauth2/v2.0/token')) return 'The assertion audience is not this token endpoint.';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'The assertion has expired.';
    return undefined;
  }

  function clientFrom(req: SimRequest, form: URLSearchParams): { app: AppRegistration } | SimResponse {
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers['authorization'] ?? '');
    if (basic) {
      const [id, sec] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(sec ?? '');
    }
    if (!clientId) return tokenError(req, 400, 'missingParam', "'client_id'.");
    const app = state.apps.get(clientId);
    if (!app) return tokenError(req, 400, 'appNotFound', `Application with identifier '${clientId}'.`);
    const assertion = form.get('client_assertion');
    if (assertion) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return tokenError(req, 400, 'missingParam', "'client_assertion_type'.");
      }
      const problem = clientAssertionProblem(assertion, app, req.origin);
      return problem ? tokenError(req, 401, 'invalidAssertion', problem) : { app };
    }
    if (!secret || secret !== app.clientSecret) return tokenError(req, 401, 'invalidSecret', `Client '${clientId}'.`);
    return { app };
  }

  function scriptedTokenError(req: SimRequest, grantType: string, resource: string): SimResponse | undefined {
    const idx = state.tokenErrorScripts.findIndex(
      (s) => (!s.grantType || s.grantType === grantType) && (!s.resource || s.resource === resource),
    );
    if (idx < 0) return undefined;
    const s = state.tokenErrorScripts[idx]!;
    s.times = (s.times ?? 1) - 1;
    if (s.times <= 0) state.tokenErrorScripts.splice(idx, 1);
    const map: Record<TokenErrorKind, () => SimResponse> = {
      mfaRequired: () => {
        const r = tokenError(req, 400, 'mfaRequired', '', 'basic_action');
        (r.body as Record<string, unknown>).error = 'invalid_grant';
        return r;
      },
      consentRequired: () => tokenError(req, 400, 'consentRequired', '', 'consent_required'),
      invalidGrant: () => tokenError(req, 400, 'codeExpired'),
      temporarilyUnavailable: () => tokenError(req, 503, 'temporarilyUnavailable'),
    };
    return map[s.error]();
  }

  function delegatedResponse(
    req: SimRequest,
    app: AppRegistration,
    tenant: TenantState,
    user: SimUser,
    requested: string[],
    opts: { nonce?: string; clientInfo: boolean; grantType: string },
  ): SimResponse {
    const resources = resourcesOf(requested);
    if (resources.length > 1) return tokenError(req, 400, 'multiResource');
    const resource = resources[0] ?? RESOURCE_GRAPH;
    const scripted = scriptedTokenError(req, opts.grantType, resource);
    if (scripted) return scripted;
    const names = requested
      .map(splitScope)
      .filter((s): s is { resource: string; name: string } => !!s)
      .map((s) => s.name);
    let granted = names.includes('.default') ? delegatedFor(app, resource) : names;
    if (names.length === 0) granted = resource === RESOURCE_GRAPH ? ['User.Read'] : [];
    if (granted.length === 0) return tokenError(req, 400, 'consentRequired', `Resource '${resource}'.`, 'consent_required');
    const { token, expiresIn } = accessTokenFor(req.origin, app, tenant, resource, { user, scopes: granted });
    const oidc = requested.filter((s) => OIDC_SCOPES.has(s));
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [scopeText(resource, granted), ...oidc].join(' ').trim(),
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    };
    if (requested.includes('offline_access') || opts.grantType === 'refresh_token') {
      const rt = randomToken(64);
      state.recordIssued(rt);
      state.refreshTokens.set(rt, {
        clientId: app.clientId,
        tenantId: tenant.id,
        userId: user.id,
        expiresAt: Date.now() + 90 * 24 * 3600 * 1000,
      });
      body.refresh_token = rt;
    }
    if (requested.includes('openid') || opts.grantType === 'refresh_token')
      body.id_token = idTokenFor(req.origin, app, tenant, user, opts.nonce);
    if (opts.clientInfo) body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url');
    return json(200, body, { 'cache-control': 'no-store' });
  }

  function token(req: SimRequest, tenantSegment: string): SimResponse {
    const form = new URLSearchParams(req.rawBody);
    const pathTenant = MULTI_TENANT.has(tenantSegment.toLowerCase()) ? undefined : state.findTenant(tenantSegment);
    if (!pathTenant && !MULTI_TENANT.has(tenantSegment.toLowerCase()))
      return tokenError(req, 400, 'tenantNotFound', `Tenant '${tenantSegment}'.`);
    const grantType = form.get('grant_type');
    if (!grantType) return tokenError(req, 400, 'missingParam', "'grant_type'.");
    const client = clientFrom(req, form);
    if ('status' in client) return client;
    const { app } = client;
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const wantsClientInfo = form.get('client_info') === '1';

    if (grantType === 'authorization_code') {
      const code = form.get('code');
      if (!code) return tokenError(req, 400, 'missingParam', "'code'.");
      const rec = state.codes.get(code);
      if (!rec) return tokenError(req, 400, 'codeInvalid', 'The authorization code is unknown.');
      if (rec.used) return tokenError(req, 400, 'codeRedeemed');
      if (rec.expiresAt < Date.now()) return tokenError(req, 400, 'codeExpired');
      if (rec.clientId !== app.clientId) return tokenError(req, 400, 'clientMismatch', 'The code was issued to another client.');
      if (form.get('redirect_uri') !== rec.redirectUri) return tokenError(req, 400, 'redirectMismatchGrant');
      if (pathTenant && pathTenant.id !== rec.tenantId)
        return tokenError(req, 400, 'codeInvalid', 'The code was issued for another tenant.');
      if (rec.codeChallenge) {
        const verifier = form.get('code_verifier');
        if (!verifier) return tokenError(req, 400, 'pkceMismatch');
        const computed = rec.codeChallengeMethod === 'S256' ? sha256b64url(verifier) : verifier;
        if (computed !== rec.codeChallenge) return tokenError(req, 400, 'pkceMismatch');
      }
      rec.used = true;
      const tenant = state.findTenant(rec.tenantId)!;
      const user = tenant.usersById.get(rec.userId)!;
      return delegatedResponse(req, app, tenant, user, requested.length ? requested : rec.scopes, {
        nonce: rec.nonce,
        clientInfo: wantsClientInfo,
        grantType,
      });
    }

    if (grantType === 'refresh_token') {
      const rt = form.get('refresh_token');
      if (!rt) return tokenError(req, 400, 'missingParam', "'refresh_token'.");
      const rec = state.refreshTokens.get(rt);
      if (!rec || rec.expiresAt < Date.now()) return tokenError(req, 400, 'codeExpired');
      if (rec.clientId !== app.clientId) return tokenError(req, 400, 'clientMismatch', 'The refresh token was issued to another client.');
      if (pathTenant && pathTenant.id !== rec.tenantId)
        return tokenError(req, 400, 'codeInvalid', 'The refresh token was issued for another tenant.');
      const tenant = state.findTenant(rec.tenantId)!;
      const user = tenant.usersById.get(rec.userId)!;
      return delegatedResponse(req, app, tenant, user, requested, { clientInfo: wantsClientInfo, grantType });
    }

    if (grantType === 'client_credentials') {
      if (!pathTenant)
        return tokenError(req, 400, 'tenantNotFound', `The client credentials flow needs a specific tenant, not '${tenantSegment}'.`);
      if (requested.length !== 1 || !requested[0]!.endsWith('/.default')) return tokenError(req, 400, 'clientCredentialsScope');
      const { resource } = splitScope(requested[0]!)!;
      const home = app.homeTenantId ?? state.config.homeTenantId;
      if (pathTenant.id !== home && !pathTenant.adminConsents.has(app.clientId))
        return tokenError(
          req,
          400,
          'appNotFound',
          `Application with identifier '${app.clientId}' in directory '${pathTenant.displayName}'.`,
        );
      const scripted = scriptedTokenError(req, grantType, resource);
      if (scripted) return scripted;
      const roles = applicationFor(app, resource) ?? [];
      const { token: at, expiresIn } = accessTokenFor(req.origin, app, pathTenant, resource, { roles });
      return json(
        200,
        { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: at },
        { 'cache-control': 'no-store' },
      );
    }
    return tokenError(req, 400, 'unsupportedGrant', `Grant type '${grantType}'.`);
  }

  // ---------------------------------------------------------------- router
  return async function handleEntra(req: SimRequest): Promise<SimResponse> {
    const segs = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const tenantSeg = segs[0] ?? '';
    const rest = segs.slice(1).join('/');
    if (req.method === 'GET' && tenantSeg === 'common' && rest === 'discovery/instance') {
      const host = new URL(req.origin).host;
      return json(200, {
        tenant_discovery_endpoint: `${req.origin}/${req.query.get('authorization_endpoint')?.split('/')[3] ?? 'common'}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    if (req.method === 'GET' && (rest === 'v2.0/.well-known/openid-configuration' || rest === '.well-known/openid-configuration')) {
      const multi = MULTI_TENANT.has(tenantSeg.toLowerCase());
      const t = multi ? undefined : state.findTenant(tenantSeg);
      if (!multi && !t) return tokenError(req, 400, 'tenantNotFound', `Tenant '${tenantSeg}'.`);
      return json(200, openIdConfiguration(req, tenantSeg, t));
    }
    if (req.method === 'GET' && (rest === 'discovery/v2.0/keys' || rest === 'discovery/keys'))
      return json(200, { keys: [state.signingKey.jwk] });
    if (req.method === 'GET' && rest === 'oauth2/v2.0/authorize') return authorizeEntry(req, tenantSeg, 'authorize');
    if (req.method === 'POST' && rest === 'oauth2/v2.0/authorize/complete') return completeFromPage(req);
    if (req.method === 'GET' && rest === 'v2.0/adminconsent') return authorizeEntry(req, tenantSeg, 'adminconsent');
    if (req.method === 'POST' && rest === 'oauth2/v2.0/token') return token(req, tenantSeg);
    if (req.method === 'GET' && rest === 'oauth2/v2.0/logout') return html(200, '<!doctype html><p>You have signed out (simulated).</p>');
    return json(404, { error: 'not_found', error_description: `The simulated Entra ID does not serve ${req.method} ${req.path}.` });
  };
}
