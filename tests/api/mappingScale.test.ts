/**
 * The mapping at scale: a page and a save read what they need, not whole partitions (Table Storage requests watched
 * through the table-traffic proxy), the stored page order follows the directory, the free Teams users are limited and
 * searchable, and a partition written before the Teams-user index gets it on first use and keeps the mapping rules.
 */
import { TableClient } from '@azure/data-tables';
import { transition } from '../../shared/domain/account';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { tableTeamsUserStore } from '../../shared/storage/teamsUserStore';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
const USERS = 1500; // more than one chunk of the page order (1,000) and of the free list (500)
const teamsId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const voiceUser = (i: number, name = `Voice User ${String(i).padStart(4, '0')}`) => ({
  id: `v${i}`,
  displayName: name,
  email: null,
  extension: null,
  phoneNumber: `+1425${String(5000000 + i)}`,
});

/** An active account with USERS eligible Teams users written as discovery writes them, and its directory. */
async function activeAccount(accountId: string, licenseCount: number): Promise<void> {
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: 'Scale', licenseCount, globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@scale.example' } },
  });
  expect(put.status).toBe(201);
  const accounts = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const stored = (await accounts.get(accountId))!;
  const consented = transition(stored.account, 'consented', new Date());
  const active = consented.ok ? transition(consented.value, 'active', new Date()) : consented;
  if (!active.ok) throw new Error(active.error.code);
  await accounts.save({ ...active.value, actionNeeded: 'none' }, stored.etag, []);
  await tableTeamsUserStore(table(stack.azurite.connectionString, 'teamsUsers')).saveSeen(
    accountId,
    Array.from({ length: USERS }, (_, i) => ({
      id: teamsId(i),
      displayName: `Teams User ${String(i).padStart(4, '0')}`,
      userPrincipalName: `user${i}@scale.example`,
      mail: null,
      department: null,
      accountEnabled: true,
      eligible: true,
      ineligibleReason: null,
      teamsPhoneStatus: 'Enabled',
      callingPlan: false,
      resourceAccount: false,
      resourceAccountKind: null,
      lastSeen: 'seed',
      lastSeenAt: '2026-12-01T00:00:00.000Z',
      gone: false,
      goneSince: null,
    })),
  );
  const directory = await stack.call('PUT', `accounts/${accountId}/voice-users`, {
    body: { voiceUsers: Array.from({ length: USERS }, (_, i) => voiceUser(i)) },
  });
  expect(directory.status).toBe(200);
}

const getMapping = async (accountId: string, query = '') => {
  const res = await stack.call('GET', `accounts/${accountId}/mapping${query}`);
  expect(res.status).toBe(200);
  return { etag: res.headers.get('etag') as string, body: await json(res) };
};
const save = (accountId: string, changes: { voiceUserId: string; teamsUserId: string | null }[], etag: string) =>
  stack.call('PUT', `accounts/${accountId}/mapping`, { body: { changes }, headers: { 'if-match': etag } });

