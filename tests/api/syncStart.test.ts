/**
 * Starting a sync over real HTTP: POST /sync (only the Global Admin) → our page, ready to sync → "Sync now" → the
 * simulated Microsoft sign-in → our callback, which checks both identities and gets one token per resource before it
 * calls the run's entry point. Every refusal starts nothing and keeps no token.
 */
import { AuthorizeOutcome } from '../../local/simulator/state';
import { OTHER_TENANT_ID } from '../../local/simulator';
import { RESOURCE_TEAMS } from '../../local/simulator/state';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Browser, formField } from '../support/browser';
import { json, LINK_KEYS, Stack, startStack } from '../support/stack';
import { randomUUID } from 'node:crypto';
import { startRun } from '../../shared/domain/syncRun';
import { singleKey } from '../../shared/security/keyRing';
import { tableSyncRunStore } from '../../shared/storage/syncRunStore';
import { table } from '../../shared/storage/tables';
import { LinkSigner } from '../../shared/security/signedLinks';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
});
afterAll(() => stack?.stop());

const refusal = (body: string) => /Reason: ([A-Z_]+)/.exec(body)?.[1];
let seq = 0;
let tenantSeed = 300;

/** An account enabled on a tenant of its own (ga1, ga2 are its Global Administrators), optionally activated by ga1. */
async function account(activate: boolean) {
  const tenantId = stack.simulator.control.addTenant(generateTenant({ users: 12, seed: ++tenantSeed })).id;
  const ga1: AuthorizeOutcome = { outcome: 'signIn', user: 'ga1', tenantId };
  const ga2: AuthorizeOutcome = { outcome: 'signIn', user: 'ga2', tenantId };
  const accountId = `sync-${++seq}`;
  const email = `sync-ga-${seq}@customer.example`;
  const ga = { id: `sync-ga-${seq}`, role: 'admin' as const, account: accountId };
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: {
      name: `Sync customer ${seq}`,
      licenseCount: 5,
      globalAdmin: { portalUserId: ga.id, displayName: 'Gale Admin', email },
      tenantId,
    },
  });
  expect(put.status).toBe(201);
  if (activate) {
    await stack.deliverEmails();
    const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email));
    const pageUrl = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string;
    const browser = new Browser();
    const pageHop = await browser.request(pageUrl);
    const hop = await browser.request(`${stack.url}/api/integration/authorize`, {
      form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
    });
    stack.simulator.control.scriptAuthorize(ga1);
    const consentCallback = await browser.request((await browser.request(hop.location as string)).location as string);
    stack.simulator.control.scriptAuthorize(ga1);
    const signedIn = await browser.request((await browser.request(consentCallback.location as string)).location as string);
    expect(signedIn.status).toBe(303);
    await stack.host.durable.whenIdle();
    expect((await json(await stack.call('GET', `accounts/${accountId}/status`))).state).toBe('active');
  }
  return { accountId, tenantId, ga, ga1, ga2 };
}

const tokenRequests = () =>
  stack.simulator.control.requestLog({ service: 'entra' }).filter((r) => r.method === 'POST' && r.url.includes('/oauth2/v2.0/token'));

/** POST /sync → the page → "Sync now" → Microsoft; returns the callback's answer and the sign-in URL. */
async function sync(a: Awaited<ReturnType<typeof account>>, signIn: AuthorizeOutcome) {
  const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga });
  expect(res.status).toBe(200);
  const { url } = await json(res);
  const browser = new Browser();
  const pageHop = await browser.request(url);
  expect(pageHop.status).toBe(200);
  const hop = await browser.request(`${stack.url}/api/integration/sync`, {
    form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
  });
  expect(hop.status).toBe(303);
  const authorize = new URL(hop.location as string);
  stack.simulator.control.scriptAuthorize(signIn);
  const toCallback = await browser.request(authorize.toString());
  const tokensBefore = tokenRequests().length;
  const last = await browser.request(toCallback.location as string);
  return { page: pageHop.body, authorize, last, tokenRequests: tokenRequests().slice(tokensBefore) };
}

const nonAdmin = (tenantId: string) =>
  stack.simulator.control.users(tenantId).find((u) => u.accountEnabled && !u.globalAdmin && !u.resourceAccount)!.id;

const noSecrets = () => expect(stack.simulator.control.secrets()).toEqual([]);

test('POST /sync: the Global Admin gets a short-lived link to our page, ready to sync', async () => {
  const a = await account(true);
  const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga });
  expect(res.status).toBe(200);
  const body = await json(res);
  expect(body.url).toMatch(new RegExp(`^${stack.url}/api/integration\\?link=`));
  const minutes = (new Date(body.expiresAt).getTime() - Date.now()) / 60_000;
  expect(minutes).toBeGreaterThan(8);
  expect(minutes).toBeLessThanOrEqual(10);
  const page = await new Browser().request(body.url);
  expect(page.body).toContain('<form method="post" action="/api/integration/sync">');
  expect(page.body).toMatch(/<button type="submit">Sync now<\/button>/);
});

