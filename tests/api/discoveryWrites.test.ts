/**
 * Discovery writes only what changed: Table Storage writes to the teamsUsers table counted by the table-traffic proxy
 * between the app and Azurite, over re-discoveries of a generated tenant through the discoverTenant orchestration.
 */
import { Instance } from '../../local/durable/emulator';
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { TenantSeed } from '../../local/simulator/tenants/model';
import { discoveryInstanceId } from '../../shared/discovery/startDiscovery';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tableTraffic: true });
});
afterAll(() => stack?.stop());

const ACCOUNT = 'writes-only-changes';

async function consentedAccount(accountId: string, tenantId: string): Promise<void> {
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: {
      name: 'Writes',
      licenseCount: 5,
      globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@writes.example' },
      tenantId,
    },
  });
  expect(res.status).toBe(201);
  const store = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const stored = (await store.get(accountId))!;
  const a = stored.account;
  const saved = await store.save({ ...a, state: 'consented', tenantId, tenantBound: true, version: a.version + 1 }, stored.etag, []);
  expect(saved.ok).toBe(true);
}

let runs = 0;
const transactions = () => stack.tableTraffic!.counts().get('teamsUsers')?.transactions ?? 0;

/**
 * One discovery to its end; resolves with the instance, the write requests it sent to the teamsUsers table (the
 * table's creation included) and its transactions there.
 */
async function discover(tenantId: string): Promise<{ instance: Instance; writes: number; transactions: number }> {
  const before = stack.tableTraffic!.writes('teamsUsers');
  const transactionsBefore = transactions();
  const id = `${discoveryInstanceId(ACCOUNT)}-${++runs}`;
  stack.host.durable.startNew('discoverTenant', { accountId: ACCOUNT, tenantId }, id);
  for (;;) {
    await stack.host.durable.whenIdle();
    const instance = stack.host.durable.instances.get(id);
    if (instance && ['Completed', 'Failed', 'Terminated'].includes(instance.status)) {
      return { instance, writes: stack.tableTraffic!.writes('teamsUsers') - before, transactions: transactions() - transactionsBefore };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const allUsers = async (): Promise<any[]> =>
  (await json(await stack.call('GET', `accounts/${ACCOUNT}/teams-users?filter=all&includeGone=true&pageSize=1000`))).users;

let seed: TenantSeed;

test('a first discovery writes every user; a re-discovery of the unchanged tenant writes no teamsUsers row', async () => {
  seed = generateTenant({ users: 150, seed: 31 });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(seed);
  await consentedAccount(ACCOUNT, seed.id);

  const first = await discover(seed.id);
  expect(first.instance.output).toMatchObject({ status: 'succeeded', counts: { users: 150, gone: 0 } });
  expect(first.transactions).toBe(2); // 150 new rows: transactions of 100 and 50
  const stored = await allUsers();
  expect(stored).toHaveLength(150);

  const again = await discover(seed.id);
  expect(again.instance.output).toMatchObject({ status: 'succeeded', counts: { users: 150, gone: 0 } });
  expect(again.writes).toBe(0);
  expect(await allUsers()).toEqual(stored);
});

test('a renamed user is written once, a user who left is marked gone, and the others are left alone', async () => {
  const before = await allUsers();
  const [renamed, leaver] = seed.users.filter((u) => !u.resourceAccount);
  const changed: TenantSeed = {
    ...seed,
    users: seed.users.filter((u) => u !== leaver).map((u) => (u === renamed ? { ...u, displayName: `${u.displayName} (renamed)` } : u)),
  };
  stack.simulator.control.addTenant(changed);

  const run = await discover(seed.id);
  expect(run.instance.output).toMatchObject({ status: 'succeeded', counts: { users: 149, gone: 1 } });
  expect(run.transactions).toBe(2); // one with the renamed user, one marking the leaver gone

  const after = new Map((await allUsers()).map((u) => [u.userPrincipalName as string, u]));
  const upnOf = (alias: string) => [...after.keys()].find((upn) => upn.startsWith(`${alias}@`))!;
  expect(after.get(upnOf(renamed!.alias))).toMatchObject({ displayName: `${renamed!.displayName} (renamed)`, gone: false });
  const gone = after.get(upnOf(leaver!.alias));
  expect(gone).toMatchObject({ gone: true });
  expect(gone.goneSince).toBeTruthy();
  const untouched = before.filter((u) => ![upnOf(renamed!.alias), upnOf(leaver!.alias)].includes(u.userPrincipalName));
  expect(untouched).toHaveLength(148);
  for (const u of untouched) expect(after.get(u.userPrincipalName)).toEqual(u);

  // Nothing changed since: nothing written, the leaver still counted as gone.
  const quiet = await discover(seed.id);
  expect(quiet.instance.output).toMatchObject({ counts: { users: 149, gone: 1 } });
  expect(quiet.writes).toBe(0);

  // Back in the tenant: written once, no longer gone.
  stack.simulator.control.addTenant({ ...changed, users: [...changed.users, leaver!] });
  const back = await discover(seed.id);
  expect(back.instance.output).toMatchObject({ counts: { users: 150, gone: 0 } });
  expect(back.transactions).toBe(1);
  expect((await allUsers()).find((u) => u.userPrincipalName === upnOf(leaver!.alias))).toMatchObject({ gone: false, goneSince: null });
});
