import { ConfidentialClientApplication } from '@azure/msal-node';
import { ClientSecretCredential } from '@azure/identity';
import * as crypto from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { RunningSimulator, OTHER_TENANT_ID } from '../../local/simulator';
import { APP, authorize, decodeJwt, DEMO_TENANT_ID, GRAPH_SCOPE, msalApp, startTestSimulator, TEAMS_SCOPE } from './helpers';

let sim: RunningSimulator;
let cca: ConfidentialClientApplication;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.control.reset();
  cca = msalApp(sim);
});

describe('authorization code + PKCE with msal-node', () => {
  test('a scripted Global Admin sign-in yields ID-token claims, a Graph token and, by refresh, a Teams admin API token', async () => {
    const ga = sim.control.user(DEMO_TENANT_ID, 'megan.bowen');
    const a = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    expect(a.status).toBe(302);
    expect(a.location!.searchParams.get('state')).toBe(a.state);
    const code = a.location!.searchParams.get('code');
    expect(code).toBeTruthy();
    const result = await cca.acquireTokenByCode(
      {
        code: code!,
        scopes: ['https://graph.microsoft.com/User.Read'],
        redirectUri: APP.redirectUri,
        codeVerifier: a.verifier,
        nonce: a.nonce,
        state: a.state,
      },
      { code: code!, state: a.state },
    );
    const claims = result.idTokenClaims as Record<string, unknown>;
    expect(claims.tid).toBe(DEMO_TENANT_ID);
    expect(claims.oid).toBe(ga.id);
    expect(claims.preferred_username).toBe(ga.userPrincipalName);
    expect(claims.name).toBe('Megan Bowen');
    expect(claims.nonce).toBe(a.nonce);
    expect(claims.aud).toBe(APP.clientId);
    expect(claims.iss).toBe(`${sim.urls.entra}/${DEMO_TENANT_ID}/v2.0`);
    expect(claims.wids).toContain('62e90394-69f5-4237-9190-012177145e10');
    // the ID token verifies against the published JWKS (RS256), with the issuer from the tenant's metadata
    const meta = (await (await fetch(`${sim.urls.entra}/${DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
      issuer: string;
    };
    const verified = await jwtVerify(result.idToken, createRemoteJWKSet(new URL(meta.jwks_uri)), {
      issuer: meta.issuer,
      audience: APP.clientId,
      algorithms: ['RS256'],
    });
    expect(verified.payload.oid).toBe(ga.id);
    const at = decodeJwt(result.accessToken);
    expect(at.aud).toBe('https://graph.microsoft.com');
    expect(String(at.scp)).toContain('User.Read');
    const lifetime = (result.expiresOn!.getTime() - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(3500);
    expect(lifetime).toBeLessThanOrEqual(5400);

    // second resource from the cache's refresh token
    const teams = await cca.acquireTokenSilent({ account: result.account!, scopes: [TEAMS_SCOPE] });
    const tat = decodeJwt(teams.accessToken);
    expect(tat.aud).toBe('48ac35b8-9aa8-4d74-927d-1f4a14a0b239');
    expect(tat.scp).toBe('user_impersonation');
    expect(tat.oid).toBe(ga.id);
  });

  test('acquireTokenByRefreshToken works for the Teams admin API resource', async () => {
    const a = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    const code = a.location!.searchParams.get('code')!;
    await cca.acquireTokenByCode(
      {
        code,
        scopes: ['https://graph.microsoft.com/User.Read', 'offline_access'],
        redirectUri: APP.redirectUri,
        codeVerifier: a.verifier,
        nonce: a.nonce,
        state: a.state,
      },
      { code: a.location!.searchParams.get('code')!, state: a.state },
    );
    const cache = JSON.parse(cca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const rt = Object.values(cache.RefreshToken)[0]!.secret;
    const r = await cca.acquireTokenByRefreshToken({ refreshToken: rt, scopes: [TEAMS_SCOPE] });
    expect(decodeJwt(r!.accessToken).aud).toBe('48ac35b8-9aa8-4d74-927d-1f4a14a0b239');
  });

  test('a wrong PKCE verifier, a reused code and a wrong redirect URI are refused with invalid_grant', async () => {
    const a = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    const code = a.location!.searchParams.get('code')!;
    await expect(
      cca.acquireTokenByCode({
        code,
        scopes: ['User.Read'],
        redirectUri: APP.redirectUri,
        codeVerifier: crypto.randomBytes(32).toString('base64url'),
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorMessage: expect.stringContaining('AADSTS501481') });
    const b = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    const code2 = b.location!.searchParams.get('code')!;
    await cca.acquireTokenByCode({
      code: code2,
      scopes: ['User.Read'],
      redirectUri: APP.redirectUri,
      codeVerifier: b.verifier,
      nonce: b.nonce,
    });
    await expect(
      cca.acquireTokenByCode({ code: code2, scopes: ['User.Read'], redirectUri: APP.redirectUri, codeVerifier: b.verifier }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorMessage: expect.stringContaining('AADSTS54005') });
    const c = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    const res = await fetch(`${sim.urls.entra}/organizations/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: APP.clientId,
        client_secret: APP.clientSecret,
        code: c.location!.searchParams.get('code')!,
        redirect_uri: 'https://evil.example/cb',
        code_verifier: c.verifier,
        scope: 'User.Read',
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('invalid_grant');
    expect(body.error_codes).toEqual([50011]);
    expect(typeof body.correlation_id).toBe('string');
    expect(typeof body.trace_id).toBe('string');
  });

  test('a wrong client secret is refused with invalid_client AADSTS7000215', async () => {
    const bad = msalApp(sim, DEMO_TENANT_ID, 'not-the-secret');
    await expect(bad.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] })).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS7000215'),
    });
  });
});

