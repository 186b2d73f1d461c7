/**
 * Tenant discovery end to end: the discoverTenant orchestration in the local Durable emulator, app-only Graph against
 * the Microsoft simulator, Azurite tables, and the results through real HTTP (teams-users, account, status).
 * Expected users come from the simulator's own view of its tenants, not from our classification.
 */
import { EventType } from '../../local/durable/history';
import { Instance } from '../../local/durable/emulator';
import { DEMO_TENANT_ID } from '../../local/simulator';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { loadSeedFile, TenantSeed } from '../../local/simulator/tenants/model';
import { OrchestrationClient } from '../../shared/discovery/ports';
import { discoveryInstanceId, startDiscovery } from '../../shared/discovery/startDiscovery';
import { durableOrchestrationClient } from '../../shared/durable/orchestrationClient';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

const ga = { portalUserId: 'u-ga-1', displayName: 'Megan Bowen', email: 'megan@contoso.example' };
const adminOf = (account: string) => ({ id: 'portal-admin', role: 'admin' as const, account });

/** The orchestration client the app uses: a real DurableClient on the binding data the host gives its functions. */
function httpStarter(): OrchestrationClient {
  const { DurableClient } = require('durable-functions/lib/src/durableClient/DurableClient');
  return durableOrchestrationClient(new DurableClient(stack.host.durableClientData));
}

/** Start deps with no stalled discovery to replace. */
const startingWith = (orchestrations: OrchestrationClient) => ({
  orchestrations,
  discoveries: { get: async () => undefined },
  now: () => new Date(),
  stallMs: 15 * 60_000,
});

/** Creates the account through the API, then records consent and the bound tenant as activation would. */
async function consentedAccount(accountId: string, tenantId: string): Promise<void> {
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: `Account ${accountId}`, licenseCount: 10, globalAdmin: ga, tenantId },
  });
  expect(res.status).toBe(201);
  const store = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const stored = (await store.get(accountId))!;
  const a = stored.account;
  const saved = await store.save(
    { ...a, state: 'consented', tenantId, tenantBound: true, actionNeeded: 'none', version: a.version + 1 },
    stored.etag,
    [],
  );
  expect(saved.ok).toBe(true);
}