/** The requests the app sent to a table during `run`. */
async function requestsDuring(tables: string[], run: () => Promise<unknown>): Promise<Map<string, Array<{ method: string; url: string }>>> {
  stack.tableTraffic!.clear();
  await run();
  return new Map(tables.map((t) => [t, stack.tableTraffic!.requests(t)]));
}
/** A request reading one row by its keys, or a query bounded by a RowKey range or RowKey equality. */
const pointOrRange = (r: { method: string; url: string }) =>
  r.method === 'GET' && (/\(PartitionKey='[^']*',RowKey='[^']*'\)/.test(r.url) || /RowKey (ge|le|lt|eq) '/.test(r.url));

beforeAll(async () => {
  stack = await startStack({ tableTraffic: true });
  await activeAccount('scale', 100);
}, 120_000);
afterAll(() => stack?.stop());

test('a page read is a few point and range reads, never a scan of the voice users or the Teams users', async () => {
  await getMapping('scale'); // the first read builds the page order and the free list
  const seen = await requestsDuring(['voiceUsers', 'teamsUsers'], async () => {
    const { body } = await getMapping('scale', '?page=100'); // positions 990-999: the end of the first order chunk
    expect(body).toMatchObject({ page: 100, total: USERS, totalPages: USERS / 10 });
    expect(body.rows.map((r: any) => r.voiceUser.id)).toEqual(Array.from({ length: 10 }, (_, i) => `v${990 + i}`));
    expect(body.availableTeamsUsers).toHaveLength(50);
    expect(body.availableTeamsUsers[0]).toMatchObject({ id: teamsId(0), displayName: 'Teams User 0000' });
    expect(body.moreTeamsUsersAvailable).toBe(true);
  });
  const voice = seen.get('voiceUsers')!;
  const teams = seen.get('teamsUsers')!;
  expect(voice.every(pointOrRange)).toBe(true);
  expect(teams.every(pointOrRange)).toBe(true);
  // The state row (twice: the page and the index), one order range, 10 rows, the held index; the free list's marker and chunk.
  expect(voice.length).toBeLessThanOrEqual(14);
  expect(teams.length).toBeLessThanOrEqual(2);

  const across = await requestsDuring(['voiceUsers'], async () => {
    const { body } = await getMapping('scale', '?page=100&pageSize=20'); // positions 1980-1999: past the end
    expect(body.rows).toEqual([]);
    const spanning = await getMapping('scale', '?page=50&pageSize=20'); // positions 980-999
    expect(spanning.body.rows).toHaveLength(20);
    const second = await getMapping('scale', '?page=6&pageSize=100'); // positions 500-599
    expect(second.body.rows[0].voiceUser.id).toBe('v500');
  });
  expect(across.get('voiceUsers')!.every(pointOrRange)).toBe(true);
});

test('a 10-change save reads only the rows it names; the free list then leaves them out', async () => {
  const { etag } = await getMapping('scale');
  const changes = Array.from({ length: 10 }, (_, i) => ({ voiceUserId: `v${i}`, teamsUserId: teamsId(i) }));
  let res: Response | undefined;
  const seen = await requestsDuring(['voiceUsers', 'teamsUsers'], async () => {
    res = await save('scale', changes, etag);
  });
  expect(res!.status).toBe(200);
  expect(await json(res!)).toMatchObject({ changed: 10, licenses: { held: 10 }, queuedChanges: 10 });
  const voice = seen.get('voiceUsers')!;
  expect(voice.filter((r) => r.method === 'GET').every(pointOrRange)).toBe(true);
  expect(voice.filter((r) => r.method !== 'GET')).toHaveLength(1); // one transaction: rows, index rows, state row
  expect(voice.length).toBeLessThanOrEqual(1 + 10 + 10 + 1);
  expect(seen.get('teamsUsers')!.every(pointOrRange)).toBe(true);

  const { body } = await getMapping('scale');
  expect(body.rows[0]).toMatchObject({ voiceUser: { id: 'v0' }, teamsUser: { id: teamsId(0), displayName: 'Teams User 0000' } });
  expect(body.availableTeamsUsers[0].id).toBe(teamsId(10));
  const search = await getMapping('scale', '?teamsUserSearch=teams%20user%20000');
  expect(search.body.availableTeamsUsers).toEqual([]); // 0000-0009 are mapped now
  const found = await getMapping('scale', '?teamsUserSearch=USER1234@');
  expect(found.body.availableTeamsUsers).toEqual([
    { id: teamsId(1234), displayName: 'Teams User 1234', userPrincipalName: 'user1234@scale.example' },
  ]);
  expect(found.body.moreTeamsUsersAvailable).toBe(false);
});

test('two saves mapping one Teams user to two voice users at once: one wins, the other is refused', async () => {
  const { etag } = await getMapping('scale');
  const [a, b] = await Promise.all([
    save('scale', [{ voiceUserId: 'v20', teamsUserId: teamsId(20) }], etag),
    save('scale', [{ voiceUserId: 'v21', teamsUserId: teamsId(20) }], etag),
  ]);
  expect([a.status, b.status].sort()).toEqual([200, 412]);
  // Read again and retried, the loser is told who holds it.
  const winner = a.status === 200 ? 'v20' : 'v21';
  const loser = winner === 'v20' ? 'v21' : 'v20';
  const retry = await save('scale', [{ voiceUserId: loser, teamsUserId: teamsId(20) }], (await getMapping('scale')).etag);
  expect(retry.status).toBe(409);
  expect(await json(retry)).toMatchObject({ code: 'TEAMS_USER_ALREADY_MAPPED', mappedTo: winner });
});

test('the page order follows the directory: a renamed voice user moves, a new one appears, a removed one goes', async () => {
  const directory = Array.from({ length: USERS }, (_, i) => voiceUser(i)).filter((v) => v.id !== 'v1499');
  directory[1200] = voiceUser(1200, 'Aaron First');
  directory.push(voiceUser(1600, 'Zoe Last'));
  const put = await stack.call('PUT', 'accounts/scale/voice-users', { body: { voiceUsers: directory } });
  expect(put.status).toBe(200);
  const first = await getMapping('scale', '?page=1&pageSize=2');
  expect(first.body.total).toBe(USERS);
  expect(first.body.rows.map((r: any) => r.voiceUser.id)).toEqual(['v1200', 'v0']);
  const last = await getMapping('scale', `?page=${USERS}&pageSize=1`);
  expect(last.body.rows.map((r: any) => r.voiceUser.id)).toEqual(['v1600']);
  const all = await Promise.all(
    Array.from({ length: USERS / 100 }, (_, i) => getMapping('scale', `?page=${i + 1}&pageSize=100`).then((p) => p.body.rows)),
  );
  const ids = all.flat().map((r: any) => r.voiceUser.id);
  expect(new Set(ids).size).toBe(USERS);
  expect(ids).not.toContain('v1499');
});

test('a partition written before the Teams-user index gets it on first use: the one-to-one rule and the free list hold', async () => {
  await activeAccount('legacy', 100);
  const { etag } = await getMapping('legacy');
  expect((await save('legacy', [{ voiceUserId: 'v5', teamsUserId: teamsId(5) }], etag)).status).toBe(200);
  // As the code before the index left it: no index rows, no flag on the state row.
  const client = TableClient.fromConnectionString(stack.azurite.connectionString, 'voiceUsers', { allowInsecureConnection: true });
  for await (const row of client.listEntities({
    queryOptions: { filter: "PartitionKey eq 'legacy' and RowKey ge 'tu|' and RowKey lt 'tu}'" },
  })) {
    await client.deleteEntity('legacy', row.rowKey as string);
  }
  const { partitionKey, rowKey, version, held, queued, updatedAt } = await client.getEntity('legacy', 'mapping');
  await client.updateEntity({ partitionKey: partitionKey!, rowKey: rowKey!, version, held, queued, updatedAt }, 'Replace');
  expect((await client.getEntity('legacy', 'mapping')).claims).toBeUndefined();

  const page = await getMapping('legacy');
  expect(page.body.availableTeamsUsers.map((t: any) => t.id)).not.toContain(teamsId(5));
  const twice = await save('legacy', [{ voiceUserId: 'v6', teamsUserId: teamsId(5) }], page.etag);
  expect(twice.status).toBe(409);
  expect(await json(twice)).toMatchObject({ code: 'TEAMS_USER_ALREADY_MAPPED', mappedTo: 'v5' });
  expect((await client.getEntity('legacy', 'mapping')).claims).toBe(1);
  expect((await client.getEntity('legacy', `tu|${teamsId(5)}`)).voiceUserId).toBe('v5');
});
