import { ClientSecretCredential } from '@azure/identity';
import { Client, PageIterator } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { contractFile, RunningSimulator } from '../../local/simulator';
import { GraphContract } from '../../local/simulator/graph/contract';
import { APP, DEMO_TENANT_ID, GRAPH_SCOPE, startTestSimulator } from './helpers';

const MCOEV = '4828c8ec-dc2e-4779-b502-87ac9ce28ab7';
let sim: RunningSimulator;
let client: Client;
let token: string;

function graphClient(s: RunningSimulator, tenant = DEMO_TENANT_ID): Client {
  const credential = new ClientSecretCredential(tenant, APP.clientId, APP.clientSecret, {
    authorityHost: s.urls.entra,
    disableInstanceDiscovery: true,
  });
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: `${s.urls.graph}/`,
    customHosts: new Set([new URL(s.urls.graph).hostname]),
    defaultVersion: 'v1.0',
  });
}

async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${sim.urls.graph}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
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
  client = graphClient(sim);
  const cred = new ClientSecretCredential(DEMO_TENANT_ID, APP.clientId, APP.clientSecret, {
    authorityHost: sim.urls.entra,
    disableInstanceDiscovery: true,
  });
  token = (await cred.getToken(GRAPH_SCOPE)).token;
});

describe('graph-client against the simulated Graph', () => {
  test('pages through /users with @odata.nextLink and $select', async () => {
    const first = await client.api('/users').select('id,userPrincipalName,assignedPlans,department').top(7).get();
    expect(first.value).toHaveLength(7);
    expect(first['@odata.nextLink']).toContain('$skiptoken=');
    const all: Array<Record<string, unknown>> = [];
    await new PageIterator(client, first, (u) => {
      all.push(u as Record<string, unknown>);
      return true;
    }).iterate();
    expect(all).toHaveLength(sim.control.users(DEMO_TENANT_ID).length);
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    expect(Object.keys(all[0]!).sort()).toEqual(['assignedPlans', 'department', 'id', 'userPrincipalName']);
  });

  test('advanced filter on assignedPlans with ConsistencyLevel and $count returns the Teams Phone users', async () => {
    const r = await client
      .api('/users')
      .header('ConsistencyLevel', 'eventual')
      .filter(`assignedPlans/any(a:a/servicePlanId eq ${MCOEV} and a/capabilityStatus eq 'Enabled')`)
      .count(true)
      .select('id,userPrincipalName')
      .top(999)
      .get();
    const expected = sim.control.users(DEMO_TENANT_ID).filter((u) => u.eligible || u.callingPlan);
    expect(r['@odata.count']).toBe(expected.length);
    expect(r.value.map((u: { id: string }) => u.id).sort()).toEqual(expected.map((u) => u.id).sort());
  });

  test('department filter finds the resource accounts; subscribedSkus shows free licences', async () => {
    const r = await client
      .api('/users')
      .filter("department eq 'Microsoft Communication Application Instance'")
      .select('id,displayName')
      .get();
    expect(r.value).toHaveLength(3);
    const skus = await client.api('/subscribedSkus').get();
    const e3 = skus.value.find((s: { skuPartNumber: string }) => s.skuPartNumber === 'SPE_E3');
    expect(e3.prepaidUnits.enabled - e3.consumedUnits).toBeGreaterThanOrEqual(2);
    const org = await client.api('/organization').get();
    expect(org.value[0].id).toBe(DEMO_TENANT_ID);
  });

  test('an injected 429 with Retry-After is honoured by the RetryHandler', async () => {
    const rule = sim.control.injectFault({ service: 'graph', path: '/v1.0/organization', status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const org = await client.api('/organization').get();
    expect(org.value).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const log = sim.control.requestLog({ service: 'graph' }).filter((e) => e.url.startsWith('/v1.0/organization'));
    expect(log.map((e) => e.status)).toEqual([429, 200]);
    expect(log[0]!.fault).toBe(rule.id);
  });

  test('assignNumber answers 202 + Location; the operation moves notStarted -> running -> succeeded and Graph shows the number', async () => {
    sim.control.setNumberOperationPolls(4);
    const user = sim.control.user(DEMO_TENANT_ID, 'adele.vance');
    const res = await raw('POST', '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber', {
      body: { telephoneNumber: '+4930123456', assignmentTargetId: user.id, numberType: 'directRouting', assignmentCategory: 'primary' },
    });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/\/v1\.0\/admin\/teams\/telephoneNumberManagement\/operations\('[^']+'\)$/);
    const op = new URL(location);
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await raw('GET', op.pathname)).json.status);
    expect(statuses).toEqual(['notStarted', 'running', 'running', 'succeeded']);
    const cfg = await client.api(`/admin/teams/userConfigurations/${user.id}`).get();
    expect(cfg.telephoneNumbers).toEqual([{ telephoneNumber: '+4930123456', assignmentCategory: 'primary' }]);
    expect(cfg.isEnterpriseVoiceEnabled).toBe(true);
    const list = await client
      .api('/admin/teams/telephoneNumberManagement/numberAssignments')
      .filter(`assignmentTargetId eq '${user.id}'`)
      .get();
    expect(list.value[0].telephoneNumber).toBe('+4930123456');
    expect(list.value[0].assignmentTargetId).toBe(user.id);
    expect(list.value[0].assignmentStatus).toBe('userAssigned');
  });

  test('updateNumber changes the emergency location synchronously', async () => {
    const n = (sim.control.teamsState(DEMO_TENANT_ID).numbers as Array<{ telephoneNumber: string; numberType: string }>).find(
      (x) => x.numberType === 'operatorConnect',
    )!;
    const r = await raw('POST', '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/updateNumber', {
      body: { telephoneNumber: n.telephoneNumber, locationId: 'loc-1' },
    });
    expect(r.status).toBe(200);
    const after = (sim.control.teamsState(DEMO_TENANT_ID).numbers as Array<{ telephoneNumber: string; locationId: string | null }>).find(
      (x) => x.telephoneNumber === n.telephoneNumber,
    )!;
    expect(after.locationId).toBe('loc-1');
  });

  test('probabilistic faults replay identically for the same seed', async () => {
    const run = async (s: RunningSimulator): Promise<number[]> => {
      s.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
      s.control.injectFault({ service: 'graph', path: '/v1.0/organization', status: 503, probability: 0.5 });
      const cred = new ClientSecretCredential(DEMO_TENANT_ID, APP.clientId, APP.clientSecret, {
        authorityHost: s.urls.entra,
        disableInstanceDiscovery: true,
      });
      const h = { authorization: `Bearer ${(await cred.getToken(GRAPH_SCOPE)).token}` };
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(`${s.urls.graph}/v1.0/organization`, { headers: h })).status);
      return statuses;
    };
    const [a, b] = [
      await startTestSimulator({ seed: 7, tokenLifetimeSeconds: 3600 }),
      await startTestSimulator({ seed: 7, tokenLifetimeSeconds: 3600 }),
    ];
    try {
      const [x, y] = [await run(a), await run(b)];
      expect(x).toEqual(y);
      expect(x).toContain(503);
      expect(x).toContain(200);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('a number operation can be made to fail, and a Calling Plan number missing from inventory fails', async () => {
    sim.control.setNumberOperationPolls(1);
    const user = sim.control.user(DEMO_TENANT_ID, 'alex.wilber');
    sim.control.failNextNumberOperation('+4930999', 'carrier rejected the number');
    const a = await raw('POST', '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber', {
      body: { telephoneNumber: '+4930999', assignmentTargetId: user.id, numberType: 'directRouting' },
    });
    const s = await raw('GET', new URL(a.headers.get('location')!).pathname);
    expect(s.json.status).toBe('failed');
    expect(s.json.numbers[0].statusDetail).toBe('carrier rejected the number');
    const b = await raw('POST', '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber', {
      body: { telephoneNumber: '+15550000', assignmentTargetId: user.id, numberType: 'callingPlan' },
    });
    expect((await raw('GET', new URL(b.headers.get('location')!).pathname)).json.status).toBe('failed');
    expect(sim.control.teamsState(DEMO_TENANT_ID).numbers).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ telephoneNumber: '+4930999' })]),
    );
  });

  test('policy assignment through getPolicyId + assign shows up as an effective policy assignment', async () => {
    const user = sim.control.user(DEMO_TENANT_ID, 'grady.archie');
    const ids = await client.api("/admin/teams/policy/getPolicyId(type='TeamsCallingPolicy',name='AllowCalling')").get();
    expect(ids.value[0].name).toBe('Tag:AllowCalling');
    await client.api('/admin/teams/policy/userAssignments/assign').post({
      value: [
        {
          '@odata.type': '#microsoft.graph.teamsAdministration.teamsPolicyUserAssignment',
          userId: user.id,
          policyType: 'TeamsCallingPolicy',
          policyId: ids.value[0].policyId,
        },
      ],
    });
    const cfg = await client.api(`/admin/teams/userConfigurations/${user.id}`).get();
    expect(cfg.effectivePolicyAssignments).toEqual([
      {
        policyType: 'TeamsCallingPolicy',
        policyAssignment: expect.objectContaining({ displayName: 'AllowCalling', assignmentType: 'direct' }),
      },
    ]);
    await client
      .api('/admin/teams/policy/userAssignments/unassign')
      .post({ value: [{ userId: user.id, policyType: 'TeamsCallingPolicy' }] });
    expect((await client.api(`/admin/teams/userConfigurations/${user.id}`).get()).effectivePolicyAssignments).toEqual([]);
  });

  test('$batch runs each request and reports an injected 429 per item', async () => {
    sim.control.injectFault({ service: 'graph', path: '/v1.0/subscribedSkus', status: 429, retryAfterSeconds: 3, times: 1 });
    const res = await raw('POST', '/v1.0/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/organization' },
          { id: '2', method: 'GET', url: '/subscribedSkus' },
          {
            id: '3',
            method: 'GET',
            url: '/users?$select=id&$filter=' + encodeURIComponent(`assignedPlans/any(a:a/servicePlanId eq ${MCOEV})`) + '&$count=true',
            headers: { ConsistencyLevel: 'eventual' },
          },
          { id: '4', method: 'GET', url: '/subscribedSkus', dependsOn: ['2'] },
        ],
      },
    });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.json.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId['1'].status).toBe(200);
    expect(byId['2'].status).toBe(429);
    expect(byId['2'].headers['Retry-After']).toBe('3');
    expect(byId['3'].status).toBe(200);
    expect(byId['4'].status).toBe(424);
  });

  test('permissions: an app without the role gets 403, no token gets 401, /me needs a delegated token', async () => {
    sim.control.registerApp({
      clientId: 'limited-app',
      clientSecret: 's',
      redirectUris: [],
      application: { 'https://graph.microsoft.com': ['Organization.Read.All'] },
    });
    sim.control.grantAdminConsent(DEMO_TENANT_ID, 'limited-app');
    const cred = new ClientSecretCredential(DEMO_TENANT_ID, 'limited-app', 's', {
      authorityHost: sim.urls.entra,
      disableInstanceDiscovery: true,
    });
    const limited = (await cred.getToken(GRAPH_SCOPE)).token;
    const r = await fetch(`${sim.urls.graph}/v1.0/users`, { headers: { authorization: `Bearer ${limited}` } });
    expect(r.status).toBe(403);
    const body = (await r.json()) as { error: { code: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('Authorization_RequestDenied');
    expect(body.error.innerError['request-id']).toBeTruthy();
    expect(body.error.innerError.date).toBeTruthy();
    expect((await fetch(`${sim.urls.graph}/v1.0/users`)).status).toBe(401);
    expect((await raw('GET', '/v1.0/me')).status).toBe(400);
  });
});

