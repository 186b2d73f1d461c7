import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ensureLocalCa, generateTenant, issueServerCert, RunningSimulator } from '../../local/simulator';
import { APP, DEMO_TENANT_ID, GRAPH_SCOPE, startTestSimulator } from './helpers';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.control.reset());

async function control(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.urls.control}${p}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('seeded tenants', () => {
  test('the demo tenant has the documented mix of users, resource accounts and free licences', () => {
    const users = sim.control.users(DEMO_TENANT_ID);
    expect(users.length).toBeGreaterThanOrEqual(28);
    expect(users.filter((u) => u.eligible).length).toBeGreaterThanOrEqual(10);
    expect(users.filter((u) => u.callingPlan).length).toBeGreaterThanOrEqual(3);
    expect(users.filter((u) => !u.accountEnabled).length).toBeGreaterThanOrEqual(2);
    expect(users.filter((u) => u.globalAdmin).length).toBeGreaterThanOrEqual(2);
    expect(
      users
        .filter((u) => u.resourceAccount)
        .map((u) => u.resourceAccount)
        .sort(),
    ).toEqual(['autoAttendant', 'callQueue', 'callQueue']);
    // the Teams Phone user whose plan is suspended is not eligible
    expect(sim.control.user(DEMO_TENANT_ID, 'irvin.sayers').eligible).toBe(false);
  });

  test('the generator is deterministic for a seed and produces the requested size', () => {
    const a = generateTenant({ users: 500, seed: 7 });
    const b = generateTenant({ users: 500, seed: 7 });
    const c = generateTenant({ users: 500, seed: 8 });
    expect(a).toEqual(b);
    expect(a.users).toHaveLength(500);
    expect(JSON.stringify(a.users)).not.toEqual(JSON.stringify(c.users));
    const summary = sim.control.addTenant(a);
    expect(summary.userCount).toBe(500);
  });

  test('the CA is created once and reused; server certificates chain to it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simca-'));
    const first = ensureLocalCa(dir);
    const second = ensureLocalCa(dir);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(fs.readFileSync(first.caCertPath, 'utf8')).toBe(first.caCertPem);
    const cert = issueServerCert(first, ['localhost', '127.0.0.1']);
    const x = new X509Certificate(cert.certPem);
    expect(x.checkIssued(new X509Certificate(first.caCertPem))).toBe(true);
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('control API over HTTPS', () => {
  test('status, tenants, Teams state, scripted outcome and reset', async () => {
    const status = await control('GET', '/control/status');
    expect(status.json.urls.graph).toBe(sim.urls.graph);
    expect(status.json.contractChecks).toEqual(sim.control.contractChecks());
    expect((await control('GET', '/control/tenants')).json.map((t: { id: string }) => t.id)).toContain(DEMO_TENANT_ID);
    const teams = await control('GET', `/control/tenants/${DEMO_TENANT_ID}/teams`);
    expect(teams.json.numbers.length).toBeGreaterThan(0);
    expect(Object.keys(teams.json.policies)).toEqual(expect.arrayContaining(['TeamsCallingPolicy', 'OnlineVoiceRoutingPolicy']));
    expect((await control('POST', '/control/authorize-outcomes', { outcome: 'consentDeclined' })).status).toBe(204);
    expect((await control('GET', '/control/status')).json.pendingAuthorizeOutcomes).toBe(1);
    expect((await control('POST', '/control/reset')).status).toBe(204);
    expect((await control('GET', '/control/status')).json.pendingAuthorizeOutcomes).toBe(0);
  });

  test('faults over HTTP: 503 then latency, counted and removable', async () => {
    sim.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
    const cred = new ClientSecretCredential(DEMO_TENANT_ID, APP.clientId, APP.clientSecret, {
      authorityHost: sim.urls.entra,
      disableInstanceDiscovery: true,
    });
    const token = (await cred.getToken(GRAPH_SCOPE)).token;
    const f = await control('POST', '/control/faults', { service: 'graph', path: '/v1.0/subscribedSkus', status: 503, times: 1 });
    expect(f.status).toBe(201);
    const lat = await control('POST', '/control/faults', { service: 'graph', path: '/v1.0/organization', latencyMs: 300 });
    const h = { authorization: `Bearer ${token}` };
    const r1 = await fetch(`${sim.urls.graph}/v1.0/subscribedSkus`, { headers: h });
    expect(r1.status).toBe(503);
    expect(r1.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${sim.urls.graph}/v1.0/subscribedSkus`, { headers: h })).status).toBe(200);
    const t0 = Date.now();
    expect((await fetch(`${sim.urls.graph}/v1.0/organization`, { headers: h })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect((await control('DELETE', `/control/faults/${lat.json.id}`)).status).toBe(204);
    expect((await control('GET', '/control/faults')).json).toHaveLength(1);
  });

  test('the request log redacts codes, secrets and tokens', async () => {
    await fetch(
      `${sim.urls.entra}/organizations/oauth2/v2.0/token?code=SECRETCODE&client_secret=SECRETVALUE&refresh_token=RTVALUE&state=visible`,
      { method: 'POST' },
    );
    const log = (await control('GET', '/control/requests?service=entra')).json as Array<{ url: string }>;
    const text = JSON.stringify(log);
    expect(text).not.toContain('SECRETCODE');
    expect(text).not.toContain('SECRETVALUE');
    expect(text).not.toContain('RTVALUE');
    expect(text).toContain('state=visible');
  });

  test('appSettings names the endpoints the app needs', () => {
    const s = sim.appSettings();
    expect(s.ENTRA_AUTHORITY_HOST).toBe(sim.urls.entra);
    expect(s.GRAPH_BASE_URL).toBe(sim.urls.graph);
    expect(s.TEAMS_ADMIN_BASE_URL).toBe(sim.urls.teams);
    expect(s.KEY_VAULT_URL).toBe(sim.urls.keyVault);
    expect(s.EMAIL_CONNECTION_STRING).toMatch(/^endpoint=https:\/\/localhost:\d+\/;accesskey=.+$/);
    expect(s.EMAIL_SENDER_ADDRESS).toContain('@');
  });
});
