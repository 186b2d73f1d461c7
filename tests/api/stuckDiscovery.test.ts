/**
 * A discovery that stops making progress (its host killed, its instance poisoned or terminated) is shown as failed
 * with DISCOVERY_STALLED after DISCOVERY_STALL_MINUTES, the Global Admin is offered "Authorize again", and doing so
 * replaces the stuck run with a new one that completes. Here Microsoft Graph is made to hang on the first users page,
 * with the stall time set to 2 seconds.
 */
import { AuthorizeOutcome } from '../../local/simulator/state';
import { transition } from '../../shared/domain/account';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableDiscoveryStore } from '../../shared/storage/discoveryStore';
import { table } from '../../shared/storage/tables';
import { Browser, formField } from '../support/browser';
import { json, Stack, startStack } from '../support/stack';

const MEGAN: AuthorizeOutcome = { outcome: 'signIn', user: 'megan.bowen' };
const STALL_SECONDS = 2;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DISCOVERY_STALL_MINUTES: String(STALL_SECONDS / 60) } });
});
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const status = async (accountId: string) => json(await stack.call('GET', `accounts/${accountId}/status`));

/** The integration page's link from the activation email. */
async function pageUrlFor(accountId: string): Promise<string> {
  const email = `ga-${accountId}@customer.example`;
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: 'Stuck Ltd', licenseCount: 3, globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'Gale Admin', email } },
  });
  expect(put.status).toBe(201);
  await stack.host.runTimer('deliverOutbox');
  const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email) && /Activate/.test(m.subject));
  return /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string;
}

/** Authorize, consent and sign in as the Global Admin; answers the page the browser lands on. */
async function authorize(browser: Browser, pageUrl: string): Promise<string> {
  const page = await browser.request(pageUrl);
  const toConsent = await browser.request(`${stack.url}/api/integration/authorize`, {
    form: { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string },
  });
  stack.simulator.control.scriptAuthorize(MEGAN, MEGAN);
  const consentCallback = (await browser.request(toConsent.location as string)).location as string;
  const signIn = (await browser.request(consentCallback)).location as string;
  const done = await browser.request((await browser.request(signIn)).location as string);
  expect(done.status).toBe(303);
  return done.location as string;
}

test('a discovery that stopped making progress is shown as failed, and authorizing again starts it anew', async () => {
  const accountId = 'stuck-1';
  const pageUrl = await pageUrlFor(accountId);
  // The first users page hangs far longer than the stall time: the run is alive but makes no progress.
  stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: 20_000, times: 1 });
  const browser = new Browser();
  await authorize(browser, pageUrl);

  expect((await status(accountId)).discovery).toMatchObject({ status: 'running' });
  await sleep(STALL_SECONDS * 1000 + 1500);

  const stalled = await status(accountId);
  expect(stalled).toMatchObject({ state: 'consented', actionNeeded: 'activate' });
  expect(stalled.discovery).toMatchObject({ status: 'failed', error: { code: 'DISCOVERY_STALLED' } });
  const page = (await browser.request(pageUrl)).body;
  expect(page).toContain('Authorize again');
  expect(page).not.toContain('http-equiv="refresh"');
  expect(page).not.toMatch(/will try again/i);

  // The Global Admin authorizes again: the stuck instance is ended and a new discovery runs to the end.
  await authorize(browser, pageUrl);
  for (let i = 0; i < 100 && (await status(accountId)).discovery?.status !== 'succeeded'; i++) await sleep(100);
  const after = await status(accountId);
  expect(after).toMatchObject({ state: 'active', discovery: { status: 'succeeded', error: null } });
  expect(stack.host.durable.instances.get(`discovery-${accountId}`)?.status).not.toBe('Terminated');
}, 60_000);

test("a discovery's success and the account's activation are one write: never one without the other", async () => {
  const accountId = 'atomic-1';
  await pageUrlFor(accountId);
  const accountsTable = table(stack.azurite.connectionString, 'accounts');
  const accounts = tableAccountStore(accountsTable);
  const discoveries = tableDiscoveryStore(accountsTable);
  const stored = (await accounts.get(accountId))!;
  const consented = transition(stored.account, 'consented', new Date());
  if (!consented.ok) throw new Error(consented.error.code);
  const saved = await accounts.save(consented.value, stored.etag, []);
  if (!saved.ok) throw new Error(saved.error.code);
  await discoveries.begin(accountId, 'd-1', new Date().toISOString());
  const active = transition(saved.value.account, 'active', new Date());
  if (!active.ok) throw new Error(active.error.code);
  const patch = { status: 'succeeded' as const, finishedAt: new Date().toISOString(), error: null };

  // The account changed meanwhile (its ETag is stale): neither row is written.
  const lost = await discoveries.succeed(accountId, 'd-1', patch, { account: active.value, etag: stored.etag });
  expect(lost).toMatchObject({ ok: false, error: { code: 'CONCURRENT_UPDATE' } });
  expect((await discoveries.get(accountId))?.status).toBe('running');
  expect((await accounts.get(accountId))?.account.state).toBe('consented');

  // With the current ETag both are written together.
  expect(await discoveries.succeed(accountId, 'd-1', patch, { account: active.value, etag: saved.value.etag })).toEqual({
    ok: true,
    value: true,
  });
  expect((await discoveries.get(accountId))?.status).toBe('succeeded');
  expect((await accounts.get(accountId))?.account.state).toBe('active');
  // A late step of a replaced discovery writes nothing.
  expect(await discoveries.succeed(accountId, 'd-0', patch, null)).toEqual({ ok: true, value: false });
});
