/**
 * One rule for each of the API's edge cases (docs/api.md, "Rules every route follows"): writes while a removal is
 * pending, If-Match forms, malformed ids, repeated changes and repeated query parameters.
 */
import { transition } from '../../shared/domain/account';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

const voiceUsers = { voiceUsers: [{ id: 'v1', displayName: 'Ada', phoneNumber: '+14255550100' }] };
const GUID = '00000000-0000-4000-8000-000000000001';

/** An active account (as activation and discovery would leave it), with one voice user. */
async function activeAccount(accountId: string): Promise<void> {
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: 'Rules', licenseCount: 2, globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@rules.example' } },
  });
  expect(put.status).toBe(201);
  const accounts = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const stored = (await accounts.get(accountId))!;
  const consented = transition(stored.account, 'consented', new Date());
  const active = consented.ok ? transition(consented.value, 'active', new Date()) : consented;
  if (!active.ok) throw new Error(active.error.code);
  expect((await accounts.save({ ...active.value, actionNeeded: 'none' }, stored.etag, [])).ok).toBe(true);
  expect((await stack.call('PUT', `accounts/${accountId}/voice-users`, { body: voiceUsers })).status).toBe(200);
}

const problemOf = async (res: Response) => ({ status: res.status, ...(await json(res)) });

test('while a removal is pending, every write about the account answers 409 ACCOUNT_REMOVAL_PENDING', async () => {
  await activeAccount('rules-removal');
  expect((await stack.call('DELETE', 'accounts/rules-removal/integration')).status).toBe(202);
  const directory = await stack.call('PUT', 'accounts/rules-removal/voice-users', { body: { voiceUsers: [] } });
  expect(await problemOf(directory)).toMatchObject({ status: 409, code: 'ACCOUNT_REMOVAL_PENDING' });
  const mapping = await stack.call('PUT', 'accounts/rules-removal/mapping', {
    body: { changes: [{ voiceUserId: 'v1', teamsUserId: null }] },
    headers: { 'if-match': '"1"' },
  });
  expect(await problemOf(mapping)).toMatchObject({ status: 409, code: 'ACCOUNT_REMOVAL_PENDING' });
  // The directory was not touched: the voice user is still there.
  const page = await json(await stack.call('GET', 'accounts/rules-removal/mapping'));
  expect(page.rows.map((r: { voiceUser: { id: string } }) => r.voiceUser.id)).toEqual(['v1']);
});

test('If-Match: "*" is accepted only where If-Match is optional; a required one needs a version', async () => {
  await activeAccount('rules-ifmatch');
  const star = await stack.call('PUT', 'accounts/rules-ifmatch/mapping', {
    body: { changes: [{ voiceUserId: 'v1', teamsUserId: null }] },
    headers: { 'if-match': '*' },
  });
  expect(await problemOf(star)).toMatchObject({ status: 428, code: 'PRECONDITION_REQUIRED' });
});

test('an If-Match with a version we never issued is stale (412), however many digits it has', async () => {
  await activeAccount('rules-huge');
  const huge = `"${'9'.repeat(40)}"`;
  const account = await stack.call('PUT', 'accounts/rules-huge', {
    body: { name: 'Renamed', licenseCount: 2, globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@rules.example' } },
    headers: { 'if-match': huge },
  });
  expect(await problemOf(account)).toMatchObject({ status: 412, code: 'STALE_ETAG' });
  const mapping = await stack.call('PUT', 'accounts/rules-huge/mapping', {
    body: { changes: [{ voiceUserId: 'v1', teamsUserId: null }] },
    headers: { 'if-match': huge },
  });
  expect(await problemOf(mapping)).toMatchObject({ status: 412, code: 'STALE_ETAG' });
});

describe('malformed changes are 400 VALIDATION_FAILED with errors[] naming the field', () => {
  beforeAll(() => activeAccount('rules-changes'));
  const putChanges = (changes: unknown[]) =>
    stack.call('PUT', 'accounts/rules-changes/mapping', { body: { changes }, headers: { 'if-match': '"1"' } });

  test('a Teams user id that is not an Entra object id (a GUID)', async () => {
    const res = await problemOf(await putChanges([{ voiceUserId: 'v1', teamsUserId: 'not-a-guid' }]));
    expect(res).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.errors).toEqual([expect.objectContaining({ field: 'changes.0.teamsUserId' })]);
  });

  test('the same voice user twice in one save', async () => {
    const res = await problemOf(
      await putChanges([
        { voiceUserId: 'v1', teamsUserId: GUID },
        { voiceUserId: 'v1', teamsUserId: null },
      ]),
    );
    expect(res).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.errors).toEqual([{ field: 'changes.1.voiceUserId', message: 'names the same voice user as changes.0' }]);
  });
});