/** Waits until the account's discovery instance has finished (retry timers run on the real clock). */
async function finished(accountId: string, timeoutMs = 45_000): Promise<Instance> {
  const id = discoveryInstanceId(accountId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await stack.host.durable.whenIdle();
    const instance = stack.host.durable.instances.get(id);
    if (instance && ['Completed', 'Failed', 'Terminated'].includes(instance.status)) return instance;
    if (Date.now() > deadline) throw new Error(`discovery of ${accountId} still ${instance?.status ?? 'absent'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function discover(accountId: string, tenantId: string): Promise<Instance> {
  const started = await startDiscovery(startingWith(httpStarter()), { accountId, tenantId });
  expect(started).toEqual({ alreadyRunning: false });
  return finished(accountId);
}

const teamsUsers = async (accountId: string, query = '', actor: any = undefined) =>
  stack.call('GET', `accounts/${accountId}/teams-users${query ? `?${query}` : ''}`, actor === undefined ? {} : { actor });

/** Every page of a filter, in order. */
async function allTeamsUsers(accountId: string, query: string): Promise<any[]> {
  const users: any[] = [];
  for (let page = 1; ; page++) {
    const body = await json(await teamsUsers(accountId, `${query}&pageSize=1000&page=${page}`));
    users.push(...body.users);
    if (page >= body.totalPages) return users;
  }
}

const graphLogSince = (seq: number) => stack.simulator.control.requestLog({ service: 'graph' }).filter((e) => e.seq > seq);
const lastSeq = () => stack.simulator.control.requestLog().at(-1)?.seq ?? 0;

function expectNoContractViolations(): void {
  const checks = stack.simulator.control.contractChecks();
  if (!checks.enabled) console.log(`Graph contract checks are off: ${checks.reason}`);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}

/** A generated tenant of `users` users, already consented to our app unless told otherwise. */
function tenant(seed: number, users: number, consented = true): TenantSeed {
  const t = generateTenant({ users, seed });
  if (consented) t.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(t);
  return t;
}

describe('the demo tenant', () => {
  const accountId = 'contoso';
  let instance: Instance;
  let graphCalls: ReturnType<typeof graphLogSince>;

  beforeAll(async () => {
    stack.simulator.control.grantAdminConsent(DEMO_TENANT_ID, LOCAL_CLIENT_ID);
    await consentedAccount(accountId, DEMO_TENANT_ID);
    const before = lastSeq();
    instance = await discover(accountId, DEMO_TENANT_ID);
    graphCalls = graphLogSince(before);
  });

  test('discovery completes and the account becomes active', async () => {
    expect(instance.status).toBe('Completed');
    expect(instance.output).toMatchObject({ status: 'succeeded', error: null });
    const account = await json(await stack.call('GET', `accounts/${accountId}`));
    expect(account.state).toBe('active');
    expect(account.discovery).toMatchObject({ status: 'succeeded', error: null });
    // The orchestrator's custom status tells progress; the history holds no user data.
    expect(instance.customStatus).toMatchObject({ stage: 'succeeded', pagesRead: 1 });
    expect(JSON.stringify(instance.history)).not.toContain('megan.bowen');
  });

  test('filter=eligible lists exactly the eligible users of the tenant', async () => {
    const expected = stack.simulator.control
      .users(DEMO_TENANT_ID)
      .filter((u) => u.eligible && u.accountEnabled)
      .map((u) => u.id)
      .sort();
    expect(expected.length).toBeGreaterThan(10);
    const listed = await allTeamsUsers(accountId, 'filter=eligible');
    expect(listed.map((u) => u.id).sort()).toEqual(expected);
    expect(listed.every((u) => u.eligible && !u.callingPlan && !u.resourceAccount && u.accountEnabled && !u.gone)).toBe(true);
    // Sorted by display name for the mapping drop-down.
    const names = listed.map((u) => u.displayName.toLowerCase());
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  test('filter=resourceAccounts lists the 3 resource accounts, kind unknown', async () => {
    const expected = stack.simulator.control
      .users(DEMO_TENANT_ID)
      .filter((u) => u.resourceAccount !== null)
      .map((u) => u.id)
      .sort();
    expect(expected).toHaveLength(3);
    const body = await json(await teamsUsers(accountId, 'filter=resourceAccounts'));
    expect(body.users.map((u: any) => u.id).sort()).toEqual(expected);
    expect(
      body.users.every((u: any) => u.resourceAccountKind === 'unknown' && !u.eligible && u.ineligibleReason === 'resourceAccount'),
    ).toBe(true);
  });

  test('counts, licences and progress are right, in teams-users and in /status', async () => {
    const simUsers = stack.simulator.control.users(DEMO_TENANT_ID);
    const counts = {
      users: simUsers.length,
      eligible: simUsers.filter((u) => u.eligible && u.accountEnabled).length,
      callingPlan: simUsers.filter((u) => u.callingPlan && !u.resourceAccount).length,
      resourceAccounts: simUsers.filter((u) => u.resourceAccount).length,
      gone: 0,
    };
    const all = await json(await teamsUsers(accountId));
    expect(all).toMatchObject({ filter: 'all', includeGone: false, page: 1, pageSize: 100, total: simUsers.length, counts });
    expect(all.discovery).toMatchObject({ status: 'succeeded' });

    const status = await json(await stack.call('GET', `accounts/${accountId}/status`, { actor: adminOf(accountId) }));
    expect(status.state).toBe('active');
    expect(status.discovery).toMatchObject({
      status: 'succeeded',
      progress: { pagesRead: 1, usersSeen: simUsers.length },
      counts,
      error: null,
    });
    expect(status.discovery.finishedAt >= status.discovery.startedAt).toBe(true);
    const seed = loadSeedFile('demo');
    const mcoev = status.discovery.licences.find((l: any) => l.skuPartNumber === 'MCOEV');
    const consumed = seed.users.filter((u) => u.licenses.includes('MCOEV')).length;
    expect(mcoev).toEqual({
      skuId: 'e43b5b99-8dfb-405f-9987-dc307f34bcbd',
      skuPartNumber: 'MCOEV',
      enabled: 25,
      consumed,
      available: 25 - consumed,
    });
    expect(status.discovery.licences).toHaveLength(seed.skus.length);
  });

  test('Graph was called the minimum number of times, within the contract', () => {
    const paths = graphCalls.map((e) => `${e.method} ${e.url.split('?')[0]}`);
    expect([...paths].sort()).toEqual(['GET /v1.0/organization', 'GET /v1.0/subscribedSkus', 'GET /v1.0/users']);
    const organization = graphCalls.find((e) => e.url.startsWith('/v1.0/organization'))!;
    expect(new URL(`https://x${organization.url}`).searchParams.get('$select')).toBe('displayName,verifiedDomains');
    const users = new URL(`https://x${graphCalls.find((e) => e.url.startsWith('/v1.0/users'))!.url}`).searchParams;
    expect(users.get('$top')).toBe('999');
    expect(users.get('$select')?.split(',').sort()).toEqual(
      ['accountEnabled', 'assignedPlans', 'department', 'displayName', 'id', 'mail', 'userPrincipalName'].sort(),
    );
    expectNoContractViolations();
  });

  test('paging: pages are stable slices of the sorted list', async () => {
    const all = await allTeamsUsers(accountId, 'filter=all');
    const second = await json(await teamsUsers(accountId, 'page=2&pageSize=5'));
    expect(second.users.map((u: any) => u.id)).toEqual(all.slice(5, 10).map((u) => u.id));
    expect(second.totalPages).toBe(Math.ceil(all.length / 5));
    const beyond = await json(await teamsUsers(accountId, 'page=99&pageSize=5'));
    expect(beyond.users).toEqual([]);
  });

  test('a re-run on an active account keeps it active, and the fixed instance id starts again', async () => {
    const first = instance.output as { discoveryId: string };
    const again = await discover(accountId, DEMO_TENANT_ID);
    expect(again.status).toBe('Completed');
    expect((again.output as { discoveryId: string }).discoveryId).not.toBe(first.discoveryId);
    const status = await json(await stack.call('GET', `accounts/${accountId}/status`));
    expect(status.state).toBe('active');
    expect(status.discovery.discoveryId).toBe((again.output as { discoveryId: string }).discoveryId);
    expect(status.discovery.counts.gone).toBe(0);
  });

  test('the teams-users endpoint is in the OpenAPI document', async () => {
    const doc = await json(await fetch(`${stack.url}/api/openapi.json`));
    const op = doc.paths['/accounts/{accountId}/teams-users'].get;
    expect(op.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name)).toEqual([
      'filter',
      'includeGone',
      'page',
      'pageSize',
    ]);
    expect(doc.components.schemas.AccountStatus.properties.discovery).toBeDefined();
  });
});

