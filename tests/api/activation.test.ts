/**
 * Activation end to end through real HTTP: email link → integration page → admin consent → sign-in → discovery,
 * against the local host, Azurite and the simulated Microsoft. Every refusal is checked to change nothing.
 */
import { TableClient } from '@azure/data-tables';
import { LinkSigner } from '../../shared/security/signedLinks';
import { singleKey } from '../../shared/security/keyRing';
import { Sealer } from '../../shared/security/sealer';
import { tableAuthSessionStore } from '../../shared/storage/authSessionStore';
import { tableTenantLinks } from '../../shared/storage/tenantLinkStore';
import { isInsecure } from '../../shared/storage/tables';
import { AuthorizeOutcome } from '../../local/simulator/state';
import { TENANT_CLAIM_GRACE_MS } from '../../shared/domain/activation';
import { DEMO_TENANT_ID, OTHER_TENANT_ID } from '../../local/simulator';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Browser, formField } from '../support/browser';
import { json, LINK_KEYS, LINK_SIGNING_KEY_ID, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  // Many accounts are enabled here; the default sending rate (30 a minute) would defer their emails.
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
});
afterAll(() => stack?.stop());

let seq = 0;
/** A fresh account (own id, own GA email) and the link from its "activate" email. */
async function enable(tenantId: string | null = DEMO_TENANT_ID): Promise<{ accountId: string; link: string; pageUrl: string }> {
  const accountId = `act-${++seq}`;
  const email = `ga-${seq}@customer.example`;
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: {
      name: `Customer ${seq}`,
      licenseCount: 5,
      globalAdmin: { portalUserId: `ga-${seq}`, displayName: 'Gale Admin', email },
      tenantId,
    },
  });
  expect(res.status).toBe(201);
  await stack.deliverEmails();
  const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email) && /Activate/.test(m.subject));
  const pageUrl = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1];
  if (!pageUrl) throw new Error('no link in the activation email');
  return { accountId, pageUrl, link: new URL(pageUrl).searchParams.get('link') as string };
}

async function status(accountId: string) {
  return json(await stack.call('GET', `accounts/${accountId}/status`));
}

/** Opens the page and presses Authorize; returns the redirect to Microsoft's admin consent. */
async function pressAuthorize(browser: Browser, pageUrl: string): Promise<string> {
  const pageHop = await browser.request(pageUrl);
  expect(pageHop.status).toBe(200);
  const hop = await browser.request(`${stack.url}/api/integration/authorize`, {
    form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
  });
  expect(hop.status).toBe(303);
  return hop.location as string;
}

/** Runs consent and sign-in with scripted Microsoft outcomes; returns the last answer from our app. */
async function activate(browser: Browser, pageUrl: string, consent: AuthorizeOutcome, signIn?: AuthorizeOutcome) {
  const consentUrl = await pressAuthorize(browser, pageUrl);
  stack.simulator.control.scriptAuthorize(consent);
  const toConsentCallback = await browser.request(consentUrl);
  const consentCallback = await browser.request(toConsentCallback.location as string);
  if (!signIn || consentCallback.status !== 303) return { consentCallback, last: consentCallback };
  stack.simulator.control.scriptAuthorize(signIn);
  const toSignInCallback = await browser.request(consentCallback.location as string);
  const last = await browser.request(toSignInCallback.location as string);
  return { consentCallback, signInCallbackUrl: toSignInCallback.location as string, last };
}

const megan: AuthorizeOutcome = { outcome: 'signIn', user: 'megan.bowen' };

