/**
 * The trunk DNS port through the real Azure DNS adapter (@azure/arm-dns), built by the container from the settings
 * the simulator hands the app (the app's own credential in DNS_TENANT_ID, the simulator's Resource Manager), against
 * the simulated Azure DNS: idempotent puts and deletes, reads, a missing zone refused, outages transient.
 */
import { loadConfig } from '../../shared/config';
import { trunkDnsFor } from '../../shared/container';
import { TrunkDns } from '../../shared/sync/trunkDns';
import { DEFAULT_DNS_ZONE, DEMO_TENANT_ID, LOCAL_SBC_ADDRESS, RunningSimulator } from '../../local/simulator';
import { APP, startTestSimulator } from '../simulator/helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
});
afterEach(() => sim.control.clearFaults());

/** The settings of a local app: the simulator's, plus what loadConfig requires besides. */
function settings(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...sim.appSettings(),
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    LINK_SIGNING_KEY: 'k'.repeat(32),
    ENTRA_CLIENT_ID: APP.clientId,
    ENTRA_CLIENT_SECRET: APP.clientSecret,
    ...overrides,
  };
}

/** The adapter as the container builds it; no SDK retries unless asked, so a fault answers at once. */
function dns(overrides: Record<string, string> = {}, maxRetries = 0): TrunkDns {
  const config = loadConfig(settings(overrides));
  const built = trunkDnsFor(config, { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET! }, { maxRetries });
  if (!built) throw new Error('the trunk DNS settings are missing');
  return built;
}

const records = () => sim.control.dnsRecords(DEFAULT_DNS_ZONE);
const armRequests = () => sim.control.requestLog({ service: 'arm' }).length;

test('the settings the simulator hands out name its zone, and the container builds the adapter from them', () => {
  const config = loadConfig(settings());
  expect(config).toMatchObject({
    PROVIDER_TRUNK_BASE_DOMAIN: DEFAULT_DNS_ZONE,
    PROVIDER_SBC_ADDRESSES: [LOCAL_SBC_ADDRESS],
    AZURE_RESOURCE_MANAGER_URL: sim.urls.arm,
    DNS_TENANT_ID: sim.homeTenantId,
  });
  expect(dns().zone).toBe(DEFAULT_DNS_ZONE);
  const none = loadConfig({
    ...settings(),
    PROVIDER_TRUNK_BASE_DOMAIN: '',
    PROVIDER_SBC_ADDRESSES: '',
    DNS_SUBSCRIPTION_ID: '',
    DNS_RESOURCE_GROUP: '',
  });
  expect(trunkDnsFor(none, { kind: 'secret', secret: 'x' })).toBeUndefined();
});

test('a TXT record put twice is one record set; get reads it; delete twice succeeds and get then finds nothing', async () => {
  const trunk = dns();
  const first = await trunk.putTxt('Woodgrove', ['MS=ms12345678'], 3600);
  expect(first).toEqual({
    ok: true,
    value: { relativeName: 'woodgrove', type: 'TXT', ttl: 3600, values: ['MS=ms12345678'], fqdn: `woodgrove.${DEFAULT_DNS_ZONE}` },
  });
  expect(await trunk.putTxt('woodgrove', ['MS=ms12345678'], 3600)).toEqual(first);
  expect(records()).toEqual([{ name: 'woodgrove', type: 'TXT', ttl: 3600, values: ['MS=ms12345678'] }]);
  expect(await trunk.get('woodgrove', 'TXT')).toEqual(first);

  // A put replaces the whole set; a long value goes out in 255-character strings and reads back whole.
  const long = 'v='.padEnd(600, 'x');
  expect(await trunk.putTxt('woodgrove', ['MS=ms12345678', long], 300)).toMatchObject({
    ok: true,
    value: { ttl: 300, values: ['MS=ms12345678', long] },
  });
  expect(records()).toEqual([{ name: 'woodgrove', type: 'TXT', ttl: 300, values: ['MS=ms12345678', long] }]);

  expect(await trunk.delete('woodgrove', 'TXT')).toEqual({ ok: true, value: undefined });
  expect(await trunk.delete('woodgrove', 'TXT')).toEqual({ ok: true, value: undefined });
  expect(await trunk.get('woodgrove', 'TXT')).toEqual({ ok: true, value: null });
  expect(records()).toEqual([]);
});