test('a query parameter given twice is refused, naming it', async () => {
  await activeAccount('rules-query');
  for (const route of ['accounts/rules-query/mapping?page=1&page=2', 'accounts/rules-query/teams-users?filter=all&filter=eligible']) {
    const res = await problemOf(await stack.call('GET', route));
    expect({ route, ...res }).toMatchObject({ route, status: 400, code: 'VALIDATION_FAILED' });
    expect(res.errors[0]).toMatchObject({ message: 'is given more than once' });
  }
  const csv = await stack.call('PUT', 'accounts/rules-query/voice-users?defaultCountry=US&defaultCountry=GB', { body: voiceUsers });
  expect(await problemOf(csv)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'defaultCountry' }] });
  // The function key in the query (?code=) is the host's, not a parameter of ours.
  expect((await stack.call('GET', 'accounts/rules-query/mapping?page=1&code=test-function-key')).status).toBe(200);
});

describe('input hygiene', () => {
  const ga = { portalUserId: 'ga', displayName: 'GA', email: 'ga@rules.example' };

  test.each([
    ['NUL', 'Acme\u0000Ltd'],
    ['a right-to-left override', 'Acme \u202Egnp.exe'],
    ['a lone surrogate', 'Acme \uD800'],
  ])('an account name with %s is refused like a voice-user name', async (_, name) => {
    const account = await stack.call('PUT', 'accounts/rules-names', {
      rawBody: JSON.stringify({ name, licenseCount: 1, globalAdmin: ga }),
      headers: { 'content-type': 'application/json' },
    });
    expect(await problemOf(account)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    const admin = await stack.call('PUT', 'accounts/rules-names', {
      rawBody: JSON.stringify({ name: 'Acme', licenseCount: 1, globalAdmin: { ...ga, displayName: name } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(await problemOf(admin)).toMatchObject({ status: 400, errors: [{ field: 'globalAdmin.displayName' }] });
  });

  test('a voice-user name with a bidirectional override is refused', async () => {
    await activeAccount('rules-vu-name');
    const res = await stack.call('PUT', 'accounts/rules-vu-name/voice-users', {
      body: { voiceUsers: [{ id: 'v2', displayName: 'Eve \u202Eexe.txt', phoneNumber: '+14255550101' }] },
    });
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 422, code: 'DIRECTORY_INVALID' });
    expect(problem.errors[0]).toMatchObject({ field: 'displayName', message: expect.stringMatching(/bidirectional/) });
  });

  test('a CSV upload that is not UTF-8 is refused with the offset of the first bad byte, and changes nothing', async () => {
    await activeAccount('rules-utf8');
    const latin1 = Buffer.concat([Buffer.from('id,displayName,phoneNumber\nv9,Zo'), Buffer.from([0xeb]), Buffer.from(',+14255550109\n')]);
    const res = await fetch(`${stack.url}/api/accounts/rules-utf8/voice-users`, {
      method: 'PUT',
      headers: { 'x-functions-key': 'test-function-key', 'x-actor-id': 'p', 'x-actor-role': 'provider', 'content-type': 'text/csv' },
      body: latin1,
    });
    expect(await problemOf(res)).toMatchObject({ status: 400, code: 'BODY_NOT_UTF8', byteOffset: 32 });
    const page = await json(await stack.call('GET', 'accounts/rules-utf8/mapping'));
    expect(page.rows.map((r: { voiceUser: { id: string } }) => r.voiceUser.id)).toEqual(['v1']);
  });

  test('a charset other than UTF-8 is refused clearly', async () => {
    await activeAccount('rules-charset');
    const res = await stack.call('PUT', 'accounts/rules-charset/voice-users', {
      rawBody: 'id,displayName,phoneNumber\nv9,Zoe,+14255550109\n',
      headers: { 'content-type': 'text/csv; charset=ISO-8859-1' },
    });
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(problem.detail).toContain('UTF-8');
    const utf8 = await stack.call('PUT', 'accounts/rules-charset/voice-users', {
      rawBody: 'id,displayName,phoneNumber\nv9,Zoë,+14255550109\n',
      headers: { 'content-type': 'text/csv; charset="UTF-8"' },
    });
    expect(utf8.status).toBe(200);
  });
});