test('POST /sync: any actor but the Global Admin gets 403 NOT_SYNC_ADMIN', async () => {
  const a = await account(true);
  for (const actor of [
    { id: 'someone-else', role: 'admin' as const, account: a.accountId },
    { id: 'provider-staff', role: 'provider' as const },
  ]) {
    const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('NOT_SYNC_ADMIN');
  }
});

test('POST /sync: an account not yet active answers 409 SYNC_NOT_AVAILABLE', async () => {
  const a = await account(false);
  const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga });
  expect(res.status).toBe(409);
  expect((await json(res)).code).toBe('SYNC_NOT_AVAILABLE');
});

test('the sync sign-in: delegated scopes, PKCE, nonce; both identities checked; one token per resource; the run starts and succeeds', async () => {
  const a = await account(true);
  const { authorize, last, tokenRequests: tokens } = await sync(a, a.ga1);
  expect(authorize.pathname).toBe('/organizations/oauth2/v2.0/authorize');
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.url}/api/auth/sync`);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  expect(authorize.searchParams.get('domain_hint')).toBe(a.tenantId);
  const scopes = (authorize.searchParams.get('scope') ?? '').split(' ');
  for (const s of ['TeamsTelephoneNumber.ReadWrite.All', 'TeamsPolicyUserAssign.ReadWrite.All', 'TeamsUserConfiguration.Read.All']) {
    expect(scopes).toContain(s);
  }
  expect(scopes).toContain(`${RESOURCE_TEAMS}/user_impersonation`);
  // The code for Graph, then the Teams admin API from the refresh token: two token requests, both answered (the
  // run's own app-only discovery token may follow).
  expect(tokens.slice(0, 2).map((t) => t.status)).toEqual([200, 200]);
  // The run started: the browser goes back to the integration page, and the run ends Succeeded (its plan is empty
  // until the next issues) with its tokens deleted from the vault.
  expect(last.status).toBe(303);
  expect(last.location).toMatch(/\/api\/integration\?link=/);
  let runs: { runs: { status: string; trigger: string; startedBy: string }[] } = { runs: [] };
  for (let i = 0; i < 100; i++) {
    runs = await json(await stack.call('GET', `accounts/${a.accountId}/sync-runs`));
    if (runs.runs[0]?.status && runs.runs[0].status !== 'Running') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(runs.runs).toHaveLength(1);
  expect(runs.runs[0]).toMatchObject({
    status: 'Succeeded',
    trigger: expect.stringMatching(/^(portal|page|emailLink)$/),
    startedBy: a.ga.id,
  });
  await stack.host.durable.whenIdle();
  noSecrets();
});

test.each<[string, (a: Awaited<ReturnType<typeof account>>) => AuthorizeOutcome, string]>([
  ['consent declined', () => ({ outcome: 'consentDeclined' }), 'CONSENT_DECLINED'],
  ['admin approval required', () => ({ outcome: 'adminApprovalRequired' }), 'ADMIN_APPROVAL_REQUIRED'],
  ['MFA required', () => ({ outcome: 'mfaRequired' }), 'MFA_REQUIRED'],
  ['another tenant', () => ({ outcome: 'signIn', user: 'admin', tenantId: OTHER_TENANT_ID }), 'TENANT_MISMATCH'],
  ['a non-admin', (a) => ({ outcome: 'signIn', user: nonAdmin(a.tenantId), tenantId: a.tenantId }), 'NOT_GLOBAL_ADMIN'],
  ['another Global Administrator than the bound one', (a) => a.ga2, 'GLOBAL_ADMIN_MISMATCH'],
])('refused, nothing started, no token asked for the Teams admin API: %s', async (_name, who, code) => {
  const a = await account(true);
  const { last, tokenRequests: tokens } = await sync(a, who(a));
  expect(refusal(last.body)).toBe(code);
  expect(last.body).toContain('Back to the integration page');
  // At most the code redemption (Graph); never the Teams admin API token.
  expect(tokens.length).toBeLessThanOrEqual(1);
  noSecrets();
});

test('refused: the Teams admin API consent is missing', async () => {
  const a = await account(true);
  stack.simulator.control.scriptTokenError({ error: 'consentRequired', resource: RESOURCE_TEAMS, grantType: 'refresh_token' });
  const { last, tokenRequests: tokens } = await sync(a, a.ga1);
  expect(refusal(last.body)).toBe('TEAMS_ADMIN_CONSENT_MISSING');
  expect(tokens.map((t) => t.status)).toEqual([200, 400]);
  noSecrets();
});

test('the sync form needs its CSRF token, and a sync state is not accepted by the activation callback', async () => {
  const a = await account(true);
  const { url } = await json(await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga }));
  const browser = new Browser();
  const pageHop = await browser.request(url);
  const noCsrf = await browser.request(`${stack.url}/api/integration/sync`, { form: { link: formField(pageHop.body, 'link') as string } });
  expect(refusal(noCsrf.body)).toBe('CSRF_TOKEN_INVALID');
  const hop = await browser.request(`${stack.url}/api/integration/sync`, {
    form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
  });
  const state = new URL(hop.location as string).searchParams.get('state') as string;
  const wrong = await browser.request(`${stack.url}/api/auth/signin?state=${state}&code=x`);
  expect(refusal(wrong.body)).toBe('STATE_WRONG_PURPOSE');
});

test('a replayed sync callback is refused and starts nothing more', async () => {
  const a = await account(true);
  const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga });
  const browser = new Browser();
  const pageHop = await browser.request((await json(res)).url);
  const hop = await browser.request(`${stack.url}/api/integration/sync`, {
    form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
  });
  stack.simulator.control.scriptAuthorize(a.ga1);
  const callbackUrl = (await browser.request(hop.location as string)).location as string;
  expect((await browser.request(callbackUrl)).status).toBe(303);
  await stack.host.durable.whenIdle();
  const replay = await browser.request(callbackUrl);
  expect(refusal(replay.body)).toBe('STATE_ALREADY_USED');
  await stack.host.durable.whenIdle();
  const runs = await json(await stack.call('GET', `accounts/${a.accountId}/sync-runs`));
  expect(runs.runs).toHaveLength(1);
  noSecrets();
});

test('a tampered, expired or foreign sync link opens nothing', async () => {
  const a = await account(true);
  const { url } = await json(await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga }));
  const link = new URL(url).searchParams.get('link') as string;
  const [header, payload, signature] = link.split('.');
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
  const forged = (changes: Record<string, unknown>) =>
    `${header}.${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${signature}`;
  const open = async (token: string) => refusal((await new Browser().request(`${stack.url}/api/integration?link=${token}`)).body);
  expect(await open(forged({ acc: 'another-account' }))).toBe('LINK_INVALID');
  expect(await open(forged({ exp: Math.floor(Date.now() / 1000) + 86_400 * 30 }))).toBe('LINK_INVALID');
  expect(await open(`${header}.${payload}.${'A'.repeat((signature as string).length)}`)).toBe('LINK_INVALID');
  // Signed with a key this app does not hold: foreign.
  const foreign = await new LinkSigner(singleKey('k1', 'a-foreign-key-of-at-least-32-characters!!'), 600).sign({
    purpose: 'sync',
    accountId: a.accountId,
    globalAdminId: a.ga.id,
    globalAdminEmail: `sync-ga-${a.accountId.split('-')[1]}@customer.example`,
  });
  expect(await open(foreign)).toBe('LINK_INVALID');
  // Expired: a link signed with this app's key but past its lifetime.
  const expired = await new LinkSigner(LINK_KEYS, 60).sign(
    {
      purpose: 'sync',
      accountId: a.accountId,
      globalAdminId: a.ga.id,
      globalAdminEmail: `sync-ga-${a.accountId.split('-')[1]}@customer.example`,
    },
    new Date(Date.now() - 3600_000),
  );
  expect(await open(expired)).toBe('LINK_EXPIRED');
  noSecrets();
});

/** POST /sync, then a browser of its own opens the URL: the form's fields, ready to press "Sync now". */
async function openSyncPage(a: Awaited<ReturnType<typeof account>>, url?: string) {
  const link = url ?? (await json(await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga }))).url;
  const browser = new Browser();
  const page = await browser.request(link);
  const form = { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string };
  return { url: link as string, press: () => browser.request(`${stack.url}/api/integration/sync`, { form }) };
}

test('a portal sync link starts one sign-in: used again (same or another browser) it is refused with LINK_ALREADY_USED', async () => {
  const a = await account(true);
  const first = await openSyncPage(a);
  expect((await first.press()).status).toBe(303);
  const again = await first.press();
  expect(refusal(again.body)).toBe('LINK_ALREADY_USED');
  expect(again.location).toBeUndefined();
  const elsewhere = await openSyncPage(a, first.url);
  expect(refusal((await elsewhere.press()).body)).toBe('LINK_ALREADY_USED');
  // A new link from the portal works.
  expect((await (await openSyncPage(a)).press()).status).toBe(303);
  noSecrets();
});

test('a portal sync link used twice at once: exactly one goes on to Microsoft', async () => {
  const a = await account(true);
  const one = await openSyncPage(a);
  const two = await openSyncPage(a, one.url);
  const hops = await Promise.all([one.press(), two.press(), one.press()]);
  expect(hops.filter((h) => h.status === 303 && h.location?.includes('/oauth2/v2.0/authorize'))).toHaveLength(1);
  expect(hops.map((h) => refusal(h.body)).filter((c) => c === 'LINK_ALREADY_USED')).toHaveLength(2);
});

test('POST /sync while a run of the account runs answers 409 SYNC_RUNNING with that run', async () => {
  const a = await account(true);
  const runId = randomUUID();
  const run = startRun(
    { runId, accountId: a.accountId, trigger: 'portal', startedBy: a.ga.id, deadline: new Date(Date.now() + 3600_000) },
    new Date(),
  );
  expect((await tableSyncRunStore(table(stack.azurite.connectionString, 'syncRuns')).create(run)).ok).toBe(true);
  const res = await stack.call('POST', `accounts/${a.accountId}/sync`, { actor: a.ga });
  expect(res.status).toBe(409);
  expect(await json(res)).toMatchObject({ code: 'SYNC_RUNNING', runId });
  noSecrets();
});