describe('contract checks against graph-subset.json', () => {
  test('contract checks are enabled, read from the repository copy and reported by the control API', () => {
    expect(sim.contractChecks.enabled).toBe(true);
    expect(sim.contractChecks.source).toBe(contractFile());
    expect(nodePath.relative(nodePath.resolve(__dirname, '../..'), contractFile())).toBe(
      nodePath.join('local', 'simulator', 'graph', 'contract', 'graph-subset.json'),
    );
    expect(sim.control.contractChecks()).toEqual(sim.contractChecks);
  });

  test('provenance.json is the x-source of the subset it sits next to', () => {
    const subset = JSON.parse(fs.readFileSync(contractFile(), 'utf8'));
    const provenance = JSON.parse(fs.readFileSync(nodePath.join(nodePath.dirname(contractFile()), 'provenance.json'), 'utf8'));
    expect(subset['x-source']).toEqual(provenance);
    expect(provenance['v1.0'].repo).toBe('microsoftgraph/msgraph-metadata');
  });

  test('a missing or broken contract file is a hard failure, not a silent disable', () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'graph-contract-'));
    try {
      expect(() => GraphContract.load(nodePath.join(dir, 'graph-subset.json'))).toThrow(
        /Graph contract subset not found at .*graph-subset\.json/,
      );
      fs.writeFileSync(nodePath.join(dir, 'broken.json'), '{ not json');
      expect(() => GraphContract.load(nodePath.join(dir, 'broken.json'))).toThrow(/could not be read/);
      fs.writeFileSync(nodePath.join(dir, 'empty.json'), '{}');
      expect(() => GraphContract.load(nodePath.join(dir, 'empty.json'))).toThrow(/no "operations" list/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('valid requests are accepted and leave no violation', async () => {
    const user = sim.control.user(DEMO_TENANT_ID, 'lee.gu');
    expect((await raw('GET', '/v1.0/users?$select=id,assignedPlans&$top=999')).status).toBe(200);
    expect((await raw('GET', '/beta/admin/teams/userConfigurations?$top=5')).status).toBe(200);
    expect(
      (
        await raw(
          'POST',
          '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/microsoft.graph.teamsAdministration.assignNumber',
          {
            body: { telephoneNumber: '+4940111', assignmentTargetId: user.id, numberType: 'operatorConnect' },
          },
        )
      ).status,
    ).toBe(202);
    expect(
      (
        await raw('POST', '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/unassignNumber', {
          body: { telephoneNumber: '+4940111', numberType: 'directRouting' },
        })
      ).status,
    ).toBe(202);
    expect(sim.control.contractViolations()).toEqual([]);
  });

  const invalid: Array<[string, string, string, { headers?: Record<string, string>; body?: unknown }, string]> = [
    [
      'numberType "DirectRouting" (wrong case)',
      'POST',
      '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber',
      { body: { telephoneNumber: '+4940111', assignmentTargetId: 'x', numberType: 'DirectRouting' } },
      'body-schema',
    ],
    [
      'an unknown body property',
      'POST',
      '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber',
      { body: { telephoneNumber: '+4940111', assignmentTargetId: 'x', numberType: 'directRouting', phoneNumberType: 'x' } },
      'body-schema',
    ],
    [
      'a missing required body property',
      'POST',
      '/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber',
      { body: { telephoneNumber: '+4940111', numberType: 'directRouting' } },
      'body-schema',
    ],
    ['$skip on /users', 'GET', '/v1.0/users?$skip=10', {}, 'query-option'],
    [
      '21 requests in a $batch',
      'POST',
      '/v1.0/$batch',
      { body: { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/organization' })) } },
      'body-schema',
    ],
    ['an unknown path', 'GET', '/v1.0/admin/teams/telephoneNumbers', {}, 'unknown-path'],
    ['an unknown $select property', 'GET', '/v1.0/subscribedSkus?$select=skuId,colour', {}, 'query-value'],
  ];
  test.each(invalid)('rejects %s with Graph 400 and records a violation', async (_name, method, path, init, rule) => {
    const res = await raw(method, path, init);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    expect(sim.control.contractViolations().map((x) => x.rule)).toContain(rule);
  });
});

describe('service rules (not in the contract subset, checked on their own)', () => {
  const rules: Array<[string, string, Record<string, string>, string, string]> = [
    [
      'an advanced filter without ConsistencyLevel',
      `/v1.0/users?$count=true&$filter=${encodeURIComponent(`assignedPlans/any(a:a/servicePlanId eq ${MCOEV})`)}`,
      {},
      'advanced-query',
      'Request_BadRequest',
    ],
    [
      'an advanced filter with ConsistencyLevel but without $count=true',
      `/v1.0/users?$filter=${encodeURIComponent(`assignedPlans/any(a:a/servicePlanId eq ${MCOEV})`)}`,
      { ConsistencyLevel: 'eventual' },
      'advanced-query',
      'Request_UnsupportedQuery',
    ],
    ['$top above 999 on /users', '/v1.0/users?$top=1000', {}, 'page-size', 'Request_BadRequest'],
  ];
  test.each(rules)('rejects %s with Graph 400 and records a violation', async (_name, path, headers, rule, code) => {
    const res = await raw('GET', path, { headers });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(sim.control.contractViolations().map((x) => x.rule)).toContain(rule);
  });
});
