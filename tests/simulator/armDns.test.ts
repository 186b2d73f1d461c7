/**
 * The simulated Azure DNS (Resource Manager record sets, api-version 2018-05-01): tokens for
 * https://management.azure.com from the simulated Entra ID, Azure's bodies and status codes, the zone there from the
 * start, and the records as the control API and SimState.dns see them.
 */
import { ClientSecretCredential } from '@azure/identity';
import { DEFAULT_DNS_ZONE, DNS_RESOURCE_GROUP, DNS_SUBSCRIPTION_ID, RunningSimulator } from '../../local/simulator';
import { APP, startTestSimulator } from './helpers';

let sim: RunningSimulator;
let armToken: string;
let vaultToken: string;

const zonePath = (zone = DEFAULT_DNS_ZONE, rg = DNS_RESOURCE_GROUP, sub = DNS_SUBSCRIPTION_ID) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/dnsZones/${zone}`;
const url = (path: string, apiVersion: string | null = '2018-05-01') =>
  `${sim.urls.arm}${path}${apiVersion ? `?api-version=${apiVersion}` : ''}`;

function arm(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = armToken) {
  return fetch(url(path), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  sim = await startTestSimulator();
  const credential = new ClientSecretCredential(sim.homeTenantId, APP.clientId, APP.clientSecret, {
    authorityHost: sim.urls.entra,
    disableInstanceDiscovery: true,
  });
  armToken = (await credential.getToken('https://management.azure.com/.default')).token;
  vaultToken = (await credential.getToken('https://vault.azure.net/.default')).token;
});
afterAll(async () => {
  await sim.stop();
});

describe('authentication', () => {
  test('no token: 401 AuthenticationFailed with a bearer challenge', async () => {
    const res = await fetch(url(zonePath()));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri="/);
    expect(await res.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
  });

  test('a token for another audience (Key Vault): 401 InvalidAuthenticationTokenAudience', async () => {
    const res = await arm('GET', zonePath(), undefined, {}, vaultToken);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });
  });

  test('a token that is not one: 401 InvalidAuthenticationToken', async () => {
    const res = await arm('GET', zonePath(), undefined, {}, 'not-a-jwt');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  test('the token says aud https://management.azure.com and the home tenant', () => {
    const claims = JSON.parse(Buffer.from(armToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: 'https://management.azure.com', tid: sim.homeTenantId, idtyp: 'app' });
  });
});

describe('zones and record sets', () => {
  test('the provider zone exists from the start; an unknown zone, group or subscription is 404', async () => {
    const zone = await arm('GET', zonePath());
    expect(zone.status).toBe(200);
    expect(await zone.json()).toMatchObject({
      name: DEFAULT_DNS_ZONE,
      type: 'Microsoft.Network/dnszones',
      location: 'global',
      properties: { zoneType: 'Public', nameServers: expect.arrayContaining(['ns1-01.azure-dns.com.']) },
    });
    const unknown = await arm('PUT', `${zonePath('other.example')}/TXT/x`, { properties: { TTL: 60, TXTRecords: [{ value: ['v'] }] } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'ResourceNotFound' } });
    expect((await arm('GET', zonePath(DEFAULT_DNS_ZONE, 'other-rg'))).status).toBe(404);
    const sub = await arm('GET', zonePath(DEFAULT_DNS_ZONE, DNS_RESOURCE_GROUP, '00000000-0000-4000-8000-000000000000'));
    expect(await sub.json()).toMatchObject({ error: { code: 'SubscriptionNotFound' } });
  });

  test('api-version is required and must be 2018-05-01', async () => {
    const missing = await fetch(url(zonePath(), null), { headers: { authorization: `Bearer ${armToken}` } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const other = await fetch(url(zonePath(), '1999-01-01'), { headers: { authorization: `Bearer ${armToken}` } });
    expect(other.status).toBe(400);
  });

  test('TXT: PUT creates (201) then replaces (200), GET reads it, DELETE removes (200) and then finds nothing (204)', async () => {
    const path = `${zonePath()}/TXT/_verify.woodgrove`;
    const body = { properties: { TTL: 3600, TXTRecords: [{ value: ['MS=ms12345678'] }] } };
    const created = await arm('PUT', path, body);
    expect(created.status).toBe(201);
    const set = (await created.json()) as { etag: string; id: string; name: string; type: string; properties: Record<string, unknown> };
    expect(set).toMatchObject({
      name: '_verify.woodgrove',
      type: 'Microsoft.Network/dnszones/TXT',
      id: `/subscriptions/${DNS_SUBSCRIPTION_ID}/resourceGroups/${DNS_RESOURCE_GROUP}/providers/Microsoft.Network/dnszones/${DEFAULT_DNS_ZONE}/TXT/_verify.woodgrove`,
      properties: {
        TTL: 3600,
        fqdn: `_verify.woodgrove.${DEFAULT_DNS_ZONE}.`,
        provisioningState: 'Succeeded',
        TXTRecords: [{ value: ['MS=ms12345678'] }],
      },
    });
    expect(set.etag).toEqual(expect.any(String));
    const replaced = await arm('PUT', path, { properties: { TTL: 300, TXTRecords: [{ value: ['a', 'b'] }, { value: ['c'] }] } });
    expect(replaced.status).toBe(200);
    const got = await arm('GET', path);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ properties: { TTL: 300, TXTRecords: [{ value: ['ab'] }, { value: ['c'] }] } });
    expect(sim.control.dnsRecords(DEFAULT_DNS_ZONE)).toEqual([{ name: '_verify.woodgrove', type: 'TXT', ttl: 300, values: ['ab', 'c'] }]);

    expect((await arm('DELETE', path)).status).toBe(200);
    expect((await arm('DELETE', path)).status).toBe(204);
    const gone = await arm('GET', path);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect(sim.control.dnsRecords(DEFAULT_DNS_ZONE)).toEqual([]);
  });

  test('A and CNAME record sets; a CNAME cannot share its name with another type, nor sit at the apex', async () => {
    const a = await arm('PUT', `${zonePath()}/A/sbc`, { properties: { TTL: 60, ARecords: [{ ipv4Address: '203.0.113.10' }] } });
    expect(a.status).toBe(201);
    expect(await a.json()).toMatchObject({ properties: { ARecords: [{ ipv4Address: '203.0.113.10' }] } });
    const cname = await arm('PUT', `${zonePath()}/CNAME/sbc1.woodgrove`, {
      properties: { TTL: 60, CNAMERecord: { cname: 'sbc1.voice.example' } },
    });
    expect(cname.status).toBe(201);
    expect(await cname.json()).toMatchObject({ properties: { CNAMERecord: { cname: 'sbc1.voice.example' } } });
    const clash = await arm('PUT', `${zonePath()}/TXT/sbc1.woodgrove`, { properties: { TTL: 60, TXTRecords: [{ value: ['x'] }] } });
    expect(clash.status).toBe(409);
    const apex = await arm('PUT', `${zonePath()}/CNAME/@`, { properties: { TTL: 60, CNAMERecord: { cname: 'x.example' } } });
    expect(apex.status).toBe(400);
    const badIp = await arm('PUT', `${zonePath()}/A/bad`, { properties: { TTL: 60, ARecords: [{ ipv4Address: '999.1.1.1' }] } });
    expect(badIp.status).toBe(400);
    const wrongKind = await arm('PUT', `${zonePath()}/A/bad`, { properties: { TTL: 60, TXTRecords: [{ value: ['x'] }] } });
    expect(wrongKind.status).toBe(400);
    const noTtl = await arm('PUT', `${zonePath()}/A/bad`, { properties: { ARecords: [{ ipv4Address: '203.0.113.1' }] } });
    expect(noTtl.status).toBe(400);
    expect(sim.control.dnsRecords(DEFAULT_DNS_ZONE)).toEqual([
      { name: 'sbc', type: 'A', ttl: 60, values: ['203.0.113.10'] },
      { name: 'sbc1.woodgrove', type: 'CNAME', ttl: 60, values: ['sbc1.voice.example'] },
    ]);
    await arm('DELETE', `${zonePath()}/A/sbc`);
    await arm('DELETE', `${zonePath()}/CNAME/sbc1.woodgrove`);
  });

  test('If-None-Match: * and If-Match with a stale etag are refused with 412', async () => {
    const path = `${zonePath()}/TXT/etags`;
    const body = { properties: { TTL: 60, TXTRecords: [{ value: ['1'] }] } };
    const first = (await (await arm('PUT', path, body, { 'if-none-match': '*' })).json()) as { etag: string };
    expect((await arm('PUT', path, body, { 'if-none-match': '*' })).status).toBe(412);
    expect((await arm('PUT', path, body, { 'if-match': 'stale' })).status).toBe(412);
    expect((await arm('PUT', path, body, { 'if-match': first.etag })).status).toBe(200);
    expect((await arm('DELETE', path, undefined, { 'if-match': first.etag })).status).toBe(412);
    expect((await arm('DELETE', path, undefined, { 'if-match': '*' })).status).toBe(200);
  });

  test('requests are in the request log; another zone can be added; reset leaves the provider zone empty', async () => {
    const log = sim.control.requestLog({ service: 'arm' });
    expect(log.some((e) => e.method === 'PUT' && e.url.includes('/TXT/_verify.woodgrove') && e.status === 201)).toBe(true);
    sim.control.addDnsZone('Extra.Example');
    expect(
      (await arm('PUT', `${zonePath('extra.example')}/TXT/x`, { properties: { TTL: 60, TXTRecords: [{ value: ['v'] }] } })).status,
    ).toBe(201);
    expect(sim.control.dnsRecords('extra.example')).toHaveLength(1);
    const over = await fetch(`${sim.urls.control}/control/dns/extra.example`);
    expect(await over.json()).toEqual([{ name: 'x', type: 'TXT', ttl: 60, values: ['v'] }]);
    sim.control.reset();
    expect(sim.control.dnsRecords(DEFAULT_DNS_ZONE)).toEqual([]);
    expect(() => sim.control.dnsRecords('extra.example')).toThrow(/unknown DNS zone/);
  });

  test('a 503 fault on arm answers in Azure shape', async () => {
    sim.control.injectFault({ service: 'arm', status: 503, times: 1 });
    const res = await arm('GET', zonePath());
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    expect((await arm('GET', zonePath())).status).toBe(200);
  });
});
