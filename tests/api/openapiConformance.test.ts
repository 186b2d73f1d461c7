/**
 * The OpenAPI document against the running app. Every API test checks each answer it gets (tests/support/stack.ts);
 * this file makes sure every operation is exercised (success and its main problems), that the checker catches what
 * it should, and that a client generated from the document (openapi-typescript + openapi-fetch) type-checks and
 * knows which members may be null.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import createClient from 'openapi-fetch';
import ts from 'typescript';
import { enableAndActivate } from '../support/activate';
import { conformance } from '../support/openapiConformance';
import { FUNCTION_KEY, json, REPO_ROOT, Stack, startStack } from '../support/stack';

let stack: Stack;
const ACCOUNT = 'oa-active';
const NEW_ACCOUNT = 'oa-new';
const accountBody = (name = 'OpenAPI Ltd') => ({
  name,
  licenseCount: 2,
  globalAdmin: { portalUserId: 'ga-oa', displayName: 'Oa Admin', email: 'ga-oa@customer.example' },
});
const ADMIN = { id: 'admin-oa', role: 'admin' as const, account: ACCOUNT };

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
  await enableAndActivate(stack, ACCOUNT, 2);
}, 60_000);
afterAll(() => stack?.stop());

test('every API function is an operation of the document, by its name, method and route', async () => {
  const doc = conformance().document;
  const apiFunctions = stack.host.functions.filter((f) => /^accounts\//.test(String((f.trigger as { route?: string }).route)));
  expect(apiFunctions.length).toBeGreaterThan(0);
  for (const fn of apiFunctions) {
    const trigger = fn.trigger as { route: string; methods: string[] };
    const op = conformance().operation(fn.name);
    expect({ fn: fn.name, method: op?.method, path: op?.path }).toEqual({
      fn: fn.name,
      method: trigger.methods[0].toUpperCase(),
      path: `/${trigger.route}`,
    });
  }
  const operationIds = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  expect(operationIds.sort()).toEqual(apiFunctions.map((f) => f.name).sort());
});

test('every pattern in the document is a plain ECMA regular expression (no JS flags copied in) that a client can use', () => {
  const patterns = [...JSON.stringify(conformance().document).matchAll(/"pattern":"((?:[^"\\]|\\.)*)"/g)].map(
    (m) => JSON.parse(`"${m[1]}"`) as string,
  );
  expect(patterns.length).toBeGreaterThan(3);
  for (const p of patterns) {
    expect({ p, flag: /\/[a-z]*$/.test(p) }).toEqual({ p, flag: false });
    expect(() => new RegExp(p, 'u')).not.toThrow();
  }
  const guid = patterns.find((p) => p.includes('{12}'))!;
  expect(new RegExp(guid, 'u').test('3F1C5A2E-8B7D-4C19-A6E4-2D9B0F7C3E51')).toBe(true);
});

test('every operation answers as documented: successes and the main problems', async () => {
  const headers = (etag: string) => ({ 'if-match': etag });
  // putAccount: 201, 200, 400, 401, 403, 412, 415
  const created = await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { body: accountBody() });
  expect(created.status).toBe(201);
  expect(created.headers.get('location')).toBe(`/api/accounts/${NEW_ACCOUNT}`);
  const etag = created.headers.get('etag') as string;
  expect((await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { body: accountBody('Renamed'), headers: headers(etag) })).status).toBe(200);
  const stale = await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { body: accountBody('Again'), headers: headers(etag) });
  expect(stale.status).toBe(412);
  expect((await json(stale)).currentVersion).toBe(2);
  expect((await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { body: { name: '' } })).status).toBe(400);
  expect((await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { rawBody: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(
    415,
  );
  expect((await stack.call('PUT', `accounts/${NEW_ACCOUNT}`, { body: accountBody(), actor: ADMIN })).status).toBe(403);
  expect((await fetch(`${stack.url}/api/accounts/${NEW_ACCOUNT}`, { method: 'PUT' })).status).toBe(401);

  // getAccount, getAccountStatus: 200 (a new account's discovery is null), 404, 400
  expect((await stack.call('GET', `accounts/${NEW_ACCOUNT}`)).status).toBe(200);
  const newStatus = await stack.call('GET', `accounts/${NEW_ACCOUNT}/status`);
  expect((await json(newStatus)).discovery).toBeNull();
  expect((await stack.call('GET', `accounts/${ACCOUNT}/status`)).status).toBe(200);
  expect((await stack.call('GET', 'accounts/nobody')).status).toBe(404);
  expect((await stack.call('GET', 'accounts/nobody/status')).status).toBe(404);
  expect((await stack.call('GET', `accounts/${ACCOUNT}/status`, { actor: null })).status).toBe(400);

  // putVoiceUsers: 200 (JSON and CSV), 422, 415
  const voiceUsers = [
    { id: 'v1', displayName: 'Voice One', phoneNumber: '+14255551001' },
    { id: 'v2', displayName: 'Voice Two', phoneNumber: '+14255551002' },
  ];
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, { body: { voiceUsers } })).status).toBe(200);
  const csv = 'id,displayName,phoneNumber\nv1,Voice One,+14255551001\nv2,Voice Two,+14255551002\n';
  const fromCsv = await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, { rawBody: csv, headers: { 'content-type': 'text/csv' } });
  expect(fromCsv.status).toBe(200);
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, { body: { voiceUsers: [{ id: 'v1' }] } })).status).toBe(422);
  const xml = { rawBody: '<a/>', headers: { 'content-type': 'application/xml' } };
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, xml)).status).toBe(415);

  // getTeamsUsers: 200, 400
  const teams = await json(await stack.call('GET', `accounts/${ACCOUNT}/teams-users?filter=eligible`));
  expect((await stack.call('GET', `accounts/${ACCOUNT}/teams-users?page=0`)).status).toBe(400);

  // getMapping, putMapping: 200, 428, 412, 422
  const page = await stack.call('GET', `accounts/${ACCOUNT}/mapping`);
  expect(page.status).toBe(200);
  const mappingEtag = page.headers.get('etag') as string;
  const changes = [{ voiceUserId: 'v1', teamsUserId: teams.users[0].id as string }];
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes } })).status).toBe(428);
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: headers(mappingEtag) })).status).toBe(200);
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: headers(mappingEtag) })).status).toBe(412);
  const unknownVoiceUser = { changes: [{ voiceUserId: 'nobody', teamsUserId: null }] };
  const current = (await stack.call('GET', `accounts/${ACCOUNT}/mapping`)).headers.get('etag') as string;
  expect((await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: unknownVoiceUser, headers: headers(current) })).status).toBe(422);

  // getSyncRuns, getSyncRun: 200 (an empty list), 400, 404
  expect((await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-runs`))).runs).toEqual([]);
  expect((await stack.call('GET', `accounts/${ACCOUNT}/sync-runs?pageSize=0`)).status).toBe(400);
  expect((await stack.call('GET', `accounts/${ACCOUNT}/sync-runs/not-a-guid`)).status).toBe(400);
  expect((await stack.call('GET', `accounts/${ACCOUNT}/sync-runs/00000000-0000-4000-8000-000000000001`)).status).toBe(404);

  // deleteIntegration: 202, 412
  const account = await stack.call('GET', `accounts/${NEW_ACCOUNT}`);
  expect((await stack.call('DELETE', `accounts/${NEW_ACCOUNT}/integration`, { headers: headers('"1"') })).status).toBe(412);
  const removal = await stack.call('DELETE', `accounts/${NEW_ACCOUNT}/integration`, { headers: headers(account.headers.get('etag')!) });
  expect(removal.status).toBe(202);

  const seen = conformance().seen;
  const statuses = (op: string) => [...(seen.get(op) ?? [])].sort();
  expect(statuses('putAccount')).toEqual([200, 201, 400, 401, 403, 412, 415]);
  expect(statuses('getAccount')).toEqual(expect.arrayContaining([200, 404]));
  expect(statuses('getAccountStatus')).toEqual(expect.arrayContaining([200, 400, 404]));
  expect(statuses('putVoiceUsers')).toEqual(expect.arrayContaining([200, 415, 422]));
  expect(statuses('getTeamsUsers')).toEqual(expect.arrayContaining([200, 400]));
  expect(statuses('getMapping')).toEqual(expect.arrayContaining([200]));
  expect(statuses('putMapping')).toEqual(expect.arrayContaining([200, 412, 422, 428]));
  expect(statuses('deleteIntegration')).toEqual(expect.arrayContaining([202, 412]));
  expect(statuses('getSyncRuns')).toEqual(expect.arrayContaining([200, 400]));
  expect(statuses('getSyncRun')).toEqual(expect.arrayContaining([400, 404]));
});

describe('the checker', () => {
  const exchange = (over: object) => ({
    functionName: 'getAccountStatus',
    method: 'GET',
    path: '/api/accounts/a/status',
    status: 200,
    headers: { 'content-type': 'application/json', etag: '"1"', 'x-correlation-id': 'c-1' },
    body: Buffer.from('{}'),
    ...over,
  });

  test('finds an undeclared status, a missing declared header, a sent header not declared and a body off its schema', () => {
    const check = (over: object) => conformance().check(exchange(over));
    expect(check({ status: 418 })).toEqual([expect.stringContaining('status 418 is not declared')]);
    expect(check({ headers: { 'content-type': 'application/json' } }).join('\n')).toMatch(/declared header etag is missing/);
    expect(check({ functionName: 'getTeamsUsers' }).join('\n')).toMatch(/header etag is sent but not declared/);
    expect(check({ headers: { 'content-type': 'text/plain', etag: '"1"', 'x-correlation-id': 'c' } }).join('\n')).toMatch(
      /content type "text\/plain" is not declared/,
    );
    expect(check({}).join('\n')).toMatch(/does not match its schema: \(root\) must have required property 'accountId'/);
    expect(check({ status: 401, headers: {}, body: Buffer.from('no') }).join('\n')).toMatch(/a body is sent where none is declared/);
  });
});

describe('a client generated from GET /api/openapi.json', () => {
  test('type-checks, and knows that discovery may be null while accountId may not', async () => {
    expect((await stack.call('PUT', 'accounts/oa-client', { body: accountBody() })).status).toBe(201);
    const client = createClient<any>({ baseUrl: `${stack.url}/api` });
    const { data, response } = await client.GET('/accounts/{accountId}/status', {
      params: {
        path: { accountId: 'oa-client' },
        header: { 'x-functions-key': FUNCTION_KEY, 'x-actor-id': 'p', 'x-actor-role': 'provider' },
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(data.discovery).toBeNull();

    const doc = await json(await fetch(`${stack.url}/api/openapi.json`));
    const dir = path.join(REPO_ROOT, 'test-output', 'openapi-client');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(doc));
    // Its command line, as a client author runs it (its library is ESM underneath, which jest cannot load).
    const cli = path.join(path.dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js');
    const generated = spawnSync(process.execPath, [cli, 'openapi.json', '--output', 'api.d.ts'], { cwd: dir, encoding: 'utf8' });
    expect(generated.stderr).not.toMatch(/error/i);
    expect(generated.status).toBe(0);
    const use = (name: string, code: string): readonly ts.Diagnostic[] => {
      const file = path.join(dir, `${name}.ts`);
      writeFileSync(
        file,
        [
          "import createClient from 'openapi-fetch';",
          "import type { components, paths } from './api';",
          "type Status = components['schemas']['AccountStatus'];",
          "export const client = createClient<paths>({ baseUrl: 'http://127.0.0.1/api' });",
          code,
        ].join('\n'),
      );
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        target: ts.ScriptTarget.ES2022,
        skipLibCheck: true,
        typeRoots: [],
      });
      return ts.getPreEmitDiagnostics(program);
    };
    const messages = (d: readonly ts.Diagnostic[]) => d.map((x) => ts.flattenDiagnosticMessageText(x.messageText, '\n'));
    const good = use(
      'good',
      [
        'export const none: Status["discovery"] = null;',
        'export async function read(id: string): Promise<string | undefined> {',
        "  const { data, response } = await client.GET('/accounts/{accountId}/status', {",
        "    params: { path: { accountId: id }, header: { 'x-actor-id': 'p', 'x-actor-role': 'provider' } },",
        '  });',
        "  response.headers.get('etag');",
        '  return data?.discovery?.status;',
        '}',
      ].join('\n'),
    );
    expect(messages(good)).toEqual([]);
    expect(messages(use('bad', 'export const wrong: Status["accountId"] = null;'))).toEqual([
      expect.stringContaining("Type 'null' is not assignable to type 'string'"),
    ]);
  }, 60_000);
});
