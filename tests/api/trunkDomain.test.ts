/**
 * The trunk domain gateway (shared/microsoft/trunkDomain.ts) against the simulated Microsoft Graph, with a real
 * delegated token of the demo tenant's Global Administrator (the vault is stubbed: it is not the subject here): the
 * provider's subdomain added (idempotently), its TXT value, verify refused until the simulated DNS zone holds it, the
 * licence stock, the activation user created with its licence (twice is once) and deleted (twice is fine), outages
 * transient and refusals permanent. Every Graph request passes Microsoft's contract; the password stays in the request.
 */
import { DEMO_TENANT_ID } from '../../local/simulator';
import { loadConfig } from '../../shared/config';
import { ok } from '../../shared/domain/errors';
import { SYNC_GRAPH_SCOPES } from '../../shared/microsoft/entraSignIn';
import { graphTrunkDomains } from '../../shared/microsoft/trunkDomain';
import { TokenVault } from '../../shared/sync/tokenVault';
import { TrunkDomainGateway } from '../../shared/sync/trunkDomain';
import { delegatedTokens } from '../support/delegatedTokens';
import { Stack, startStack } from '../support/stack';

let stack: Stack;
let gateway: TrunkDomainGateway;
let zone: string;
let domain: string;
const RUN_ID = '0d9a4c7e-3b1f-4e2a-9c8d-5f6e7a8b9c01';
/** Every value the gateway returned, scanned for the password at the end. */
const returned: unknown[] = [];
/** The passwords the adapter sent in `POST /users` (read off the wire: nothing else shows them). */
const passwords: string[] = [];
const createBodies: Array<Record<string, unknown>> = [];

const keep = <T>(value: T): T => {
  returned.push(value);
  return value;
};

beforeAll(async () => {
  stack = await startStack();
  const config = loadConfig(process.env);
  zone = config.PROVIDER_TRUNK_BASE_DOMAIN!;
  domain = `contoso.${zone}`;
  const { graph } = await delegatedTokens(stack, DEMO_TENANT_ID, 'megan.bowen', SYNC_GRAPH_SCOPES);
  const tokens: TokenVault = {
    store: () => Promise.reject(new Error('not used')),
    read: (_runId, resource) => Promise.resolve(ok({ resource, accessToken: graph, expiresOn: new Date(Date.now() + 3600_000) })),
    deleteRun: () => Promise.reject(new Error('not used')),
    purgeExpired: () => Promise.reject(new Error('not used')),
  };
  gateway = graphTrunkDomains({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET! },
    tokens,
  })({ kind: 'run', runId: RUN_ID, tenantId: DEMO_TENANT_ID });
  expect(stack.simulator.contractChecks.enabled).toBe(true);

  const realFetch = globalThis.fetch;
  jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (init?.method === 'POST' && /\/v1\.0\/users$/.test(url) && typeof init.body === 'string') {
      const body = JSON.parse(init.body) as Record<string, unknown>;
      createBodies.push(body);
      const pw = (body.passwordProfile as { password?: string } | undefined)?.password;
      if (pw) passwords.push(pw);
    }
    return realFetch(input, init);
  });
}, 60_000);
afterAll(async () => {
  jest.restoreAllMocks();
  await stack?.stop();
});
afterEach(() => stack.simulator.control.clearFaults());

const relative = () => domain.slice(0, -(zone.length + 1));
const e3 = async () => {
  const stock = keep(await gateway.licences());
  if (!stock.ok) throw new Error(stock.error.message);
  return stock.value.find((s) => s.skuPartNumber === 'SPE_E3')!;
};

