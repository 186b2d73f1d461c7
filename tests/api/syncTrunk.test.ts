/**
 * The provider's derived trunk in a customer tenant, end to end on the local runtime (Microsoft's carrier model): the
 * first sync of a fresh demo tenant adds the account's subdomain of the provider's zone, writes its TXT and A records
 * in the simulated Azure DNS, verifies it, activates it with a temporary licensed user (removed again), creates the
 * voice route over the derived trunk; the users' voice routing policy grants that route's usage. A second sync writes
 * none of it again; a changed route is put back. A tenant without two spare licences is refused before any write.
 */
import { LOCAL_SBC_ADDRESS } from '../../local/simulator';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { activationUpn, trunkFqdn } from '../../shared/domain/trunkDomain';
import { delegatedTokens } from '../support/delegatedTokens';
import { Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

let stack: Stack;
const ACCOUNT = 'Trunk.Demo';
const ZONE = 'trunks.voice.example';
let t: Awaited<ReturnType<typeof syncAccount>>;

beforeAll(async () => {
  stack = await startStack();
  t = await syncAccount(stack, ACCOUNT, { licenses: 5 });
}, 120_000);
afterAll(() => stack?.stop());

type Policy = Record<string, unknown> & { Identity: string };
const route = () =>
  ((t.teams() as unknown as { policies: Record<string, Policy[]> }).policies.OnlineVoiceRoute ?? []).find((r) => r.Identity === t.prefix);
const spareE3 = async () => {
  const { graph } = await delegatedTokens(stack, t.tenantId, 'megan.bowen');
  const skus = (await (
    await fetch(`${stack.simulator.urls.graph}/v1.0/subscribedSkus`, { headers: { authorization: `Bearer ${graph}` } })
  ).json()) as {
    value: Array<{ skuPartNumber: string; consumedUnits: number; prepaidUnits: { enabled: number } }>;
  };
  const e3 = skus.value.find((s) => s.skuPartNumber === 'SPE_E3')!;
  return e3.prepaidUnits.enabled - e3.consumedUnits;
};

test('the first sync adds, verifies and activates the trunk subdomain, and routes over it', async () => {
  const fqdn = trunkFqdn(ACCOUNT, ZONE);
  expect(fqdn).toMatch(/^trunk-demo-[0-9a-z]{7}\.trunks\.voice\.example$/);
  const spareBefore = await spareE3();
  await t.putDirectory([voiceUser('r1', '+14255555001', null, true, true, 'teams')]);
  await t.map([{ voiceUserId: 'r1', teamsUserId: t.free[0]! }]);
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 3, applied: 3 } });

  const domain = stack.simulator.control.domains(t.tenantId).find((d: { id: string }) => d.id === fqdn) as {
    isVerified: boolean;
    active: boolean;
  };
  expect(domain).toMatchObject({ isVerified: true, active: true });
  const records = stack.simulator.control.dnsRecords(ZONE) as Array<{ name: string; type: string; values: string[] }>;
  const label = fqdn.slice(0, -(ZONE.length + 1));
  expect(records.find((r) => r.name === label && r.type === 'TXT')?.values[0]).toMatch(/^MS=ms\d+$/);
  expect(records.find((r) => r.name === label && r.type === 'A')?.values).toEqual([LOCAL_SBC_ADDRESS]);
  expect(route()).toMatchObject({ NumberPattern: '.*', OnlinePstnGatewayList: [fqdn], OnlinePstnUsages: [t.prefix] });
  // No gateway object in the customer tenant (carrier model), and the activation user is gone with its licence.
  expect((t.teams() as unknown as { policies: Record<string, Policy[]> }).policies.OnlinePSTNGateway ?? []).toEqual([]);
  expect(stack.simulator.control.users(t.tenantId).some((u) => u.userPrincipalName === activationUpn(fqdn))).toBe(false);
  expect(await spareE3()).toBe(spareBefore);
  expect(t.policiesOf(t.free[0]!).OnlineVoiceRoutingPolicy).toBe(`Tag:${t.prefix}`);

  const rows = (await t.activity(run.runId)).filter((e) => e.kind !== 'createPolicy' && e.teamsUserId === '').map((e) => e.kind);
  expect(rows).toEqual(
    expect.arrayContaining([
      'addTrunkDomain',
      'putTrunkDnsA',
      'putTrunkDnsTxt',
      'verifyTrunkDomain',
      'createActivationUser',
      'createVoiceRoute',
    ]),
  );
  expect(stack.simulator.control.contractViolations()).toEqual([]);

  // The second sync finds it all in place.
  const again = await t.syncNow();
  expect(again.status).toBe('Succeeded');
  expect((await t.activity(again.runId)).filter((e) => e.teamsUserId === '')).toEqual([]);
}, 180_000);

test('a route changed in the Teams admin center is put back', async () => {
  const { teams } = await delegatedTokens(stack, t.tenantId, 'megan.bowen');
  const changed = await fetch(`${stack.simulator.urls.teams}/Skype.Policy/configurations/OnlineVoiceRoute/configuration/${t.prefix}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${teams}`, 'content-type': 'application/json' },
    body: JSON.stringify({ NumberPattern: '^\\+1' }),
  });
  expect(changed.status).toBe(200);
  const run = await t.syncNow();
  expect(run.status).toBe('Succeeded');
  expect(route()).toMatchObject({ NumberPattern: '.*' });
  const repair = (await t.activity(run.runId)).find((e) => e.kind === 'repairVoiceRoute') as unknown as { before: string; after: string };
  expect(JSON.parse(repair.before)).toEqual({ NumberPattern: '^\\+1' });
  expect(JSON.parse(repair.after)).toEqual({ NumberPattern: '.*' });
}, 120_000);

test('a tenant with fewer than two spare licences is refused with NO_SPARE_LICENCES before any write', async () => {
  const seed = generateTenant({ users: 8, seed: 4242, spareLicences: 1 });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(seed);
  const short = await syncAccount(stack, 'trunk-short', { licenses: 3, tenant: { tenantId: seed.id, user: 'ga1' } });
  // What a write would change: the Teams objects and grants, numbers, the tenant's domains and users, the zone.
  const state = () => {
    const teams = short.teams() as unknown as { policies: Record<string, unknown[]>; grants: unknown; numbers: unknown };
    return JSON.stringify({
      policies: Object.entries(teams.policies).filter(([, list]) => list.length > 0),
      grants: teams.grants,
      numbers: teams.numbers,
      domains: stack.simulator.control.domains(seed.id).map((d: { id: string; isVerified: boolean }) => [d.id, d.isVerified]),
      users: stack.simulator.control.users(seed.id).map((u) => u.userPrincipalName),
      dns: stack.simulator.control.dnsRecords(ZONE),
    });
  };
  const before = state();
  const run = await short.syncNow();
  expect(run).toMatchObject({ status: 'Failed', error: { code: 'NO_SPARE_LICENCES' } });
  expect(state()).toBe(before);
  // The integration page tells the Global Admin what to do.
  const link = await stack.call('POST', 'accounts/trunk-short/sync', {
    actor: { id: 'ga-trunk-short', role: 'admin', account: 'trunk-short' },
  });
  const page = await (await fetch(((await link.json()) as { url: string }).url)).text();
  expect(page).toContain('unassigned Microsoft 365 licence(s) with Teams');
  expect(page).toContain('Free or buy licences, then sync again.');
  expect(page).toContain('NO_SPARE_LICENCES');
}, 120_000);