describe('teams-users requests', () => {
  test.each([
    ['filter=everyone', 'filter'],
    ['includeGone=yes', 'includeGone'],
    ['page=0', 'page'],
    ['pageSize=1001', 'pageSize'],
    ['pageSize=ten', 'pageSize'],
    ['colour=blue', 'colour'],
  ])('a bad query (%s) is a 400 problem naming the field', async (query, field) => {
    const res = await teamsUsers('contoso', query);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await json(res);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors.map((e: any) => e.field)).toContain(field);
  });

  test('only the provider and admins of the account may read them', async () => {
    expect((await teamsUsers('contoso', '', adminOf('contoso'))).status).toBe(200);
    expect((await teamsUsers('contoso', '', { id: 'u', role: 'user', account: 'contoso' })).status).toBe(403);
    const foreign = await teamsUsers('contoso', '', adminOf('someone-else'));
    expect(foreign.status).toBe(403);
    expect((await json(foreign)).code).toBe('FORBIDDEN_ACCOUNT');
    expect((await teamsUsers('contoso', '', null)).status).toBe(400);
  });

  test('an unknown account is a 404', async () => {
    const res = await teamsUsers('nobody-here');
    expect(res.status).toBe(404);
    expect((await json(res)).code).toBe('ACCOUNT_NOT_FOUND');
  });
});