test('the derived trunk FQDN as a CNAME to the SBC, put twice; A records as the other option', async () => {
  const trunk = dns();
  const cname = await trunk.putCname('sbc1.woodgrove', `${LOCAL_SBC_ADDRESS}.`, 3600);
  expect(cname).toEqual({
    ok: true,
    value: {
      relativeName: 'sbc1.woodgrove',
      type: 'CNAME',
      ttl: 3600,
      values: [LOCAL_SBC_ADDRESS],
      fqdn: `sbc1.woodgrove.${DEFAULT_DNS_ZONE}`,
    },
  });
  expect(await trunk.putCname('sbc1.woodgrove', LOCAL_SBC_ADDRESS, 3600)).toEqual(cname);
  expect(await trunk.get('sbc1.woodgrove', 'CNAME')).toEqual(cname);
  expect(await trunk.putA('sbc2.woodgrove', ['203.0.113.10', '203.0.113.11', '203.0.113.10'], 60)).toMatchObject({
    ok: true,
    value: { type: 'A', values: ['203.0.113.10', '203.0.113.11'] },
  });
  // A CNAME cannot share its name with another record set: Azure DNS refuses.
  expect(await trunk.putTxt('sbc1.woodgrove', ['x'], 60)).toMatchObject({
    ok: false,
    error: { code: 'DNS_REFUSED', details: { status: 409, azureCode: 'Conflict' } },
  });
  expect(records()).toEqual([
    { name: 'sbc1.woodgrove', type: 'CNAME', ttl: 3600, values: [LOCAL_SBC_ADDRESS] },
    { name: 'sbc2.woodgrove', type: 'A', ttl: 60, values: ['203.0.113.10', '203.0.113.11'] },
  ]);
  for (const [name, type] of [
    ['sbc1.woodgrove', 'CNAME'],
    ['sbc2.woodgrove', 'A'],
  ] as const)
    expect(await trunk.delete(name, type)).toEqual({ ok: true, value: undefined });
  expect(records()).toEqual([]);
});

test('bad names, TTLs and values fail with VALIDATION_FAILED before any request', async () => {
  const trunk = dns();
  const before = armRequests();
  const refusals = await Promise.all([
    trunk.putTxt(`woodgrove.${DEFAULT_DNS_ZONE}`, ['x'], 60),
    trunk.putTxt('bad name', ['x'], 60),
    trunk.putTxt('woodgrove', [], 60),
    trunk.putTxt('woodgrove', ['x'.repeat(1025)], 60),
    trunk.putTxt('woodgrove', ['x'], 0),
    trunk.putA('woodgrove', ['2001:db8::1'], 60),
    trunk.putCname('@', LOCAL_SBC_ADDRESS, 60),
    trunk.putCname('woodgrove', 'not a host', 60),
    trunk.get('..', 'TXT'),
    trunk.delete('-x', 'A'),
  ]);
  for (const r of refusals) expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  expect(armRequests()).toBe(before);
});

test('a zone Azure DNS does not have is refused (DNS_REFUSED), for puts, reads and deletes', async () => {
  const trunk = dns({ PROVIDER_TRUNK_BASE_DOMAIN: 'missing.example' });
  const refused = {
    ok: false,
    error: { code: 'DNS_REFUSED', details: { status: 404, azureCode: 'ResourceNotFound', zone: 'missing.example' } },
  };
  expect(await trunk.putTxt('woodgrove', ['x'], 60)).toMatchObject(refused);
  expect(await trunk.get('woodgrove', 'TXT')).toMatchObject(refused);
  expect(await trunk.delete('woodgrove', 'TXT')).toMatchObject(refused);
  const result = await trunk.putCname('sbc1', LOCAL_SBC_ADDRESS, 60);
  expect(result.ok || result.error.transient).toBeFalsy();
  // So is a resource group that does not exist.
  expect(await dns({ DNS_RESOURCE_GROUP: 'other-rg' }).putTxt('x', ['x'], 60)).toMatchObject({
    ok: false,
    error: { code: 'DNS_REFUSED', details: { status: 404, azureCode: 'ResourceGroupNotFound' } },
  });
});

test('an identity Entra ID gives no token is refused; an Entra ID outage is transient', async () => {
  const before = armRequests();
  // The app has no consent in the demo tenant: Entra ID refuses the token, so nothing reaches Resource Manager.
  const refused = await dns({ DNS_TENANT_ID: DEMO_TENANT_ID }).putTxt('woodgrove', ['x'], 60);
  expect(refused).toMatchObject({ ok: false, error: { code: 'DNS_REFUSED', details: { credentialError: expect.any(String) } } });
  expect(refused.ok || refused.error.transient).toBeFalsy();
  sim.control.injectFault({ service: 'entra', path: '/oauth2/v2.0/token', status: 503 });
  expect(await dns().putTxt('woodgrove', ['x'], 60)).toMatchObject({ ok: false, error: { code: 'DNS_UNAVAILABLE', transient: true } });
  expect(armRequests()).toBe(before);
});

test('Azure DNS answering 503 is DNS_UNAVAILABLE (transient); the SDK retries a passing one by itself', async () => {
  sim.control.injectFault({ service: 'arm', status: 503 });
  for (const result of [
    await dns().putTxt('woodgrove', ['x'], 60),
    await dns().get('woodgrove', 'TXT'),
    await dns().delete('woodgrove', 'TXT'),
  ])
    expect(result).toMatchObject({ ok: false, error: { code: 'DNS_UNAVAILABLE', transient: true, details: { status: 503 } } });
  sim.control.clearFaults();

  sim.control.injectFault({ service: 'arm', status: 429, retryAfterSeconds: 0, times: 1 });
  expect(await dns({}, 3).putTxt('woodgrove', ['x'], 60)).toMatchObject({ ok: true });
  expect(sim.control.requestLog({ service: 'arm' }).filter((e) => e.fault).length).toBeGreaterThan(0);
  expect(await dns().delete('woodgrove', 'TXT')).toMatchObject({ ok: true });
}, 30_000);

test('no token or secret reaches the simulator request log', () => {
  const log = JSON.stringify(sim.control.requestLog({ service: 'arm' }));
  expect(log).not.toContain(APP.clientSecret);
  for (const token of sim.control.issuedTokens()) expect(log).not.toContain(token);
});
