/**
 * The control helpers that set up a tenant for sync tests: Calling Plan, deleted user, policies, a number put on a user.
 * Each effect is read back the way the app sees it: app-only Graph (users, userConfigurations, numbers, getPolicyId).
 */
import { ClientSecretCredential } from '@azure/identity';
import { RunningSimulator } from '../../local/simulator';
import { APP, DEMO_TENANT_ID, GRAPH_SCOPE, startTestSimulator } from './helpers';

let sim: RunningSimulator;
let token: string;

async function graph(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.urls.graph}/v1.0${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function control(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.urls.control}${p}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

type Numbers = Array<{ telephoneNumber: string; numberType: string; assignmentTargetId: string | null; assignmentStatus: string }>;
async function numbers(): Promise<Numbers> {
  return (await graph('/admin/teams/telephoneNumberManagement/numberAssignments')).json.value as Numbers;
}

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  sim.control.reset();
  sim.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
  const cred = new ClientSecretCredential(DEMO_TENANT_ID, APP.clientId, APP.clientSecret, {
    authorityHost: sim.urls.entra,
    disableInstanceDiscovery: true,
  });
  token = (await cred.getToken(GRAPH_SCOPE)).token;
});

describe('giveCallingPlan', () => {
  test('the user gets an enabled Calling Plan: featureTypes CallingPlan in Graph, no longer eligible', async () => {
    const lee = sim.control.user(DEMO_TENANT_ID, 'lee.gu');
    expect(lee.eligible).toBe(true);
    expect((await graph(`/admin/teams/userConfigurations/${lee.id}`)).json.featureTypes).not.toContain('CallingPlan');

    const r = await control('POST', `/control/tenants/${DEMO_TENANT_ID}/users/${encodeURIComponent(lee.userPrincipalName)}/calling-plan`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: lee.id, callingPlan: true, eligible: false });
    expect((await graph(`/admin/teams/userConfigurations/${lee.id}`)).json.featureTypes).toEqual(
      expect.arrayContaining(['PhoneSystem', 'CallingPlan']),
    );
    const plans = (await graph(`/users/${lee.id}?$select=assignedPlans`)).json.assignedPlans as Array<Record<string, string>>;
    expect(plans).toContainEqual(
      expect.objectContaining({ servicePlanId: '4ed3ff63-69d7-4fb7-b984-5aec7f605ca8', capabilityStatus: 'Enabled' }),
    );

    // twice is the same as once (in-process form, by alias)
    sim.control.giveCallingPlan(DEMO_TENANT_ID, 'lee.gu');
    const again = (await graph(`/users/${lee.id}?$select=assignedPlans`)).json.assignedPlans as unknown[];
    expect(again).toHaveLength(plans.length);
  });
});

describe('deleteUser', () => {
  test('the user is gone from Graph; Direct Routing numbers disappear, Calling Plan numbers stay unassigned; grants go', async () => {
    const lee = sim.control.user(DEMO_TENANT_ID, 'lee.gu');
    const allan = sim.control.user(DEMO_TENANT_ID, 'allan.deyoung');
    sim.control.assignNumberTo(DEMO_TENANT_ID, lee.id, '+14255559000', 'directRouting');
    sim.control.addPolicies(DEMO_TENANT_ID, 'OnlineVoiceRoutingPolicy', ['Acme']);
    const policyId = (await graph(`/admin/teams/policy/getPolicyId(type='OnlineVoiceRoutingPolicy',name='Acme')`)).json.value[0].policyId;
    expect(
      (
        await graph('/admin/teams/policy/userAssignments/assign', {
          method: 'POST',
          body: { value: [{ userId: lee.id, policyType: 'OnlineVoiceRoutingPolicy', policyId }] },
        })
      ).status,
    ).toBe(204);

    expect((await control('DELETE', `/control/tenants/${DEMO_TENANT_ID}/users/lee.gu`)).status).toBe(204);
    expect((await control('DELETE', `/control/tenants/${DEMO_TENANT_ID}/users/${allan.id}`)).status).toBe(204);

    for (const id of [lee.id, allan.id]) {
      expect((await graph(`/users/${id}`)).status).toBe(404);
      expect((await graph(`/admin/teams/userConfigurations/${id}`)).status).toBe(404);
    }
    const ids = ((await graph('/users?$select=id&$top=999')).json.value as Array<{ id: string }>).map((u) => u.id);
    expect(ids).not.toContain(lee.id);
    const after = await numbers();
    expect(after.find((n) => n.telephoneNumber === '+14255559000')).toBeUndefined();
    expect(after.find((n) => n.telephoneNumber === '+14255550100')).toMatchObject({
      numberType: 'callingPlan',
      assignmentTargetId: null,
      assignmentStatus: 'unassigned',
    });
    const state = sim.control.teamsState(DEMO_TENANT_ID) as { grants: Array<{ userId: string }> };
    expect(state.grants.map((g) => g.userId)).not.toContain(lee.id);
    expect(sim.control.tenants().find((t) => t.id === DEMO_TENANT_ID)!.userCount).toBe(sim.control.users(DEMO_TENANT_ID).length);
  });

  test('an unknown tenant or user answers 404 JSON', async () => {
    expect(await control('DELETE', `/control/tenants/${DEMO_TENANT_ID}/users/nobody`)).toEqual({
      status: 404,
      json: { error: `unknown user nobody in tenant ${DEMO_TENANT_ID}` },
    });
    expect((await control('POST', '/control/tenants/no-such-tenant/users/lee.gu/calling-plan')).status).toBe(404);
  });
});