describe('discovery over time and faults', () => {
  test('a user removed from the tenant between two runs is marked gone, not deleted', async () => {
    const seed = tenant(501, 30);
    await consentedAccount('fabrikam', seed.id);
    expect((await discover('fabrikam', seed.id)).status).toBe('Completed');
    const leaver = stack.simulator.control.users(seed.id).find((u) => u.eligible && u.accountEnabled)!;

    // The same tenant without the leaver (re-adding a seed replaces the tenant).
    stack.simulator.control.addTenant({ ...seed, users: seed.users.filter((u) => !leaver.userPrincipalName.startsWith(`${u.alias}@`)) });
    const second = await discover('fabrikam', seed.id);
    expect(second.output).toMatchObject({ status: 'succeeded', counts: { gone: 1, users: seed.users.length - 1 } });

    const listed = await json(await teamsUsers('fabrikam', 'filter=eligible'));
    expect(listed.users.map((u: any) => u.id)).not.toContain(leaver.id);
    expect(listed.counts.gone).toBe(1);
    const withGone = await json(await teamsUsers('fabrikam', 'filter=all&includeGone=true&pageSize=1000'));
    const gone = withGone.users.find((u: any) => u.id === leaver.id);
    expect(gone).toMatchObject({ gone: true, userPrincipalName: leaver.userPrincipalName });
    expect(gone.goneSince).toBeTruthy();
    const status = await json(await stack.call('GET', 'accounts/fabrikam/status'));
    expect(status).toMatchObject({ state: 'active', discovery: { status: 'succeeded', counts: { gone: 1 } } });

    // Back in the tenant: seen again, no longer gone.
    stack.simulator.control.addTenant(seed);
    expect((await discover('fabrikam', seed.id)).output).toMatchObject({ counts: { gone: 0 } });
    const back = await json(await teamsUsers('fabrikam', 'filter=eligible&pageSize=1000'));
    expect(back.users.find((u: any) => u.id === leaver.id)).toMatchObject({ gone: false, goneSince: null });
  });

  test("an orchestration started for another tenant than the account's fails with TENANT_MISMATCH and writes nothing", async () => {
    const own = tenant(510, 8);
    const other = tenant(511, 12); // consented too: only the tenant check stands between its users and the account
    await consentedAccount('bound-elsewhere', own.id);
    expect((await discover('bound-elsewhere', own.id)).status).toBe('Completed');
    const before = await allTeamsUsers('bound-elsewhere', 'filter=all');
    const statusBefore = await json(await stack.call('GET', 'accounts/bound-elsewhere/status'));

    for (const tenantId of [other.id, other.id.toUpperCase(), undefined]) {
      const id = `wrong-tenant-${tenantId ?? 'none'}`;
      stack.host.durable.startNew('discoverTenant', { accountId: 'bound-elsewhere', tenantId }, id);
      await stack.host.durable.whenIdle();
      const run = stack.host.durable.instances.get(id)!;
      expect(run.status).toBe('Completed');
      expect(run.output).toMatchObject({ status: 'failed', error: { code: 'TENANT_MISMATCH' } });
    }
    const after = await allTeamsUsers('bound-elsewhere', 'filter=all');
    expect(after).toEqual(before);
    const otherIds = new Set(stack.simulator.control.users(other.id).map((u) => u.id));
    expect(after.some((u) => otherIds.has(u.id))).toBe(false);
    // The account's own discovery record is untouched as well.
    expect((await json(await stack.call('GET', 'accounts/bound-elsewhere/status'))).discovery).toEqual(statusBefore.discovery);

    // An account not bound to any tenant yet is refused the same way, even for the tenant the provider named.
    const res = await stack.call('PUT', 'accounts/not-bound-yet', {
      body: { name: 'Not bound yet', licenseCount: 5, globalAdmin: ga, tenantId: other.id },
    });
    expect(res.status).toBe(201);
    stack.host.durable.startNew('discoverTenant', { accountId: 'not-bound-yet', tenantId: other.id }, 'not-bound-yet-run');
    await stack.host.durable.whenIdle();
    expect(stack.host.durable.instances.get('not-bound-yet-run')!.output).toMatchObject({ error: { code: 'TENANT_MISMATCH' } });
    expect((await json(await teamsUsers('not-bound-yet', 'filter=all'))).users).toEqual([]);
  });

  test('a 429 with Retry-After is waited out and discovery completes', async () => {
    const seed = tenant(502, 20);
    await consentedAccount('throttled', seed.id);
    const before = lastSeq();
    stack.simulator.control.injectFault({ service: 'graph', path: '/users', status: 429, retryAfterSeconds: 1, times: 1 });
    const instance = await discover('throttled', seed.id);
    expect(instance.output).toMatchObject({ status: 'succeeded', counts: { users: 20 } });
    const users = graphLogSince(before).filter((e) => e.url.startsWith('/v1.0/users'));
    expect(users.map((e) => e.status)).toEqual([429, 200]);
    expect(new Date(users[1].time).getTime() - new Date(users[0].time).getTime()).toBeGreaterThanOrEqual(900);
    expectNoContractViolations();
  });

  test('throttling that outlasts the Graph client retries is retried by the activity', async () => {
    const seed = tenant(503, 20);
    await consentedAccount('throttled-long', seed.id);
    const before = lastSeq();
    // The client tries 4 times (3 retries); the fifth request, from the activity's retry, gets through.
    stack.simulator.control.injectFault({ service: 'graph', path: '/users', status: 429, retryAfterSeconds: 1, times: 4 });
    const instance = await discover('throttled-long', seed.id);
    expect(instance.output).toMatchObject({ status: 'succeeded' });
    expect(
      graphLogSince(before)
        .filter((e) => e.url.startsWith('/v1.0/users'))
        .map((e) => e.status),
    ).toEqual([429, 429, 429, 429, 200]);
    const failed = instance.history.filter((e) => e.EventType === EventType.TaskFailed);
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(failed[0])).toContain('DISCOVERY_THROTTLED');
  });

  test('a tenant that never consented fails with DISCOVERY_NOT_CONSENTED, shown in /status', async () => {
    const seed = tenant(504, 10, false);
    await consentedAccount('unconsented', seed.id);
    const instance = await discover('unconsented', seed.id);
    expect(instance.status).toBe('Completed');
    expect(instance.output).toMatchObject({ status: 'failed', error: { code: 'DISCOVERY_NOT_CONSENTED' } });
    const status = await json(await stack.call('GET', 'accounts/unconsented/status'));
    expect(status.state).toBe('consented');
    expect(status.actionNeeded).toBe('activate'); // the Global Admin has to authorize again
    expect(status.discovery).toMatchObject({ status: 'failed', counts: null, error: { code: 'DISCOVERY_NOT_CONSENTED' } });
    expect(status.discovery.error.message).toMatch(/admin consent/);
    expect(status.discovery.error.message).not.toMatch(/eyJ|secret/i);
    expect(status.discovery.finishedAt).toBeTruthy();
    const listed = await json(await teamsUsers('unconsented'));
    expect(listed).toMatchObject({ total: 0, discovery: { status: 'failed' } });
  });

  test('a permission Graph refuses fails with DISCOVERY_FORBIDDEN', async () => {
    const seed = tenant(505, 10);
    await consentedAccount('forbidden', seed.id);
    stack.simulator.control.injectFault({ service: 'graph', path: '/subscribedSkus', status: 403, times: 1 });
    const instance = await discover('forbidden', seed.id);
    expect(instance.output).toMatchObject({ status: 'failed', error: { code: 'DISCOVERY_FORBIDDEN' } });
    const status = await json(await stack.call('GET', 'accounts/forbidden/status'));
    expect(status.discovery).toMatchObject({ status: 'failed', error: { code: 'DISCOVERY_FORBIDDEN' } });
  });

  test('a second start while discovery runs is a no-op; /status shows it running', async () => {
    const seed = tenant(506, 10);
    await consentedAccount('busy', seed.id);
    stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: 1500, times: 1 });
    const starter = httpStarter();
    expect(await startDiscovery(startingWith(starter), { accountId: 'busy', tenantId: seed.id })).toEqual({ alreadyRunning: false });
    expect(await startDiscovery(startingWith(starter), { accountId: 'busy', tenantId: seed.id })).toEqual({ alreadyRunning: true });
    let status: any;
    for (let i = 0; i < 50 && !status?.discovery; i++) {
      status = await json(await stack.call('GET', 'accounts/busy/status'));
      if (!status.discovery) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status.discovery).toMatchObject({ status: 'running', finishedAt: null, counts: null, progress: { pagesRead: 0 } });
    const instance = await finished('busy');
    expect(instance.output).toMatchObject({ status: 'succeeded' });
    expect(instance.history.filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
  });

  test('the orchestrator is deterministic: replaying a finished run yields the recorded actions', async () => {
    const { actions, recorded } = await stack.host.durable.replay(discoveryInstanceId('fabrikam'));
    expect(actions).toEqual(recorded);
  });
});
