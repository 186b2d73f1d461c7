/**
 * The local host's surface outside `/api`, as an outsider sees it: every Durable management route (RPC and webhook
 * form), the admin API and a few unknown paths, with no key, a wrong key or the function key. Each answers 401 or
 * 404, changes nothing and shows no key; the same routes work for whoever holds the master key, and the RPC form
 * only on the loopback listener the app's binding data names.
 */
import { DISCOVER_TENANT } from '../../shared/discovery/contract';
import { FUNCTION_KEY, MASTER_KEY, Stack, startStack } from '../support/stack';

const PROBE = 'surface-probe';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  // An instance to aim at: it must survive the probes, and its input must not show.
  stack.host.durable.startNew(DISCOVER_TENANT, { accountId: 'surface-account', tenantId: 'surface-tenant' }, PROBE);
  await stack.host.durable.whenIdle();
});
afterAll(() => stack?.stop());

/** Every Durable management operation the extension serves, relative to its base path. */
const DURABLE: [string, string][] = [
  ['GET', 'instances'],
  ['GET', 'instances/?showInput=true&runtimeStatus=Completed'],
  ['DELETE', 'instances?runtimeStatus=Completed'],
  ['POST', `orchestrators/${DISCOVER_TENANT}`],
  ['POST', `orchestrators/${DISCOVER_TENANT}/${PROBE}-new`],
  ['GET', `instances/${PROBE}?showHistory=true`],
  ['DELETE', `instances/${PROBE}`],
  ['POST', `instances/${PROBE}/terminate?reason=probe`],
  ['POST', `instances/${PROBE}/raiseEvent/approve`],
  ['POST', `instances/${PROBE}/rewind?reason=probe`],
  ['POST', `instances/${PROBE}/suspend?reason=probe`],
  ['POST', `instances/${PROBE}/resume?reason=probe`],
  ['POST', `instances/${PROBE}/restart`],
];

const OTHERS: [string, string][] = [
  ['GET', 'admin/functions'],
  ['POST', 'admin/functions/deliverOutbox'],
  ['POST', 'admin/functions/purgeAuthSessions'],
  ['GET', 'admin/host/status'],
  ['GET', 'admin/host/keys'],
  ['GET', 'admin'],
  ['GET', ''],
  ['GET', 'durabletask'],
  ['GET', 'runtime/webhooks'],
  ['GET', 'runtime/webhooks/durabletask'],
  ['GET', '.env'],
  ['GET', 'local.settings.json'],
  ['GET', 'favicon.ico'],
];

const withoutTheKey: { name: string; query: string; headers: Record<string, string> }[] = [
  { name: 'no key', query: '', headers: {} },
  { name: 'a wrong code', query: 'code=not-the-key', headers: {} },
  { name: 'the function key', query: '', headers: { 'x-functions-key': FUNCTION_KEY } },
  { name: 'the function key as code', query: `code=${FUNCTION_KEY}`, headers: {} },
];

const withQuery = (path: string, query: string) => (query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path);

test('every non-/api route answers 401 or 404 without the master key, changes nothing and shows no key', async () => {
  const probe = stack.host.durable.instances.get(PROBE);
  const before = [...stack.host.durable.instances.keys()].sort();
  const routes = [
    ...DURABLE.flatMap(([method, p]) => [
      [method, `durabletask/${p}`],
      [method, `runtime/webhooks/durabletask/${p}`],
    ]),
    ...OTHERS,
  ];
  const seen: string[] = [];
  for (const [method, p] of routes) {
    for (const key of withoutTheKey) {
      const res = await fetch(`${stack.url}/${withQuery(p, key.query)}`, {
        method,
        headers: key.headers,
        body: method === 'POST' ? '{"accountId":"a","tenantId":"t"}' : undefined,
      });
      const body = await res.text();
      seen.push(`${method} /${p} (${key.name}) -> ${res.status}`);
      expect({ method, p, key: key.name, status: [401, 404].includes(res.status) ? 'refused' : res.status }).toEqual({
        method,
        p,
        key: key.name,
        status: 'refused',
      });
      for (const secret of [MASTER_KEY, FUNCTION_KEY, 'code=', 'surface-tenant']) expect(body).not.toContain(secret);
      for (const value of res.headers.values()) expect(value).not.toContain(MASTER_KEY);
    }
  }
  expect(seen.length).toBe(routes.length * withoutTheKey.length);
  await stack.host.durable.whenIdle();
  expect([...stack.host.durable.instances.keys()].sort()).toEqual(before);
  expect(stack.host.durable.instances.get(PROBE)).toBe(probe);
});

test('the same routes serve the master key, and the RPC form only the loopback listener of the binding data', async () => {
  const webhook = await fetch(`${stack.url}/runtime/webhooks/durabletask/instances/${PROBE}?code=${MASTER_KEY}`);
  expect([200, 202]).toContain(webhook.status);
  expect(((await webhook.json()) as { instanceId: string }).instanceId).toBe(PROBE);
  expect((await fetch(`${stack.url}/admin/host/status`, { headers: { 'x-functions-key': MASTER_KEY } })).status).toBe(200);
  expect((await fetch(`${stack.url}/admin/functions?code=${MASTER_KEY}`)).status).toBe(200);

  // The public port has no RPC form even with the key: that one is for the app's own DurableClient.
  expect((await fetch(`${stack.url}/durabletask/instances/${PROBE}?code=${MASTER_KEY}`)).status).toBe(404);
  const { rpcBaseUrl } = stack.host.durableClientData as { rpcBaseUrl: string };
  expect(new URL(rpcBaseUrl).hostname).toBe('127.0.0.1');
  expect(new URL(rpcBaseUrl).origin).not.toBe(new URL(stack.url).origin);
  expect([200, 202]).toContain((await fetch(`${rpcBaseUrl}instances/${PROBE}`)).status);
});
