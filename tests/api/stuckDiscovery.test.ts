/**
 * A discovery that stops making progress (its host killed, its instance poisoned or terminated) is shown as failed
 * with DISCOVERY_STALLED after DISCOVERY_STALL_MINUTES, the Global Admin is offered "Authorize again", and doing so
 * replaces the stuck run with a new one that completes. Here Microsoft Graph is made to hang on the first users page,
 * with the stall time set to 2 seconds.
 */
import { transition } from '../../shared/domain/account';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableDiscoveryStore } from '../../shared/storage/discoveryStore';
import { table } from '../../shared/storage/tables';
import { authorizeAsGlobalAdmin, enableAccount } from '../support/activate';
import { Browser } from '../support/browser';
import { json, Stack, startStack } from '../support/stack';

const STALL_SECONDS = 2;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DISCOVERY_STALL_MINUTES: String(STALL_SECONDS / 60) } });
});
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const status = async (accountId: string) => json(await stack.call('GET', `accounts/${accountId}/status`));

test('a discovery that stopped making progress is shown as failed, and authorizing again starts it anew', async () => {
  const accountId = 'stuck-1';
  const pageUrl = await enableAccount(stack, accountId, 3, 'Stuck Ltd');
  // The first users page hangs far longer than the stall time: the run is alive but makes no progress.
  const HANG_MS = 8000;
  stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: HANG_MS, times: 1 });
  const hungAt = Date.now();
  const browser = new Browser();
  await authorizeAsGlobalAdmin(stack, browser, pageUrl);

  // The run begins a moment after the sign-in's redirect (under load, a little later).
  for (let i = 0; i < 50 && (await status(accountId)).discovery?.status !== 'running'; i++) await sleep(100);
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
  await authorizeAsGlobalAdmin(stack, browser, pageUrl);
  for (let i = 0; i < 100 && (await status(accountId)).discovery?.status !== 'succeeded'; i++) await sleep(100);
  const after = await status(accountId);
  expect(after).toMatchObject({ state: 'active', discovery: { status: 'succeeded', error: null } });
  expect(stack.host.durable.instances.get(`discovery-${accountId}`)?.status).not.toBe('Terminated');

  // The stuck run's page finally answers after the new run finished: it must write nothing (no user marked gone).
  await sleep(Math.max(0, hungAt + HANG_MS + 1500 - Date.now()));
  await stack.host.durable.whenIdle();
  const users = await json(await stack.call('GET', `accounts/${accountId}/teams-users?includeGone=true&pageSize=1000`));
  expect(users.users.length).toBeGreaterThan(0);
  expect(users.users.filter((u: { gone: boolean }) => u.gone)).toEqual([]);
  expect((await status(accountId)).discovery).toMatchObject({ discoveryId: after.discovery.discoveryId, status: 'succeeded' });
}, 60_000);

test("a discovery's success and the account's activation are one write: never one without the other", async () => {
  const accountId = 'atomic-1';
  await enableAccount(stack, accountId, 3, 'Stuck Ltd');
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