describe('scripted authorize outcomes redirect with Microsoft error parameters', () => {
  const cases: Array<[string, Parameters<RunningSimulator['control']['scriptAuthorize']>[0], string, string]> = [
    ['consent declined', { outcome: 'consentDeclined' }, 'access_denied', 'AADSTS65004'],
    ['admin approval required', { outcome: 'adminApprovalRequired' }, 'access_denied', 'AADSTS90094'],
    ['MFA required', { outcome: 'mfaRequired' }, 'interaction_required', 'AADSTS50076'],
  ];
  test.each(cases)('%s', async (_name, outcome, error, code) => {
    const a = await authorize(sim, cca, outcome);
    expect(a.status).toBe(302);
    const p = a.location!.searchParams;
    expect(p.get('error')).toBe(error);
    expect(p.get('error_description')).toMatch(new RegExp(`^${code}: .*Trace ID: .*Correlation ID: .*Timestamp: `));
    expect(p.get('state')).toBe(a.state);
    expect(p.get('code')).toBeNull();
  });

  test('a user of another tenant signs in at /organizations: the ID token carries the other tid', async () => {
    const a = await authorize(sim, cca, { outcome: 'signIn', user: 'admin', tenantId: OTHER_TENANT_ID });
    const code = a.location!.searchParams.get('code')!;
    const r = await cca.acquireTokenByCode(
      { code, scopes: ['User.Read'], redirectUri: APP.redirectUri, codeVerifier: a.verifier, nonce: a.nonce, state: a.state },
      { code: a.location!.searchParams.get('code')!, state: a.state },
    );
    expect((r.idTokenClaims as Record<string, unknown>).tid).toBe(OTHER_TENANT_ID);
  });

  test('a user of another tenant at a tenant-specific authority gets AADSTS50020 and no redirect', async () => {
    const a = await authorize(sim, msalApp(sim, DEMO_TENANT_ID), { outcome: 'signIn', user: 'admin', tenantId: OTHER_TENANT_ID });
    expect(a.status).toBe(400);
    expect(a.body).toContain('AADSTS50020');
  });

  test('without a script a person gets a sign-in page and can accept', async () => {
    const a = await authorize(sim, cca, undefined);
    expect(a.status).toBe(200);
    expect(a.body).toContain('Megan Bowen');
    const txn = /name="txn" value="([^"]+)"/.exec(a.body)![1]!;
    const action = /action="([^"]+)"/.exec(a.body)![1]!;
    const ga = sim.control.user(DEMO_TENANT_ID, 'megan.bowen');
    const res = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ txn, user: ga.id, action: 'accept' }),
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });
});

test('the sign-in page can also decline, which redirects with AADSTS65004', async () => {
  const cca2 = msalApp(sim);
  const a = await authorize(sim, cca2, undefined);
  const txn = /name="txn" value="([^"]+)"/.exec(a.body)![1]!;
  const action = /action="([^"]+)"/.exec(a.body)![1]!;
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ txn, action: 'decline' }),
  });
  const loc = new URL(res.headers.get('location')!);
  expect(loc.searchParams.get('error')).toBe('access_denied');
  expect(loc.searchParams.get('error_description')).toMatch(/^AADSTS65004:/);
  // the page's transaction is single-use
  const again = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ txn, action: 'accept' }),
  });
  expect(again.status).toBe(400);
});