test('the subdomain is added unverified, verified once its TXT value is in the zone, and added again is the same', async () => {
  expect(keep(await gateway.get(domain))).toEqual({ ok: true, value: null });

  expect(keep(await gateway.add(domain))).toEqual({ ok: true, value: { id: domain, isVerified: false } });
  expect(keep(await gateway.get(domain))).toEqual({ ok: true, value: { id: domain, isVerified: false } });

  const text = keep(await gateway.verificationText(domain));
  expect(text).toMatchObject({ ok: true, value: expect.stringMatching(/^MS=ms\d{8}$/) });
  if (!text.ok) return;

  expect(keep(await gateway.verify(domain))).toEqual({ ok: true, value: { verified: false } });
  expect(keep(await gateway.get(domain))).toEqual({ ok: true, value: { id: domain, isVerified: false } });

  stack.simulator.control.setDnsRecord(zone, relative(), 'TXT', [text.value]);
  expect(keep(await gateway.verify(domain))).toEqual({ ok: true, value: { verified: true } });
  expect(keep(await gateway.verify(domain))).toEqual({ ok: true, value: { verified: true } });
  expect(keep(await gateway.get(domain))).toEqual({ ok: true, value: { id: domain, isVerified: true } });

  expect(keep(await gateway.add(domain))).toEqual({ ok: true, value: { id: domain, isVerified: true } });
  // An add whose read misses a domain an earlier attempt made: Graph refuses the create, the read after finds it.
  stack.simulator.control.injectFault({ service: 'graph', method: 'GET', path: `/domains/${domain}`, status: 404, times: 1 });
  expect(keep(await gateway.add(domain))).toEqual({ ok: true, value: { id: domain, isVerified: true } });
  expect(stack.simulator.control.faults()).toMatchObject([{ hits: 1 }]);
  expect(stack.simulator.control.domains(DEMO_TENANT_ID).filter((d) => d.id === domain)).toHaveLength(1);
});

test('the licence stock: E3 with Teams and the five unassigned units of the demo tenant', async () => {
  const stock = keep(await gateway.licences());
  expect(stock.ok).toBe(true);
  if (!stock.ok) return;
  expect(stock.value.find((s) => s.skuPartNumber === 'SPE_E3')).toEqual({
    skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965',
    skuPartNumber: 'SPE_E3',
    spare: 5,
    teams: true,
  });
  // Teams Phone Standard is an add-on: no Teams plan of its own.
  expect(stock.value.find((s) => s.skuPartNumber === 'MCOEV')).toMatchObject({ teams: false });
  for (const s of stock.value) expect(s.spare).toBeGreaterThanOrEqual(0);
});

test('the activation user: created enabled with a licence, twice is once, deleted twice', async () => {
  const upn = `teams-activation@${domain}`;
  const sku = await e3();
  const input = { userPrincipalName: upn, displayName: 'Teams trunk activation', usageLocation: 'US', skuId: sku.skuId };

  const created = keep(await gateway.createLicensedUser(input));
  expect(created).toMatchObject({ ok: true, value: { id: expect.any(String) } });
  if (!created.ok) return;
  expect(Object.keys(created.value)).toEqual(['id']);
  expect((await e3()).spare).toBe(sku.spare - 1);
  const user = stack.simulator.control.user(DEMO_TENANT_ID, upn);
  expect(user).toMatchObject({ id: created.value.id, accountEnabled: true });

  expect(createBodies).toHaveLength(1);
  expect(createBodies[0]).toMatchObject({
    accountEnabled: true,
    userPrincipalName: upn,
    usageLocation: 'US',
    mailNickname: 'teams-activation',
    passwordProfile: { forceChangePasswordNextSignIn: true },
  });
  const password = passwords[0]!;
  expect(password.length).toBeGreaterThanOrEqual(32);
  for (const re of [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/]) expect(password).toMatch(re);

  expect(keep(await gateway.createLicensedUser(input))).toEqual({ ok: true, value: { id: created.value.id } });
  expect(createBodies).toHaveLength(1);
  expect((await e3()).spare).toBe(sku.spare - 1);
  // A read that misses the user an earlier attempt made: Graph refuses the second create, the read after finds it.
  stack.simulator.control.injectFault({
    service: 'graph',
    method: 'GET',
    path: `/users/${encodeURIComponent(upn)}`,
    status: 404,
    times: 1,
  });
  expect(keep(await gateway.createLicensedUser(input))).toEqual({ ok: true, value: { id: created.value.id } });
  expect(createBodies).toHaveLength(2);
  expect((await e3()).spare).toBe(sku.spare - 1);

  expect(keep(await gateway.deleteUser(upn))).toEqual({ ok: true, value: undefined });
  expect(() => stack.simulator.control.user(DEMO_TENANT_ID, upn)).toThrow();
  expect((await e3()).spare).toBe(sku.spare);
  expect(keep(await gateway.deleteUser(upn))).toEqual({ ok: true, value: undefined });
});