test('a Global Admin activates: page → consent → sign-in → discovery → eligible Teams users listed', async () => {
  const { accountId, pageUrl } = await enable();
  const browser = new Browser();
  const first = await browser.request(pageUrl);
  expect(first.body).toContain('Awaiting activation');
  expect(first.body).toContain('<button type="submit">Authorize</button>');

  const consentUrl = await pressAuthorize(browser, pageUrl);
  const consent = new URL(consentUrl);
  expect(consent.pathname).toBe(`/${DEMO_TENANT_ID}/v2.0/adminconsent`);
  expect(consent.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
  expect(consent.searchParams.get('redirect_uri')).toBe(`${stack.url}/api/auth/consent`);

  stack.simulator.control.scriptAuthorize(megan);
  const consentCallback = await browser.request((await browser.request(consentUrl)).location as string);
  expect(consentCallback.status).toBe(303);
  const signIn = new URL(consentCallback.location as string);
  expect(signIn.pathname).toBe('/organizations/oauth2/v2.0/authorize');
  expect(signIn.searchParams.get('code_challenge_method')).toBe('S256');
  expect(signIn.searchParams.get('nonce')).toBeTruthy();
  expect(signIn.searchParams.get('domain_hint')).toBe(DEMO_TENANT_ID);

  stack.simulator.control.scriptAuthorize(megan);
  const signInCallback = await browser.request((await browser.request(signIn.toString())).location as string);
  expect(signInCallback.status).toBe(303);
  expect(signInCallback.location).toMatch(/\/api\/integration\?link=/);

  await stack.host.durable.whenIdle();
  const s = await status(accountId);
  expect(s).toMatchObject({ state: 'active', actionNeeded: 'none', globalAdmin: { microsoftIdentityBound: true } });
  const page = await browser.request(signInCallback.location as string);
  expect(page.body).toContain('Active');
  // The tenant is shown by its name and default domain (Graph organization), not only by its id.
  const org = stack.simulator.control.tenants().find((t) => t.id === DEMO_TENANT_ID)!;
  expect(s.discovery.tenant).toEqual({ displayName: org.displayName, defaultDomain: org.domain });
  expect(page.body).toContain(`${org.displayName} (${org.domain})`);

  const expected = stack.simulator.control
    .users(DEMO_TENANT_ID)
    .filter((u) => u.eligible && u.accountEnabled && !u.resourceAccount)
    .map((u) => u.id)
    .sort();
  const teams = await json(await stack.call('GET', `accounts/${accountId}/teams-users?filter=eligible&pageSize=1000`));
  expect(teams.users.map((u: { id: string }) => u.id).sort()).toEqual(expected);
  const resources = await json(await stack.call('GET', `accounts/${accountId}/teams-users?filter=resourceAccounts`));
  expect(resources.users.map((u: { displayName: string }) => u.displayName).sort()).toEqual([
    'Main Line Auto Attendant',
    'Sales Call Queue',
    'Support Call Queue',
  ]);
});

/** Nothing was bound: the tenant is unconfirmed, no GA identity, the state unchanged. */
async function expectNothingBound(accountId: string, state = 'invited') {
  const s = await status(accountId);
  expect(s.state).toBe(state);
  expect(s.globalAdmin.microsoftIdentityBound).toBe(false);
}

const refusal = (body: string) => /Reason: ([A-Z_]+)/.exec(body)?.[1];

test('pages allow no script, and their forms lead only to us and to the Microsoft authority', async () => {
  const { pageUrl } = await enable();
  const res = await fetch(pageUrl);
  const csp = res.headers.get('content-security-policy') as string;
  expect(csp).toContain("default-src 'none'");
  const formAction = /form-action ([^;]+)/.exec(csp)?.[1]?.trim().split(/\s+/);
  expect(formAction).toEqual(["'self'", new URL(stack.simulator.urls.entra).origin]);
  const refused = await fetch(`${stack.url}/api/integration?link=damaged`);
  expect(refused.headers.get('content-security-policy')).toBe(csp);
});

describe('refusals: a clear page with its reason, and nothing bound', () => {
  test.each<[string, AuthorizeOutcome, number, string]>([
    ['consent declined', { outcome: 'consentDeclined' }, 403, 'CONSENT_DECLINED'],
    ['admin approval required', { outcome: 'adminApprovalRequired' }, 403, 'ADMIN_APPROVAL_REQUIRED'],
    ['MFA required at consent', { outcome: 'mfaRequired' }, 401, 'MFA_REQUIRED'],
  ])('%s', async (_name, outcome, httpStatus, code) => {
    const { accountId, pageUrl } = await enable();
    const { last } = await activate(new Browser(), pageUrl, outcome);
    expect(last.status).toBe(httpStatus);
    expect(refusal(last.body)).toBe(code);
    expect(last.body).toContain('Back to the integration page');
    await expectNothingBound(accountId);
  });

  test.each<[string, AuthorizeOutcome, string]>([
    ['signed in to another tenant', { outcome: 'signIn', user: 'admin', tenantId: OTHER_TENANT_ID }, 'TENANT_MISMATCH'],
    ['signed in as a non-admin', { outcome: 'signIn', user: 'adele.vance' }, 'NOT_GLOBAL_ADMIN'],
    ['MFA required at sign-in', { outcome: 'mfaRequired' }, 'MFA_REQUIRED'],
  ])('%s', async (_name, signIn, code) => {
    const { accountId, pageUrl } = await enable();
    const { last } = await activate(new Browser(), pageUrl, megan, signIn);
    expect(refusal(last.body)).toBe(code);
    await expectNothingBound(accountId);
  });

  /** A tenant of its own (one tenant serves one account), with two Global Administrators: ga1 and ga2. */
  let tenantSeed = 100;
  function ownTenant(): { tenantId: string; ga1: AuthorizeOutcome; ga2: AuthorizeOutcome } {
    const tenantId = stack.simulator.control.addTenant(generateTenant({ users: 12, seed: ++tenantSeed })).id;
    return { tenantId, ga1: { outcome: 'signIn', user: 'ga1', tenantId }, ga2: { outcome: 'signIn', user: 'ga2', tenantId } };
  }

  test('a different Global Administrator than the bound one', async () => {
    const t = ownTenant();
    const { accountId, pageUrl } = await enable(t.tenantId);
    expect((await activate(new Browser(), pageUrl, t.ga1, t.ga1)).last.status).toBe(303);
    await stack.host.durable.whenIdle();
    const { last } = await activate(new Browser(), pageUrl, t.ga1, t.ga2);
    expect(refusal(last.body)).toBe('GLOBAL_ADMIN_MISMATCH');
    expect((await status(accountId)).state).toBe('active');
  });

  test('a tenant already linked to another account', async () => {
    const t = ownTenant();
    const first = await enable(null);
    expect((await activate(new Browser(), first.pageUrl, t.ga1, t.ga1)).last.status).toBe(303);
    await stack.host.durable.whenIdle();
    const second = await enable(null);
    const { last } = await activate(new Browser(), second.pageUrl, t.ga1, t.ga1);
    expect(last.status).toBe(409);
    expect(refusal(last.body)).toBe('TENANT_ALREADY_LINKED');
    await expectNothingBound(second.accountId);
    expect((await status(first.accountId)).state).toBe('active');
  });

  /** Consent and sign-in up to Microsoft's redirect back to our sign-in callback (not requested yet). */
  async function signInCallbackUrl(browser: Browser, pageUrl: string, ga: AuthorizeOutcome): Promise<string> {
    const consentUrl = await pressAuthorize(browser, pageUrl);
    stack.simulator.control.scriptAuthorize(ga);
    const consentCallback = await browser.request((await browser.request(consentUrl)).location as string);
    expect(consentCallback.status).toBe(303);
    stack.simulator.control.scriptAuthorize(ga);
    return (await browser.request(consentCallback.location as string)).location as string;
  }

  test('two tenants finishing sign-in for one account at once: one wins, the loser keeps its tenant free', async () => {
    // The race is between both callbacks reading the unbound account and either saving it; repeated to hit it often, but
    // not surely (run one after the other, the second is refused before it claims): tests/unit/completeSignIn.test.ts
    // pins each interleaving, this checks the end-to-end outcome on real storage.
    for (let round = 0; round < 4; round++) {
      const a = ownTenant();
      const b = ownTenant();
      const contested = await enable(null);
      const [browserA, browserB] = [new Browser(), new Browser()];
      const callbackA = await signInCallbackUrl(browserA, contested.pageUrl, a.ga1);
      const callbackB = await signInCallbackUrl(browserB, contested.pageUrl, b.ga1);
      const [hopA, hopB] = await Promise.all([browserA.request(callbackA), browserB.request(callbackB)]);
      const [won, lost] = hopA.status === 303 ? [a, b] : [b, a];
      const loserHop = hopA.status === 303 ? hopB : hopA;
      expect([hopA.status, hopB.status]).toContain(303);
      expect(refusal(loserHop.body)).toBe('TENANT_MISMATCH');
      await stack.host.durable.whenIdle();
      const account = await json(await stack.call('GET', `accounts/${contested.accountId}`));
      expect(account).toMatchObject({ state: 'active', tenantId: won.tenantId });
      // The losing tenant was not left linked to the contested account: its own account activates with it.
      const own = await enable(null);
      const { last } = await activate(new Browser(), own.pageUrl, lost.ga1, lost.ga1);
      expect(refusal(last.body)).toBeUndefined();
      expect(last.status).toBe(303);
      await stack.host.durable.whenIdle();
      expect(await json(await stack.call('GET', `accounts/${own.accountId}`))).toMatchObject({ state: 'active', tenantId: lost.tenantId });
    }
  });

  test('a replayed state is refused', async () => {
    const { accountId, pageUrl } = await enable();
    const browser = new Browser();
    const consentUrl = await pressAuthorize(browser, pageUrl);
    stack.simulator.control.scriptAuthorize(megan);
    const callbackUrl = (await browser.request(consentUrl)).location as string;
    expect((await browser.request(callbackUrl)).status).toBe(303);
    const replay = await browser.request(callbackUrl);
    expect(replay.status).toBe(400);
    expect(refusal(replay.body)).toBe('STATE_ALREADY_USED');
    await expectNothingBound(accountId);
  });

  test("a state from another account's flow, opened in a different browser", async () => {
    const a = await enable();
    const b = await enable();
    const browserA = new Browser();
    const browserB = new Browser();
    await pressAuthorize(browserA, a.pageUrl);
    const consentB = await pressAuthorize(browserB, b.pageUrl);
    stack.simulator.control.scriptAuthorize(megan);
    const callbackB = (await browserB.request(consentB)).location as string;
    const stolen = await browserA.request(callbackB);
    expect(stolen.status).toBe(403);
    expect(refusal(stolen.body)).toBe('STATE_OTHER_BROWSER');
    await expectNothingBound(a.accountId);
    await expectNothingBound(b.accountId);
    // The real user's flow is not spoiled by someone who saw the state: their own browser still completes it.
    const own = await browserB.request(callbackB);
    expect(own.status).toBe(303);
    expect(new URL(own.location as string).pathname).not.toBe('/api/auth/consent');
  });

  test('an unknown or missing state is refused', async () => {
    const hop = await new Browser().request(`${stack.url}/api/auth/signin?code=abc&state=nope`);
    expect(hop.status).toBe(400);
    expect(refusal(hop.body)).toBe('STATE_UNKNOWN');
    const none = await new Browser().request(`${stack.url}/api/auth/consent?admin_consent=True&tenant=${DEMO_TENANT_ID}`);
    expect(refusal(none.body)).toBe('STATE_UNKNOWN');
    for (const odd of ['a/b', "x'y", 'a#b', '..', '\\']) {
      const hop = await new Browser().request(`${stack.url}/api/auth/consent?state=${encodeURIComponent(odd)}&admin_consent=True`);
      expect(hop.status).toBe(400);
      expect(refusal(hop.body)).toBe('STATE_UNKNOWN');
    }
  });

  test('an expired link', async () => {
    const { accountId } = await enable();
    const signer = new LinkSigner(LINK_KEYS, 3600);
    const old = await signer.sign(
      { purpose: 'integration', accountId, globalAdminId: `ga-${seq}`, globalAdminEmail: `ga-${seq}@customer.example` },
      new Date(Date.now() - 2 * 3600_000),
    );
    const hop = await new Browser().request(`${stack.url}/api/integration?link=${old}`);
    expect(hop.status).toBe(403);
    expect(refusal(hop.body)).toBe('LINK_EXPIRED');
    expect(hop.body).not.toContain('<form');
  });

  test('a tampered link, a link signed with another key, a garbage link', async () => {
    const { link } = await enable();
    const [h, p, sig] = link.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, acc: 'act-1' })).toString('base64url')}.${sig}`;
    const foreign = await new LinkSigner(singleKey(LINK_SIGNING_KEY_ID, 'another-key-of-at-least-32-characters!!'), 3600).sign({
      purpose: 'integration',
      accountId: payload.acc as string,
      globalAdminId: payload.ga as string,
      globalAdminEmail: `ga-${seq}@customer.example`,
    });
    for (const bad of [tampered, foreign, 'not-a-link', '']) {
      const hop = await new Browser().request(`${stack.url}/api/integration?link=${encodeURIComponent(bad)}`);
      expect(hop.status).toBe(403);
      expect(refusal(hop.body)).toBe('LINK_INVALID');
    }
  });

  test('a link kept by a previous Global Admin opens nothing', async () => {
    const { accountId, pageUrl } = await enable();
    const res = await stack.call('PUT', `accounts/${accountId}`, {
      body: {
        name: 'New GA',
        licenseCount: 5,
        globalAdmin: { portalUserId: 'someone-else', displayName: 'Sam', email: 'sam@customer.example' },
      },
    });
    expect(res.status).toBe(200);
    const hop = await new Browser().request(pageUrl);
    expect(refusal(hop.body)).toBe('LINK_SUPERSEDED');
  });

  test("a link sent to the GA's previous email address opens nothing", async () => {
    const { accountId, pageUrl } = await enable();
    const res = await stack.call('PUT', `accounts/${accountId}`, {
      body: {
        name: `Customer ${seq}`,
        licenseCount: 5,
        globalAdmin: { portalUserId: `ga-${seq}`, displayName: 'Gale Admin', email: 'new-box@customer.example' },
      },
    });
    expect(res.status).toBe(200);
    const hop = await new Browser().request(pageUrl);
    expect(refusal(hop.body)).toBe('LINK_SUPERSEDED');
  });

  test('CSRF token missing, or minted for another browser', async () => {
    const { accountId, pageUrl } = await enable();
    const browser = new Browser();
    const page = await browser.request(pageUrl);
    const link = formField(page.body, 'link') as string;
    const missing = await browser.request(`${stack.url}/api/integration/authorize`, { form: { link } });
    expect(missing.status).toBe(403);
    expect(refusal(missing.body)).toBe('CSRF_TOKEN_INVALID');
    const otherBrowser = new Browser();
    const other = await otherBrowser.request(`${stack.url}/api/integration/authorize`, {
      form: { link, csrf: formField(page.body, 'csrf') as string },
    });
    expect(refusal(other.body)).toBe('CSRF_TOKEN_INVALID');
    await expectNothingBound(accountId);
  });

  test('a malformed form or callback is a 4xx page, never a 500', async () => {
    const b = new Browser();
    const hop = await b.request(`${stack.url}/api/integration/authorize`, { form: { nonsense: 'x'.repeat(100) } });
    expect(hop.status).toBe(403);
    const long = await b.request(`${stack.url}/api/auth/consent?state=${'x'.repeat(5000)}`);
    expect(long.status).toBe(400);
    const wrongType = await fetch(`${stack.url}/api/integration/authorize`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(wrongType.status).toBe(403);
  });
});

const sessionsTable = (): TableClient =>
  TableClient.fromConnectionString(stack.azurite.connectionString, 'authSessions', {
    allowInsecureConnection: isInsecure(stack.azurite.connectionString),
  });
const sessionStore = () => {
  const client = sessionsTable();
  return tableAuthSessionStore({ client, ready: () => client.createTable() }, new Sealer(LINK_KEYS));
};

test('an expired state is refused by the session store, and a session is usable only once', async () => {
  const sessions = sessionStore();
  const now = new Date();
  const base = {
    purpose: 'signIn' as const,
    accountId: 'x',
    globalAdminId: 'g',
    browserBinding: 'b',
    codeVerifier: 'verifier-secret',
    nonce: 'n',
  };
  await sessions.create({
    ...base,
    state: 'expiring-state-0001',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 60_000).toISOString(),
  });
  const expected = (at: Date) => ({ purpose: 'signIn' as const, browserBinding: 'b', now: at });
  const late = await sessions.consume('expiring-state-0001', expected(new Date(now.getTime() + 61_000)));
  expect(late).toMatchObject({ ok: false, error: { code: 'STATE_EXPIRED' } });

  await sessions.create({
    ...base,
    state: 'fresh-state-0002',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 60_000).toISOString(),
  });
  const raw = await TableClient.fromConnectionString(stack.azurite.connectionString, 'authSessions', {
    allowInsecureConnection: true,
  }).getEntity('fresh-state-0002', 'session');
  expect(JSON.stringify(raw)).not.toContain('verifier-secret');
  // Another browser, or the other step, is refused without using the session up.
  expect(await sessions.consume('fresh-state-0002', { ...expected(now), browserBinding: 'other' })).toMatchObject({
    ok: false,
    error: { code: 'STATE_OTHER_BROWSER' },
  });
  expect(await sessions.consume('fresh-state-0002', { ...expected(now), purpose: 'adminConsent' })).toMatchObject({
    ok: false,
    error: { code: 'STATE_WRONG_PURPOSE' },
  });
  const [first, second] = await Promise.all([
    sessions.consume('fresh-state-0002', expected(now)),
    sessions.consume('fresh-state-0002', expected(now)),
  ]);
  expect([first.ok, second.ok].sort()).toEqual([false, true]);
  const used = first.ok ? first : second;
  expect(used.ok && used.value.codeVerifier).toBe('verifier-secret');

  expect(await sessions.purgeExpired(new Date(now.getTime() + 120_000))).toBeGreaterThanOrEqual(2);
  expect(await sessions.consume('fresh-state-0002', expected(now))).toMatchObject({ ok: false, error: { code: 'STATE_UNKNOWN' } });
});

test("a sealed verifier or nonce copied into another session's row does not open there", async () => {
  const sessions = sessionStore();
  const now = new Date();
  const session = (state: string, secret: string) => ({
    state,
    purpose: 'signIn' as const,
    accountId: 'x',
    globalAdminId: 'g',
    browserBinding: 'b',
    codeVerifier: `verifier-${secret}`,
    nonce: `nonce-${secret}`,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 60_000).toISOString(),
  });
  await sessions.create(session('victim-state-0003', 'victim'));
  await sessions.create(session('attacker-state-0004', 'attacker'));
  const victim = await sessionsTable().getEntity<{ sealedVerifier: string; sealedNonce: string }>('victim-state-0003', 'session');
  await sessionsTable().updateEntity(
    { partitionKey: 'attacker-state-0004', rowKey: 'session', sealedVerifier: victim.sealedVerifier, sealedNonce: victim.sealedNonce },
    'Merge',
  );
  const moved = await sessions.consume('attacker-state-0004', { purpose: 'signIn', browserBinding: 'b', now });
  expect(moved).toMatchObject({ ok: true, value: { codeVerifier: undefined, nonce: undefined } });
  const own = await sessions.consume('victim-state-0003', { purpose: 'signIn', browserBinding: 'b', now });
  expect(own).toMatchObject({ ok: true, value: { codeVerifier: 'verifier-victim', nonce: 'nonce-victim' } });
});

describe('tenant links', () => {
  const client = () => TableClient.fromConnectionString(stack.azurite.connectionString, 'tenantLinks', { allowInsecureConnection: true });
  const links = () =>
    tableTenantLinks({
      client: client(),
      ready: () =>
        client()
          .createTable()
          .catch(() => undefined) as Promise<void>,
    });
  const never = async () => false;
  let n = 0;
  const tenant = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

  test("release deletes only the holder's link, only its own claim when given one, and is idempotent", async () => {
    const t = tenant();
    const first = await links().claim(t, 'acc-1', new Date(), never);
    expect(first.ok).toBe(true);
    expect(await links().claim(t.toUpperCase(), 'acc-2', new Date(), never)).toMatchObject({
      ok: false,
      error: { code: 'TENANT_ALREADY_LINKED' },
    });
    const again = await links().claim(t, 'acc-1', new Date(), never);
    expect(again.ok && first.ok && again.value.etag !== first.value.etag).toBe(true);
    // An older claim of the holder, or another account, releases nothing.
    if (first.ok) await links().release(t, 'acc-1', first.value);
    await links().release(t, 'acc-2');
    expect((await links().claim(t, 'acc-2', new Date(), never)).ok).toBe(false);
    await links().release(t.toUpperCase(), 'acc-1');
    await links().release(t, 'acc-1');
    expect((await links().claim(t, 'acc-2', new Date(), never)).ok).toBe(true);
  });

  test('a link is taken over only when the claimant finds it abandoned, and the old claim cannot release the new', async () => {
    const t = tenant();
    const old = await links().claim(t, 'acc-1', new Date('2026-01-01T00:00:00Z'), never);
    const seen: unknown[] = [];
    const taken = await links().claim(t, 'acc-2', new Date(), async (link) => {
      seen.push(link);
      return true;
    });
    expect(seen).toEqual([{ accountId: 'acc-1', claimedAt: new Date('2026-01-01T00:00:00Z') }]);
    expect(taken.ok).toBe(true);
    if (old.ok) await links().release(t, 'acc-1', old.value);
    await links().release(t, 'acc-1');
    expect((await client().getEntity(t, 'account')).accountId).toBe('acc-2');
  });

  test('a claim left by a sign-in that stopped before binding lapses after the grace; a fresh one still holds', async () => {
    const t = stack.simulator.control.addTenant(generateTenant({ users: 6, seed: 900 })).id;
    const ga: AuthorizeOutcome = { outcome: 'signIn', user: 'ga1', tenantId: t };
    const halfWay = await enable(null);
    await client().upsertEntity({ partitionKey: t, rowKey: 'account', accountId: halfWay.accountId, claimedAt: new Date().toISOString() });
    const blocked = await enable(null);
    expect(refusal((await activate(new Browser(), blocked.pageUrl, ga, ga)).last.body)).toBe('TENANT_ALREADY_LINKED');

    const stale = new Date(Date.now() - TENANT_CLAIM_GRACE_MS - 1000).toISOString();
    await client().upsertEntity({ partitionKey: t, rowKey: 'account', accountId: halfWay.accountId, claimedAt: stale });
    const own = await enable(null);
    const { last } = await activate(new Browser(), own.pageUrl, ga, ga);
    expect(last.status).toBe(303);
    expect((await client().getEntity(t, 'account')).accountId).toBe(own.accountId);
    await stack.host.durable.whenIdle();
  });
});
