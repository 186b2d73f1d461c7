/** Random bodies, ids and headers at every accounts endpoint: any answer but a 500 (or a hang). */
import fc from 'fast-check';
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const accountBody = fc.record(
  {
    name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    licenseCount: fc.oneof(fc.integer({ min: -5, max: 200000 }), fc.double(), fc.string()),
    globalAdmin: fc.oneof(
      fc.record(
        { portalUserId: fc.string(), displayName: fc.string(), email: fc.oneof(fc.emailAddress(), fc.string()) },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    tenantId: fc.oneof(fc.uuid(), fc.string(), fc.constant(null)),
    settings: fc.oneof(
      fc.record(
        { policyPrefix: fc.string(), numberType: fc.constantFrom('directRouting', 'operatorConnect', 'DirectRouting') },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

const valid = { name: 'Fuzz', licenseCount: 3, globalAdmin: { portalUserId: 'f', displayName: 'F', email: 'f@fuzz.example' } };
/** Mostly well-formed parts, so runs also get past validation and exercise storage and email queuing. */
const usually = <T>(good: T, other: fc.Arbitrary<T | undefined>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(good) }, { weight: 2, arbitrary: other });

const request = fc.record({
  method: fc.constantFrom('PUT', 'GET', 'GET status', 'DELETE'),
  accountId: fc.oneof(fc.constantFrom('acme', 'fuzz-1', 'a.b_c-d'), fc.string({ maxLength: 70 })),
  role: usually<string | undefined>('provider', maybe(fc.oneof(fc.constantFrom('admin', 'user'), headerText))),
  actorId: usually<string | undefined>('fuzzer', maybe(headerText)),
  actorAccount: maybe(fc.oneof(fc.constant('fuzz-1'), headerText)),
  ifMatch: usually<string | undefined>(undefined, maybe(fc.oneof(fc.constantFrom('"1"', '*', 'W/"2"'), headerText))),
  contentType: usually<string | undefined>(
    'application/json',
    maybe(fc.oneof(fc.constantFrom('application/problem+json', 'text/csv'), headerText)),
  ),
  body: fc.oneof(
    { weight: 2, arbitrary: fc.constant(JSON.stringify(valid)) },
    { weight: 3, arbitrary: accountBody.map((b) => JSON.stringify({ ...valid, ...b })) },
    { weight: 1, arbitrary: fc.oneof(fc.json(), fc.string(), fc.constant('')) },
  ),
});

test('no input makes an accounts endpoint answer 500', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = {};
      if (r.role !== undefined) headers['x-actor-role'] = r.role;
      if (r.actorId !== undefined) headers['x-actor-id'] = r.actorId;
      if (r.actorAccount !== undefined) headers['x-actor-account'] = r.actorAccount;
      if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      const id = encodeURIComponent(r.accountId);
      const [method, route] =
        r.method === 'GET status'
          ? ['GET', `accounts/${id}/status`]
          : r.method === 'DELETE'
            ? ['DELETE', `accounts/${id}/integration`]
            : [r.method, `accounts/${id}`];
      const res = await stack.call(method, route, { actor: null, headers, rawBody: method === 'PUT' ? r.body : undefined });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      if (res.status >= 400 && res.status !== 404 && res.status !== 405) {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(JSON.parse(text).code).toMatch(/^[A-Z_]+$/);
      }
      expect(res.status).toBeLessThan(500);
    }),
    { numRuns: 300, seed: 20261125 },
  );
  // The run reached past validation too, not only the first 400.
  expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
}, 120_000);

const queryValue = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom('True', 'access_denied', 'a.b.c', ''),
  fc.base64String({ maxLength: 200 }),
);
const browserRequest = fc.record({
  route: fc.constantFrom('integration', 'integration/authorize', 'auth/consent', 'auth/signin'),
  method: fc.constantFrom('GET', 'POST'),
  query: fc.dictionary(fc.constantFrom('link', 'state', 'code', 'error', 'error_description', 'admin_consent', 'tenant', 'x'), queryValue, {
    maxKeys: 5,
  }),
  form: fc.dictionary(fc.constantFrom('link', 'csrf', 'other'), queryValue, { maxKeys: 3 }),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
  cookie: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 80 }).map((v) => `tvs_csrf=${v}; tvs_flow=${v}`),
  ),
});

