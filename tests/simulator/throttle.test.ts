/**
 * The simulator's throttle model: a token bucket per tenant, app and API family answers 429 with Retry-After once
 * empty and refills at its rate (a fake clock); over HTTPS, a throttled request is a 429 with Retry-After and
 * x-ms-throttle-scope, a throttled request inside a $batch is an inner 429 while the $batch is 200, another tenant has
 * a bucket of its own, and the simulator counts what it let through and what it throttled.
 */
import { ClientSecretCredential } from '@azure/identity';
import { OTHER_TENANT_ID, RunningSimulator } from '../../local/simulator';
import { costOf, familyOf, Throttle } from '../../local/simulator/throttle';
import { APP, DEMO_TENANT_ID, GRAPH_SCOPE, startTestSimulator } from './helpers';

const tokenFor = (claims: Record<string, unknown>): string => `Bearer x.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const request = (path: string, tid = 'tenant-a', method = 'POST') => ({
  method,
  path,
  query: new URLSearchParams(),
  headers: { authorization: tokenFor({ tid, appid: 'app-1' }) },
});

describe('the token bucket', () => {
  test('empty: 429 with the seconds until the cost is back; refilled at its rate, never above capacity', () => {
    let now = 0;
    const throttle = new Throttle(() => now);
    throttle.configure({ enabled: true, limits: { graphTeams: { capacity: 3, perSecond: 0.5 } } });
    const assign = request('/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber');
    for (let i = 0; i < 3; i++) expect(throttle.admit('graph', assign)).toBeUndefined();
    expect(throttle.admit('graph', assign)).toEqual({
      retryAfterSeconds: 2,
      scope: 'Tenant_Application/ReadWrite/app-1/tenant-a',
    });
    now = 1000;
    expect(throttle.admit('graph', assign)?.retryAfterSeconds).toBe(1);
    now = 2000;
    expect(throttle.admit('graph', assign)).toBeUndefined();
    expect(throttle.admit('graph', assign)).toBeDefined();
    // An hour later the bucket holds its capacity, not more.
    now = 3_602_000;
    for (let i = 0; i < 3; i++) expect(throttle.admit('graph', assign)).toBeUndefined();
    expect(throttle.admit('graph', assign)).toBeDefined();
    expect(throttle.stats()).toEqual([
      expect.objectContaining({ tenantId: 'tenant-a', appId: 'app-1', family: 'graphTeams', admitted: 7, cost: 7, throttled: 4 }),
    ]);
  });

  test('a bucket per tenant and family; off by default; the $batch itself and unreadable tokens are not counted', () => {
    const throttle = new Throttle(() => 0);
    const assign = request('/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber');
    for (let i = 0; i < 100; i++) expect(throttle.admit('graph', assign)).toBeUndefined();
    throttle.configure({ enabled: true, limits: { graphTeams: { capacity: 1, perSecond: 1 }, teamsAdmin: { capacity: 1, perSecond: 1 } } });
    expect(throttle.admit('graph', assign)).toBeUndefined();
    expect(throttle.admit('graph', assign)).toBeDefined();
    expect(throttle.admit('graph', request('/v1.0/admin/teams/userConfigurations', 'tenant-b', 'GET'))).toBeUndefined();
    expect(throttle.admit('teams', request('/Skype.Policy/users/u/policies/OnlineVoiceRoutingPolicy'))).toBeUndefined();
    expect(throttle.admit('graph', request('/v1.0/$batch'))).toBeUndefined();
    expect(throttle.admit('graph', { ...assign, headers: { authorization: 'Bearer not-a-jwt' } })).toBeUndefined();
    expect(throttle.admit('graph', request('/v1.0/users', 'tenant-a', 'GET'))).toBeUndefined();
    expect(throttle.stats().map((b) => `${b.tenantId} ${b.family} ${b.admitted}/${b.throttled}`)).toEqual([
      'tenant-a graphTeams 1/1',
      'tenant-b graphTeams 1/0',
      'tenant-a teamsAdmin 1/0',
      'tenant-a graphIdentity 1/0',
    ]);
  });

  test("families and Microsoft's identity costs", () => {
    expect(familyOf('graph', 'GET', '/beta/admin/teams/userConfigurations')).toBe('graphTeams');
    expect(familyOf('graph', 'POST', '/v1.0/domains')).toBe('graphIdentityWrites');
    expect(familyOf('graph', 'GET', '/v1.0/subscribedSkus')).toBe('graphIdentity');
    expect(familyOf('teams', 'GET', '/Teams.Tenant/tenants')).toBe('teamsAdmin');
    expect(familyOf('entra', 'POST', '/x/oauth2/v2.0/token')).toBeUndefined();
    expect(costOf('graphIdentity', '/v1.0/users', new URLSearchParams())).toBe(2);
    expect(costOf('graphIdentity', '/v1.0/users', new URLSearchParams('$select=id'))).toBe(1);
    expect(costOf('graphIdentity', '/v1.0/subscribedSkus', new URLSearchParams())).toBe(3);
    expect(costOf('graphIdentity', '/v1.0/organization', new URLSearchParams())).toBe(1);
    expect(() => new Throttle().configure({ enabled: true, limits: { graphTeams: { capacity: 0, perSecond: 1 } } })).toThrow();
  });
});

describe('throttling over HTTPS', () => {
  let sim: RunningSimulator;
  const token = async (tenant: string) =>
    (
      await new ClientSecretCredential(tenant, APP.clientId, APP.clientSecret, {
        authorityHost: sim.urls.entra,
        disableInstanceDiscovery: true,
      }).getToken(GRAPH_SCOPE)
    ).token;
  const get = (path: string, bearer: string) => fetch(`${sim.urls.graph}${path}`, { headers: { authorization: `Bearer ${bearer}` } });

  beforeAll(async () => {
    sim = await startTestSimulator({ throttle: { enabled: true, limits: { graphIdentity: { capacity: 2, perSecond: 0.1 } } } });
  });
  afterAll(() => sim.stop());

  test('429 with Retry-After and x-ms-throttle-scope, inner 429 in a 200 $batch, a bucket per tenant, counted', async () => {
    sim.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
    sim.control.grantAdminConsent(OTHER_TENANT_ID, APP.clientId);
    const demo = await token(DEMO_TENANT_ID);
    expect((await get('/v1.0/organization', demo)).status).toBe(200);
    const batch = await fetch(`${sim.urls.graph}/v1.0/$batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: '1', method: 'GET', url: '/organization' },
          { id: '2', method: 'GET', url: '/organization' },
        ],
      }),
    });
    expect(batch.status).toBe(200);
    const responses = ((await batch.json()) as { responses: Array<{ id: string; status: number; headers: Record<string, string> }> })
      .responses;
    expect(responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 200],
      ['2', 429],
    ]);
    // 1 unit at 0.1 a second: 10 s from empty (less the refill of the milliseconds since).
    const retryAfter = (v: string | null | undefined) => Number(v);
    expect(retryAfter(responses[1]!.headers['Retry-After'])).toBeGreaterThanOrEqual(8);
    expect(retryAfter(responses[1]!.headers['Retry-After'])).toBeLessThanOrEqual(10);
    const throttled = await get('/v1.0/organization', demo);
    expect(throttled.status).toBe(429);
    expect(retryAfter(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(8);
    expect(throttled.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Read/${APP.clientId}/${DEMO_TENANT_ID}`);
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    expect((await get('/v1.0/organization', await token(OTHER_TENANT_ID))).status).toBe(200);
    const buckets = sim.control.throttle().buckets.map((b) => [b.tenantId, b.family, b.admitted, b.throttled]);
    expect(buckets).toEqual([
      [DEMO_TENANT_ID, 'graphIdentity', 2, 2],
      [OTHER_TENANT_ID, 'graphIdentity', 1, 0],
    ]);
    expect(sim.control.requestLog({ service: 'graph' }).filter((e) => e.fault === 'throttle')).toHaveLength(2);
  });
});
