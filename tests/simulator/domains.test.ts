import { ClientSecretCredential } from '@azure/identity';
import { RESOURCE_GRAPH, RunningSimulator, startSimulator } from '../../local/simulator';
import { UNCONTRACTED } from '../../local/simulator/graph';
import { GraphContract } from '../../local/simulator/graph/contract';
import { APP, DEMO_TENANT_ID, GRAPH_SCOPE } from './helpers';

const WRITER = {
  clientId: 'd0d0d0d0-2222-4333-8444-555566667777',
  clientSecret: 'sim-writer-secret-value',
  redirectUris: ['https://localhost/auth/callback'],
  application: { [RESOURCE_GRAPH]: ['Domain.ReadWrite.All', 'User.ReadWrite.All', 'Organization.Read.All'] },
};
const SPE_E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965';
const MCOPSTN1 = '0dab259f-bf13-4952-b7f8-7db8f131b28d';
const DOMAIN = 'acme.voice.provider.example';

let sim: RunningSimulator;
let token: string;
let readerToken: string;

async function tokenFor(clientId: string, secret: string): Promise<string> {
  const cred = new ClientSecretCredential(DEMO_TENANT_ID, clientId, secret, {
    authorityHost: sim.urls.entra,
    disableInstanceDiscovery: true,
  });
  return (await cred.getToken(GRAPH_SCOPE)).token;
}

async function graph(method: string, path: string, body?: unknown, t = token): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.urls.graph}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${t}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

function newUser(alias: string, domain = DOMAIN): Record<string, unknown> {
  return {
    accountEnabled: true,
    displayName: `Test ${alias}`,
    mailNickname: alias,
    userPrincipalName: `${alias}@${domain}`,
    usageLocation: 'US',
    passwordProfile: { forceChangePasswordNextSignIn: false, password: 'Sim-Passw0rd!' },
  };
}

async function consumed(skuId: string): Promise<{ consumed: number; prepaid: number }> {
  const r = await graph('GET', '/subscribedSkus');
  const s = r.json.value.find((x: any) => x.skuId === skuId);
  return { consumed: s.consumedUnits, prepaid: s.prepaidUnits.enabled };
}

