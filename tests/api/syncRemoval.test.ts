/**
 * Removing the integration, to the end, on the local runtime with the demo tenant: after a sync that set up the trunk,
 * the policies and two users, the provider removes the integration and the Global Admin runs the final sync. It
 * reverts both users, then removes what the integration created (route, policies, usage, trunk subdomain and its DNS
 * records): the tenant holds nothing of ours (compared with a snapshot taken before activation) and the account is
 * removed.
 */
import { Stack, startStack, json } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';
import { DEMO_TENANT_ID } from '../../local/simulator';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableActivityLog } from '../../shared/storage/activityStore';
import { table } from '../../shared/storage/tables';

let stack: Stack;
const ACCOUNT = 'removal-1';
const ZONE = 'trunks.voice.example';

beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.stop());

/** What the integration could leave behind: Teams objects, grants, numbers, domains, users, the provider's zone. */
function tenantState(): string {
  const control = stack.simulator.control;
  const teams = control.teamsState(DEMO_TENANT_ID) as { policies: Record<string, unknown[]>; grants: unknown; numbers: unknown };
  return JSON.stringify({
    policies: Object.entries(teams.policies).filter(([, list]) => list.length > 0),
    grants: teams.grants,
    numbers: teams.numbers,
    domains: control.domains(DEMO_TENANT_ID).map((d: { id: string; isVerified: boolean }) => [d.id, d.isVerified]),
    users: control.users(DEMO_TENANT_ID).map((u) => [u.userPrincipalName, u.accountEnabled]),
    dns: control.dnsRecords(ZONE),
  });
}

test('the final sync reverts the users and removes everything the integration created; the account is removed', async () => {
  const before = tenantState();
  const t = await syncAccount(stack, ACCOUNT, { licenses: 5 });
  await t.putDirectory([
    voiceUser('x1', '+14255556001', null, true, true, 'teams'),
    voiceUser('x2', '+14255556002', '7', false, false, 'provider'),
  ]);
  await t.map([
    { voiceUserId: 'x1', teamsUserId: t.free[0]! },
    { voiceUserId: 'x2', teamsUserId: t.free[1]! },
  ]);
  expect((await t.syncNow()).status).toBe('Succeeded');
  expect(tenantState()).not.toBe(before);

  const removal = await stack.call('DELETE', `accounts/${ACCOUNT}/integration`);
  expect(removal.status).toBeLessThan(300);
  expect((await json(await stack.call('GET', `accounts/${ACCOUNT}/status`))).state).toBe('removalPending');
  const preview = await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`));
  expect(preview.summary.operations).toMatchObject({ unassignNumber: 2, revokeVoiceRoutingPolicy: 2, revokeCallingPolicy: 2 });

  const final = await t.syncNow();
  expect(final).toMatchObject({ status: 'Succeeded', counts: { planned: 6, applied: 6, failed: 0, left: 0 } });
  expect(tenantState()).toBe(before);
  // The account is removed: its activity log is read from storage (the API answers only for live accounts).
  const log = tableActivityLog(table(stack.azurite.connectionString, 'activity'));
  const rows = (await log.list(ACCOUNT, final.runId, { page: 1, pageSize: 200 })).entries
    .filter((e) => e.teamsUserId === '')
    .map((e) => e.kind);
  expect(rows).toEqual(
    expect.arrayContaining([
      'deleteVoiceRoute',
      'deletePolicy',
      'removePstnUsage',
      'removeTrunkDomain',
      'deleteTrunkDnsTxt',
      'deleteTrunkDnsA',
    ]),
  );
  expect(rows.filter((k) => k === 'deletePolicy')).toHaveLength(7);
  // A removed account is gone for the API (404), and stored as removed.
  expect((await stack.call('GET', `accounts/${ACCOUNT}/status`)).status).toBe(404);
  expect((await tableAccountStore(table(stack.azurite.connectionString, 'accounts')).get(ACCOUNT))?.account.state).toBe('removed');
  // The tenant link is released: the tenant may join another account of the provider.
  const next = await syncAccount(stack, 'removal-2', { licenses: 2 });
  expect(next.tenantId).toBe(DEMO_TENANT_ID);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 180_000);