describe('admin consent and client credentials', () => {
  function consentUrl(tenant: string, state: string): string {
    return `${sim.urls.entra}/${tenant}/v2.0/adminconsent?${new URLSearchParams({ client_id: APP.clientId, scope: GRAPH_SCOPE, redirect_uri: APP.redirectUri, state })}`;
  }

  test('client credentials fail before admin consent (AADSTS700016) and work after it, with app roles', async () => {
    const app = msalApp(sim, DEMO_TENANT_ID);
    await expect(app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] })).rejects.toMatchObject({
      errorCode: 'unauthorized_client',
      errorMessage: expect.stringContaining('AADSTS700016'),
    });
    sim.control.scriptAuthorize({ outcome: 'signIn', user: 'megan.bowen' });
    const res = await fetch(consentUrl('organizations', 's1'), { redirect: 'manual' });
    const loc = new URL(res.headers.get('location')!);
    expect(loc.searchParams.get('admin_consent')).toBe('True');
    expect(loc.searchParams.get('tenant')).toBe(DEMO_TENANT_ID);
    expect(loc.searchParams.get('state')).toBe('s1');
    const r = await msalApp(sim, DEMO_TENANT_ID).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    const at = decodeJwt(r!.accessToken);
    expect(at.roles).toEqual(expect.arrayContaining(['User.Read.All', 'TeamsTelephoneNumber.ReadWrite.All']));
    expect(at.scp).toBeUndefined();
    expect(at.tid).toBe(DEMO_TENANT_ID);
  });

  test('declined admin consent and a non-admin consenting give documented errors', async () => {
    sim.control.scriptAuthorize({ outcome: 'consentDeclined' }, { outcome: 'signIn', user: 'adele.vance' });
    const declined = new URL((await fetch(consentUrl(DEMO_TENANT_ID, 's2'), { redirect: 'manual' })).headers.get('location')!);
    expect(declined.searchParams.get('admin_consent')).toBe('True');
    expect(declined.searchParams.get('error')).toBe('consent_required');
    expect(declined.searchParams.get('error_description')).toMatch(/^AADSTS65004:/);
    const notAdmin = new URL((await fetch(consentUrl(DEMO_TENANT_ID, 's3'), { redirect: 'manual' })).headers.get('location')!);
    expect(notAdmin.searchParams.get('error_description')).toMatch(/^AADSTS90094:/);
    expect(sim.control.tenants().find((t) => t.id === DEMO_TENANT_ID)!.adminConsents).not.toContain(APP.clientId);
  });

  test('@azure/identity ClientSecretCredential gets app-only tokens from the simulator', async () => {
    sim.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
    const cred = new ClientSecretCredential(DEMO_TENANT_ID, APP.clientId, APP.clientSecret, {
      authorityHost: sim.urls.entra,
      disableInstanceDiscovery: true,
    });
    const t = await cred.getToken(GRAPH_SCOPE);
    expect(decodeJwt(t.token).tid).toBe(DEMO_TENANT_ID);
    expect(t.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3500_000);
  });

  test('scripted token error: MFA required when refreshing for the Teams admin API', async () => {
    const a = await authorize(sim, cca, { outcome: 'signIn', user: 'megan.bowen' });
    const r = await cca.acquireTokenByCode(
      {
        code: a.location!.searchParams.get('code')!,
        scopes: ['User.Read'],
        redirectUri: APP.redirectUri,
        codeVerifier: a.verifier,
        nonce: a.nonce,
        state: a.state,
      },
      { code: a.location!.searchParams.get('code')!, state: a.state },
    );
    sim.control.scriptTokenError({ error: 'mfaRequired', resource: '48ac35b8-9aa8-4d74-927d-1f4a14a0b239' });
    await expect(cca.acquireTokenSilent({ account: r.account!, scopes: [TEAMS_SCOPE] })).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS50076'),
    });
  });

  test('an expired access token is refused by Graph with InvalidAuthenticationToken', async () => {
    const short = await startTestSimulator({ tokenLifetimeSeconds: 1 });
    try {
      short.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
      const r = await fetch(`${short.urls.entra}/${DEMO_TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.clientId,
          client_secret: APP.clientSecret,
          scope: GRAPH_SCOPE,
        }),
      });
      const { access_token } = (await r.json()) as { access_token: string };
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const res = await fetch(`${short.urls.graph}/v1.0/organization`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'InvalidAuthenticationToken',
        message: expect.stringContaining('expired'),
      });
    } finally {
      await short.stop();
    }
  });

  test('fixed token lifetime is honoured through expires_in', async () => {
    const fixed = await startTestSimulator({ tokenLifetimeSeconds: 120 });
    try {
      fixed.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
      const r = await fetch(`${fixed.urls.entra}/${DEMO_TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.clientId,
          client_secret: APP.clientSecret,
          scope: GRAPH_SCOPE,
        }),
      });
      const body = (await r.json()) as { expires_in: number; access_token: string };
      expect(body.expires_in).toBe(120);
      const at = decodeJwt(body.access_token);
      expect((at.exp as number) - (at.iat as number)).toBe(120);
    } finally {
      await fixed.stop();
    }
  });
});