beforeAll(async () => {
  sim = await startSimulator({
    seed: 42,
    apps: [
      { ...APP, redirectUris: [APP.redirectUri] },
      { ...WRITER, displayName: 'writer' },
    ],
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  sim.control.reset();
  sim.control.grantAdminConsent(DEMO_TENANT_ID, APP.clientId);
  sim.control.grantAdminConsent(DEMO_TENANT_ID, WRITER.clientId);
  token = await tokenFor(WRITER.clientId, WRITER.clientSecret);
  readerToken = await tokenFor(APP.clientId, APP.clientSecret);
});

describe('Graph /domains', () => {
  test('add, read the TXT record, verify against the simulated DNS, activate with a licensed user, delete', async () => {
    const add = await graph('POST', '/domains', { id: DOMAIN });
    expect(add.status).toBe(201);
    expect(add.json).toMatchObject({ id: DOMAIN, isVerified: false, isDefault: false, isInitial: false, authenticationType: 'Managed' });
    const list = await graph('GET', '/domains');
    expect(list.json.value.map((d: any) => d.id)).toEqual(['contoso-demo.onmicrosoft.com', DOMAIN]);
    expect((await graph('GET', `/domains/${DOMAIN}`)).json.isVerified).toBe(false);

    const records = await graph('GET', `/domains/${DOMAIN}/verificationDnsRecords`);
    expect(records.status).toBe(200);
    const txt = records.json.value.find((r: any) => r.recordType === 'Txt');
    expect(txt).toMatchObject({ '@odata.type': '#microsoft.graph.domainDnsTxtRecord', label: DOMAIN, ttl: 3600, isOptional: false });
    expect(txt.text).toMatch(/^MS=ms\d{8}$/);
    expect(records.json.value.map((r: any) => r.recordType)).toEqual(['Txt', 'Mx']);

    // before the record exists: Graph's 400 error shape, still unverified
    const early = await graph('POST', `/domains/${DOMAIN}/verify`);
    expect(early.status).toBe(400);
    expect(early.json.error.code).toBe('Request_BadRequest');
    expect(typeof early.json.error.message).toBe('string');
    // the wrong text, or the right text at the wrong name, does not verify either
    sim.control.setDnsRecord('provider.example', 'acme.voice', 'TXT', ['MS=ms00000000']);
    sim.control.setDnsRecord('provider.example', '@', 'TXT', [txt.text]);
    expect((await graph('POST', `/domains/${DOMAIN}/verify`)).status).toBe(400);
    expect(sim.control.domains(DEMO_TENANT_ID).find((d) => d.id === DOMAIN)!.isVerified).toBe(false);

    sim.control.setDnsRecord('provider.example', 'acme.voice', 'TXT', ['other', txt.text]);
    const verified = await graph('POST', `/domains/${DOMAIN}/microsoft.graph.verify`);
    expect(verified.status).toBe(200);
    expect(verified.json.isVerified).toBe(true);
    expect(sim.control.domains(DEMO_TENANT_ID).find((d) => d.id === DOMAIN)).toMatchObject({ isVerified: true, active: false });

    // a Teams-licensed user in the domain makes it active (usable for a derived trunk)
    const created = await graph('POST', '/users', newUser('trunk-activation'));
    expect(created.status).toBe(201);
    expect(created.json.userPrincipalName).toBe(`trunk-activation@${DOMAIN}`);
    const before = await consumed(SPE_E3);
    const assigned = await graph('POST', `/users/${created.json.id}/assignLicense`, {
      addLicenses: [{ skuId: SPE_E3, disabledPlans: [] }],
      removeLicenses: [],
    });
    expect(assigned.status).toBe(200);
    expect(assigned.json.assignedLicenses).toEqual([{ skuId: SPE_E3, disabledPlans: [] }]);
    expect((await consumed(SPE_E3)).consumed).toBe(before.consumed + 1);
    expect(sim.control.domains(DEMO_TENANT_ID).find((d) => d.id === DOMAIN)!.active).toBe(true);

    // the domain cannot go while a UPN uses it
    const refused = await graph('DELETE', `/domains/${DOMAIN}`);
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('Request_BadRequest');
    expect((await graph('DELETE', `/users/${created.json.id}`)).status).toBe(204);
    expect((await graph('GET', `/users/${created.json.id}`)).status).toBe(404);
    expect((await consumed(SPE_E3)).consumed).toBe(before.consumed);
    expect((await graph('DELETE', `/domains/${DOMAIN}`)).status).toBe(204);
    expect((await graph('GET', `/domains/${DOMAIN}`)).status).toBe(404);
    expect((await graph('DELETE', '/domains/contoso-demo.onmicrosoft.com')).status).toBe(400);

    expect(sim.control.contractViolations()).toEqual([]);
  });

  test('an existing domain cannot be added twice; ids are checked', async () => {
    expect((await graph('POST', '/domains', { id: DOMAIN })).status).toBe(201);
    expect((await graph('POST', '/domains', { id: DOMAIN.toUpperCase() })).status).toBe(400);
    expect((await graph('POST', '/domains', { id: 'not a domain' })).status).toBe(400);
    expect((await graph('GET', '/domains/missing.example')).status).toBe(404);
    expect(sim.control.contractViolations()).toEqual([]);
  });

  test('a body the contract does not allow is rejected and recorded as a violation', async () => {
    const r = await graph('POST', '/domains', { id: DOMAIN, verificationText: 'MS=ms1' });
    expect(r.status).toBe(400);
    expect(sim.control.contractViolations().map((v) => v.rule)).toEqual(['body-schema']);
    expect(sim.control.domains(DEMO_TENANT_ID).map((d) => d.id)).not.toContain(DOMAIN);
  });

  test('writes need Domain.ReadWrite.All: the default app may not add a domain', async () => {
    expect((await graph('POST', '/domains', { id: DOMAIN }, readerToken)).status).toBe(403);
  });
});

describe('Graph user create, delete and assignLicense', () => {
  test('a user needs a verified domain of the tenant in its UPN', async () => {
    expect((await graph('POST', '/domains', { id: DOMAIN })).status).toBe(201);
    const r = await graph('POST', '/users', newUser('early'));
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('verified domain names');
    expect((await graph('POST', '/users', newUser('elsewhere', 'unknown.example'))).status).toBe(400);
    const ok = await graph('POST', '/users', newUser('fine', 'contoso-demo.onmicrosoft.com'));
    expect(ok.status).toBe(201);
    expect((await graph('POST', '/users', newUser('fine', 'contoso-demo.onmicrosoft.com'))).status).toBe(400);
    const missing = newUser('nopassword', 'contoso-demo.onmicrosoft.com');
    delete missing.passwordProfile;
    expect((await graph('POST', '/users', missing)).status).toBe(400);
    expect((await graph('DELETE', '/users/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect(sim.control.contractViolations()).toEqual([]);
  });

  test('assignLicense counts prepaid against consumed units and fails when none is left', async () => {
    const { consumed: used, prepaid } = await consumed(MCOPSTN1);
    const ids: string[] = [];
    for (let i = 0; i <= prepaid - used; i++)
      ids.push((await graph('POST', '/users', newUser(`pstn${i}`, 'contoso-demo.onmicrosoft.com'))).json.id);
    const body = { addLicenses: [{ skuId: MCOPSTN1, disabledPlans: [] }], removeLicenses: [] };
    for (const id of ids.slice(0, -1)) expect((await graph('POST', `/users/${id}/assignLicense`, body)).status).toBe(200);
    expect(await consumed(MCOPSTN1)).toEqual({ consumed: prepaid, prepaid });
    const full = await graph('POST', `/users/${ids[ids.length - 1]}/assignLicense`, body);
    expect(full.status).toBe(400);
    expect(full.json.error.message).toBe('License assignment failed because there are no available licenses.');
    // removing one frees a unit
    expect((await graph('POST', `/users/${ids[0]}/assignLicense`, { addLicenses: [], removeLicenses: [MCOPSTN1] })).status).toBe(200);
    expect((await consumed(MCOPSTN1)).consumed).toBe(prepaid - 1);
    expect((await graph('POST', `/users/${ids[ids.length - 1]}/assignLicense`, body)).status).toBe(200);
    // unknown SKU, and removing a licence the user does not hold
    expect(
      (
        await graph('POST', `/users/${ids[0]}/assignLicense`, {
          addLicenses: [{ skuId: '11111111-1111-1111-1111-111111111111', disabledPlans: [] }],
          removeLicenses: [],
        })
      ).status,
    ).toBe(400);
    expect((await graph('POST', `/users/${ids[0]}/assignLicense`, { addLicenses: [], removeLicenses: [SPE_E3] })).status).toBe(400);
    expect(sim.control.contractViolations()).toEqual([]);
  });

  test('an assignLicense body without removeLicenses breaks the contract', async () => {
    const u = (await graph('POST', '/users', newUser('partial', 'contoso-demo.onmicrosoft.com'))).json;
    const r = await graph('POST', `/users/${u.id}/assignLicense`, { addLicenses: [{ skuId: SPE_E3, disabledPlans: [] }] });
    expect(r.status).toBe(400);
    expect(sim.control.contractViolations().map((v) => v.rule)).toEqual(['body-schema']);
  });
});

describe('nothing the simulator serves is uncontracted', () => {
  test('the uncontracted list is empty and /me, memberOf and transitiveMemberOf are in the subset', () => {
    expect(UNCONTRACTED).toEqual([]);
    const c = GraphContract.load();
    for (const p of ['/me', '/me/memberOf', '/me/transitiveMemberOf', '/users/abc/memberOf'])
      expect(c.match('v1.0', 'GET', p).kind).toBe('match');
  });
});