test('no input makes a browser endpoint (integration page, Microsoft callbacks) answer 500', async () => {
  await fc.assert(
    fc.asyncProperty(browserRequest, async (r) => {
      const url = new URL(`${stack.url}/api/${r.route}`);
      for (const [k, v] of Object.entries(r.query)) url.searchParams.set(k, v);
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      if (r.cookie) headers.cookie = r.cookie;
      const res = await fetch(url, {
        method: r.method,
        headers,
        body: r.method === 'POST' ? new URLSearchParams(r.form).toString() : undefined,
        redirect: 'manual',
      });
      await res.text();
      expect(res.status).toBeLessThan(500);
    }),
    { numRuns: 200, seed: 20261125 },
  );
}, 120_000);

const mappingRequest = fc.record({
  route: fc.constantFrom('voice-users', 'mapping', 'teams-users'),
  method: fc.constantFrom('GET', 'PUT'),
  accountId: fc.oneof(fc.constant('fuzz-1'), fc.string({ maxLength: 70 })),
  query: fc.dictionary(fc.constantFrom('page', 'pageSize', 'defaultCountry', 'filter', 'includeGone', 'x'), fc.string({ maxLength: 12 }), {
    maxKeys: 3,
  }),
  ifMatch: maybe(fc.oneof(fc.constantFrom('"0"', '"1"', '*'), headerText)),
  contentType: fc.constantFrom('application/json', 'text/csv', 'text/plain'),
  body: fc.oneof(
    fc.json(),
    fc.string(),
    fc.record({ changes: fc.array(fc.record({ voiceUserId: fc.string(), teamsUserId: fc.option(fc.string()) }), { maxLength: 120 }) }),
    fc.record({
      voiceUsers: fc.array(
        fc.record(
          {
            id: fc.string(),
            displayName: fc.string(),
            phoneNumber: fc.oneof(fc.string(), fc.integer()),
            extension: fc.anything(),
            musicOnHold: fc.string(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 20 },
      ),
    }),
    fc
      .array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), { maxLength: 10 })
      .map((rows) => ['id,displayName,phoneNumber,extension', ...rows.map((r) => r.join(','))].join('\n')),
  ),
});

test('no input makes a voice-user, mapping or teams-users endpoint answer 500', async () => {
  await stack.call('PUT', 'accounts/fuzz-1', { body: valid });
  await fc.assert(
    fc.asyncProperty(mappingRequest, async (r) => {
      const url = `accounts/${encodeURIComponent(r.accountId)}/${r.route}?${new URLSearchParams(r.query).toString()}`;
      const headers: Record<string, string> = { 'content-type': r.contentType };
      if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
      const rawBody = r.method === 'PUT' ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined;
      const res = await stack.call(r.method, url, { headers, rawBody });
      const text = await res.text();
      if (res.status >= 400 && res.status !== 404 && res.status !== 405) expect(JSON.parse(text).code).toMatch(/^[A-Z_]+$/);
      expect(res.status).toBeLessThan(500);
    }),
    { numRuns: 200, seed: 20261125 },
  );
}, 120_000);

describe('malformed percent-encoding in the path', () => {
  // Every route the app registers, with each segment in turn broken, plus the reported cases: 400, never a 500.
  const BROKEN = ['%', '%zz', '%E0%A4%A', '%C3%28x'];
  const templates = (): string[] =>
    stack.host.functions
      .filter((f) => f.trigger.type === 'httpTrigger')
      .map((f) => String((f.trigger as { route?: string }).route ?? f.name).replace(/\{[^}]+\}/g, 'acme'));
  const variants = (): string[] => {
    const out = new Set(['accounts/%', 'accounts/%zz/status', 'integration%', '%', 'accounts/%/mapping', 'auth/signin%']);
    for (const route of templates()) {
      const segments = route.split('/');
      segments.forEach((_, i) => {
        for (const broken of BROKEN) out.add(segments.map((s, j) => (j === i ? `${s}${broken}` : s)).join('/'));
      });
    }
    return [...out];
  };

  test('every route answers 400 before the key check, with or without a key', async () => {
    const paths = variants();
    expect(paths.length).toBeGreaterThan(40);
    for (const p of paths) {
      for (const key of [undefined, 'test-function-key']) {
        const res = await fetch(`${stack.url}/api/${p}${key ? `?code=${key}` : ''}`);
        expect({ p, status: res.status }).toEqual({ p, status: 400 });
      }
    }
  });

  test('the host surfaces outside /api answer 400 too, not 500', async () => {
    for (const p of ['durabletask/instances/%zz', 'admin/functions/%', 'runtime/webhooks/durabletask/instances/%E0%A4%A']) {
      expect((await fetch(`${stack.url}/${p}`)).status).toBe(400);
    }
  });
});