describe('addPolicies', () => {
  test('creates the named policies once, as the ConfigAPI create would, and keeps existing ones', async () => {
    const r = await control('POST', `/control/tenants/${DEMO_TENANT_ID}/policies`, {
      policyType: 'TeamsCallingPolicy',
      names: ['Acme-VM-MOHTEAMS', 'AllowCalling'],
    });
    expect(r).toEqual({ status: 200, json: { created: ['Tag:Acme-VM-MOHTEAMS'] } });
    const state = sim.control.teamsState(DEMO_TENANT_ID) as { policies: Record<string, Array<Record<string, unknown>>> };
    expect(state.policies.TeamsCallingPolicy).toContainEqual({ Identity: 'Tag:Acme-VM-MOHTEAMS' });
    // the seeded AllowCalling keeps its fields
    expect(state.policies.TeamsCallingPolicy).toContainEqual(
      expect.objectContaining({ Identity: 'Tag:AllowCalling', AllowPrivateCalling: true }),
    );
    expect((await graph(`/admin/teams/policy/getPolicyId(type='TeamsCallingPolicy',name='Acme-VM-MOHTEAMS')`)).status).toBe(200);

    expect(sim.control.addPolicies(DEMO_TENANT_ID, 'TeamsCallingPolicy', ['Acme-VM-MOHTEAMS'])).toEqual([]);
    expect(sim.control.addPolicies(DEMO_TENANT_ID, 'onlinevoiceroutingpolicy', ['Acme'])).toEqual(['Tag:Acme']);
    expect((await graph(`/admin/teams/policy/getPolicyId(type='OnlineVoiceRoutingPolicy',name='Acme')`)).status).toBe(200);
  });

  test('bad input answers 400 JSON', async () => {
    expect((await control('POST', `/control/tenants/${DEMO_TENANT_ID}/policies`, { policyType: 'TeamsCallingPolicy' })).status).toBe(400);
    const r = await control('POST', `/control/tenants/${DEMO_TENANT_ID}/policies`, { policyType: 'NoSuchPolicy', names: ['X'] });
    expect(r).toEqual({ status: 400, json: { error: 'policy type NoSuchPolicy cannot be created' } });
    expect(
      (await control('POST', '/control/tenants/no-such-tenant/policies', { policyType: 'TeamsCallingPolicy', names: ['X'] })).status,
    ).toBe(404);
  });
});

describe('assignNumberTo', () => {
  test('puts the number on the user (primary, enterprise voice on), replacing their old primary number', async () => {
    const lee = sim.control.user(DEMO_TENANT_ID, 'lee.gu');
    const r = await control('POST', `/control/tenants/${DEMO_TENANT_ID}/numbers`, {
      who: 'lee.gu',
      telephoneNumber: '+12065551000',
      numberType: 'operatorConnect',
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ telephoneNumber: '+12065551000', assignmentTargetId: lee.id, assignmentStatus: 'userAssigned' });
    const cfg = (await graph(`/admin/teams/userConfigurations/${lee.id}`)).json;
    expect(cfg.isEnterpriseVoiceEnabled).toBe(true);
    expect(cfg.telephoneNumbers).toEqual([{ telephoneNumber: '+12065551000', assignmentCategory: 'primary' }]);

    // a Direct Routing number outside the inventory is created; the Operator Connect one goes back to the pool
    sim.control.assignNumberTo(DEMO_TENANT_ID, lee.userPrincipalName, '14255559001', 'directRouting');
    const after = await numbers();
    expect(after.find((n) => n.telephoneNumber === '+14255559001')).toMatchObject({
      numberType: 'directRouting',
      assignmentTargetId: lee.id,
    });
    expect(after.find((n) => n.telephoneNumber === '+12065551000')).toMatchObject({
      assignmentTargetId: null,
      assignmentStatus: 'unassigned',
    });
  });

  test('a number held by someone else, of another type, or a bad body is refused with 400', async () => {
    const base = `/control/tenants/${DEMO_TENANT_ID}/numbers`;
    const held = await control('POST', base, { who: 'lee.gu', telephoneNumber: '+14255550100', numberType: 'callingPlan' });
    expect(held.status).toBe(400);
    expect(held.json.error).toContain('already assigned');
    expect((await control('POST', base, { who: 'lee.gu', telephoneNumber: '+12065551001', numberType: 'callingPlan' })).status).toBe(400);
    expect((await control('POST', base, { who: 'lee.gu', telephoneNumber: '+12065551001', numberType: 'mobile' })).status).toBe(400);
    expect((await control('POST', base, { who: 'lee.gu', telephoneNumber: 'abc', numberType: 'directRouting' })).status).toBe(400);
    expect((await control('POST', base, { telephoneNumber: '+12065551001', numberType: 'directRouting' })).status).toBe(400);
    expect((await control('POST', base, { who: 'nobody', telephoneNumber: '+12065551001', numberType: 'operatorConnect' })).status).toBe(
      404,
    );
  });
});