test('a user outside the verified domains is refused for good', async () => {
  const sku = await e3();
  const refused = keep(
    await gateway.createLicensedUser({
      userPrincipalName: `teams-activation@unverified.${zone}`,
      displayName: 'Teams trunk activation',
      usageLocation: 'US',
      skuId: sku.skuId,
    }),
  );
  expect(refused).toMatchObject({ ok: false, error: { code: 'TRUNK_DOMAIN_FAILED', details: { status: 400 } } });
  expect(refused.ok || refused.error.transient).toBeFalsy();
});

test('one 503 is absorbed by the Graph client retry; an outage that lasts is transient TEAMS_UNAVAILABLE', async () => {
  stack.simulator.control.injectFault({ service: 'graph', path: '/domains', status: 503, retryAfterSeconds: 0, times: 1 });
  expect(keep(await gateway.get(domain))).toMatchObject({ ok: true, value: { id: domain } });

  stack.simulator.control.injectFault({ service: 'graph', path: '/domains', status: 503, retryAfterSeconds: 0, times: 10 });
  const down = keep(await gateway.get(domain));
  expect(down).toMatchObject({ ok: false, error: { code: 'TEAMS_UNAVAILABLE', transient: true, details: { status: 503 } } });

  stack.simulator.control.clearFaults();
  stack.simulator.control.injectFault({ service: 'graph', path: '/subscribedSkus', status: 429, retryAfterSeconds: 0, times: 10 });
  expect(keep(await gateway.licences())).toMatchObject({ ok: false, error: { code: 'TEAMS_THROTTLED', transient: true } });
});

test('a domain name Microsoft refuses is TRUNK_DOMAIN_FAILED, not transient; verify of a missing domain too', async () => {
  const bad = keep(await gateway.add('not a domain'));
  expect(bad).toMatchObject({ ok: false, error: { code: 'TRUNK_DOMAIN_FAILED', details: { status: 400 } } });
  expect(bad.ok || bad.error.transient).toBeFalsy();
  expect(keep(await gateway.verificationText(`missing.${zone}`))).toMatchObject({
    ok: false,
    error: { code: 'TRUNK_DOMAIN_FAILED', details: { status: 404 } },
  });
  expect(keep(await gateway.verify(`missing.${zone}`))).toMatchObject({
    ok: false,
    error: { code: 'TRUNK_DOMAIN_FAILED', details: { status: 404 } },
  });
});

test('every Graph request passed the contract, and the password is in no URL and no returned value', () => {
  expect(stack.simulator.control.contractViolations()).toEqual([]);
  // The activation user's, its second create (refused: it exists) and the create outside the verified domains.
  expect(passwords).toHaveLength(3);
  expect(new Set(passwords).size).toBe(3);
  const urls = stack.simulator.control
    .requestLog({ service: 'graph' })
    .map((e) => e.url)
    .join('\n');
  const text = JSON.stringify(returned);
  for (const pw of passwords) {
    expect(urls).not.toContain(pw);
    expect(urls).not.toContain(encodeURIComponent(pw));
    expect(text).not.toContain(pw);
  }
});
