/** The local Functions host serving fixture functions: routing, auth levels, timers, the durable client, listing. */
import { calls } from '../fixtures/durableApp';
import path from 'node:path';
import { ManualClock } from '../../local/host/clock';
import { startHost, RunningHost } from '../../local/host/host';

let host: RunningHost;
const lines: string[] = [];
const clock = new ManualClock(new Date('2026-03-01T08:01:00Z'));
const fk = { 'x-functions-key': 'test-function-key' };
const json = (response: Response): Promise<any> => response.json();

beforeAll(async () => {
  host = await startHost({
    appRoot: path.resolve(__dirname, '../..'),
    port: 0,
    clock,
    functionKey: 'test-function-key',
    masterKey: 'test-master-key',
    loadApp: false,
    log: (line) => lines.push(line),
  });
});
afterAll(() => host.stop());

test('routes with the api prefix, parameters, optional parameters and constraints', async () => {
  const withTag = await fetch(`${host.url}/api/items/42/blue?q=x`, { headers: fk });
  expect(withTag.status).toBe(200);
  expect(await json(withTag)).toEqual({ id: '42', tag: 'blue', q: 'x', body: null });
  expect(withTag.headers.get('x-item')).toBe('42');
  expect(withTag.headers.get('set-cookie')).toMatch(/^seen=yes; Path=\/; HttpOnly/);

  const withoutTag = await fetch(`${host.url}/api/items/7`, { headers: fk });
  expect((await json(withoutTag)).tag).toBeNull();

  expect((await fetch(`${host.url}/api/items/not-a-number`, { headers: fk })).status).toBe(404);
  expect((await fetch(`${host.url}/items/42`, { headers: fk })).status).toBe(404);
  const put = await fetch(`${host.url}/api/items/5`, {
    method: 'PUT',
    headers: { ...fk, 'content-type': 'application/json' },
    body: JSON.stringify({ a: 1 }),
  });
  expect(put.status).toBe(201);
  expect((await json(put)).body).toEqual({ a: 1 });
  expect((await fetch(`${host.url}/api/items/5`, { method: 'DELETE', headers: fk })).status).toBe(405);
});

test('auth levels: anonymous, function key by header or ?code=, admin needs the master key', async () => {
  expect((await fetch(`${host.url}/api/open`)).status).toBe(200);
  expect((await fetch(`${host.url}/api/items/1`)).status).toBe(401);
  expect((await fetch(`${host.url}/api/items/1`, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
  expect((await fetch(`${host.url}/api/items/1?code=test-function-key`)).status).toBe(200);
  expect((await fetch(`${host.url}/api/items/1?code=test-master-key`)).status).toBe(200);
  expect((await fetch(`${host.url}/api/secret`, { headers: fk })).status).toBe(401);
  expect((await fetch(`${host.url}/api/secret`, { headers: { 'x-functions-key': 'test-master-key' } })).status).toBe(200);
});

test('timers run on their NCRONTAB schedule with the manual clock, and on demand through the admin API', async () => {
  const before = calls.ticks.length;
  clock.advance(3 * 60 * 1000); // 08:04 — not yet due
  await new Promise((r) => setImmediate(r));
  expect(calls.ticks.length).toBe(before);
  clock.advance(2 * 60 * 1000); // 08:06 — the 08:05 run fired
  await new Promise((r) => setTimeout(r, 20));
  expect(calls.ticks.length).toBe(before + 1);
  clock.advance(10 * 60 * 1000); // 08:16 — 08:10 and 08:15
  await new Promise((r) => setTimeout(r, 20));
  expect(calls.ticks.length).toBe(before + 3);

  expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', headers: fk, body: '{}' })).status).toBe(401);
  const onDemand = await fetch(`${host.url}/admin/functions/tick`, {
    method: 'POST',
    headers: { 'x-functions-key': 'test-master-key' },
    body: '{}',
  });
  expect(onDemand.status).toBe(202);
  await new Promise((r) => setTimeout(r, 20));
  expect(calls.ticks.length).toBe(before + 4);
});

test('every registered function is listed at start and by the admin API', async () => {
  for (const name of ['echo', 'flaky', 'fanOut', 'retrying', 'startOrchestration', 'items', 'tick']) {
    expect(lines.some((l) => l.startsWith(`  ${name}:`))).toBe(true);
  }
  expect(lines.find((l) => l.startsWith('  items:'))).toContain('/api/items/{id:int}/{tag?} (function)');
  const listed = (await json(await fetch(`${host.url}/admin/functions`, { headers: { 'x-functions-key': 'test-master-key' } }))) as {
    name: string;
    trigger: string;
  }[];
  expect(listed.map((f) => f.name).sort()).toEqual(host.functions.map((f) => f.name).sort());
  expect(listed.find((f) => f.name === 'fanOut')?.trigger).toBe('orchestrationTrigger');
});

test('the SDK DurableClient works unchanged: start, status with history, check-status links, list, conflict', async () => {
  const start = await fetch(`${host.url}/api/orchestrators/fanOut/client-test`, { method: 'POST', headers: fk, body: '5' });
  expect(start.status).toBe(202);
  const links = (await json(start)) as { id: string; statusQueryGetUri: string };
  expect(links.id).toBe('client-test');
  expect(links.statusQueryGetUri.startsWith(host.url)).toBe(true);
  await host.durable.whenIdle();

  const status = await json(await fetch(`${host.url}/api/status/client-test?history=true`));
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.output).toBe(10);
  expect(status.history.length).toBeGreaterThan(5);

  const webhook = await fetch(links.statusQueryGetUri);
  expect(webhook.status).toBe(200);
  expect((await json(webhook)).output).toBe(10);

  await fetch(`${host.url}/api/orchestrators/approval/client-wait`, { method: 'POST', headers: fk });
  await host.durable.whenIdle();
  const conflict = await fetch(`${host.url}/api/orchestrators/approval/client-wait`, { method: 'POST', headers: fk });
  expect(conflict.status).toBe(500); // the fixture lets the client's error surface; the product maps it to 409
  expect(lines.some((l) => l.includes('409') && l.includes('already exists'))).toBe(true);

  // The management API: the webhook form on the public port with the master key, the RPC form on loopback only.
  const webhookList = `${host.url}/runtime/webhooks/durabletask/instances/?runtimeStatus=Running`;
  expect((await fetch(webhookList)).status).toBe(401);
  expect((await fetch(`${host.url}/durabletask/instances/`)).status).toBe(404);
  const list = (await json(await fetch(`${webhookList}&code=test-master-key`))) as { instanceId: string }[];
  expect(list.map((i) => i.instanceId)).toContain('client-wait');
  const rpcBaseUrl = (host.durableClientData as { rpcBaseUrl: string }).rpcBaseUrl;
  expect(new URL(rpcBaseUrl).hostname).toBe('127.0.0.1');
  expect(new URL(rpcBaseUrl).port).not.toBe(new URL(host.url).port);
  expect((await json(await fetch(`${rpcBaseUrl}instances/?runtimeStatus=Running`))).length).toBe(list.length);
  expect(list.map((i) => i.instanceId)).not.toContain('client-test');
  host.durable.terminate('client-wait', 'test done');
});

test('invocations are logged with their ids', () => {
  const executed = lines.filter((l) => /^information \[items [0-9a-f-]{36}\] Executed 'items' \(Succeeded, Duration=\d+ms\)$/.test(l));
  expect(executed.length).toBeGreaterThanOrEqual(4);
  const ids = executed.map((l) => /items ([0-9a-f-]{36})/.exec(l)![1]);
  expect(new Set(ids).size).toBe(ids.length);
  expect(lines).toContain(lines.find((l) => /GET \/api\/items\/42\/blue -> 200/.test(l)));
});
