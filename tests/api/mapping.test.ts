/**
 * Voice-user directory and licence mapping through real HTTP on Azurite, on an account activated against the
 * simulated demo tenant.
 */
import { TableClient } from '@azure/data-tables';
import { markApplied } from '../../shared/domain/mapping';
import { tableVoiceUserStore } from '../../shared/storage/voiceUserStore';
import { enableAndActivate } from '../support/activate';
import { json, Stack, startStack } from '../support/stack';

let stack: Stack;
interface TeamsUser {
  id: string;
  displayName: string;
  callingPlan: boolean;
  resourceAccount: boolean;
  eligible: boolean;
}
let eligible: TeamsUser[];
let callingPlanUser: TeamsUser;
let resourceAccount: TeamsUser;

const ACCOUNT = 'map-1';
const directory = (n: number, extra: object[] = []) => ({
  voiceUsers: [
    ...Array.from({ length: n }, (_, i) => ({
      id: `v${i + 1}`,
      displayName: `Voice User ${String(i + 1).padStart(2, '0')}`,
      email: `v${i + 1}@customer.example`,
      extension: String(2000 + i),
      phoneNumber: `+1425555${String(1000 + i)}`,
    })),
    ...extra,
  ],
});

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
  await enableAndActivate(stack, ACCOUNT, 3);
  const all = (await json(await stack.call('GET', `accounts/${ACCOUNT}/teams-users?pageSize=1000`))).users as TeamsUser[];
  eligible = all.filter((u) => u.eligible);
  callingPlanUser = all.find((u) => u.callingPlan) as TeamsUser;
  resourceAccount = all.find((u) => u.resourceAccount) as TeamsUser;
}, 60_000);
afterAll(() => stack?.stop());

const putDirectory = (body: unknown, account = ACCOUNT) => stack.call('PUT', `accounts/${account}/voice-users`, { body });
const putCsv = (csv: string, query = '') =>
  stack.call('PUT', `accounts/${ACCOUNT}/voice-users${query}`, { rawBody: csv, headers: { 'content-type': 'text/csv' } });
const getMapping = async (query = '') => {
  const res = await stack.call('GET', `accounts/${ACCOUNT}/mapping${query}`);
  return { etag: res.headers.get('etag') as string, body: await json(res) };
};
const save = (changes: { voiceUserId: string; teamsUserId: string | null }[], etag?: string) =>
  stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: etag ? { 'if-match': etag } : {} });
const rowOf = (page: { rows: any[] }, id: string) => page.rows.find((r) => r.voiceUser.id === id);
const status = async () => json(await stack.call('GET', `accounts/${ACCOUNT}/status`));

const voiceUserStore = () =>
  tableVoiceUserStore({
    client: TableClient.fromConnectionString(stack.azurite.connectionString, 'voiceUsers', { allowInsecureConnection: true }),
    ready: async () => undefined,
  });

/** What the sync engine's finish step does: applied = desired (the sync itself is a later issue). */
async function simulateSync(): Promise<void> {
  const store = voiceUserStore();
  const snapshot = await store.read(ACCOUNT);
  const entries = snapshot.users.map((u) => ({
    voiceUserId: u.id,
    desired: u.desired,
    applied: u.applied,
    inDirectory: u.inDirectory,
    hasLine: !!u.phoneNumber,
  }));
  const { kept, dropped } = markApplied(entries);
  const byId = new Map(snapshot.users.map((u) => [u.id, u]));
  const saved = await store.commit(
    ACCOUNT,
    snapshot,
    kept.map((e) => ({ ...byId.get(e.voiceUserId)!, applied: e.applied })),
    dropped.map((e) => e.voiceUserId),
    { held: kept.filter((e) => e.applied !== null).length, queued: 0 },
  );
  if (!saved.ok) throw new Error(saved.error.code);
}

test('a JSON directory is imported; the mapping lists it 10 per page with the free eligible Teams users', async () => {
  const res = await putDirectory(directory(12));
  expect(res.status).toBe(200);
  expect(await json(res)).toMatchObject({ added: 12, updated: 0, removed: 0, pendingRemoval: 0, licensesHeld: 0, queuedChanges: 0 });

  const { etag, body } = await getMapping();
  expect(etag).toMatch(/^"\d+"$/);
  expect(body).toMatchObject({
    page: 1,
    pageSize: 10,
    total: 12,
    totalPages: 2,
    licenses: { total: 3, held: 0, available: 3 },
    queuedChanges: 0,
  });
  expect(body.rows).toHaveLength(10);
  expect(body.rows[0]).toMatchObject({
    voiceUser: { id: 'v1', phoneNumber: '+14255551000', extension: '2000' },
    teamsUser: null,
    pendingState: 'unmapped',
  });
  expect(body.availableTeamsUsers.map((t: TeamsUser) => t.id).sort()).toEqual(eligible.map((t) => t.id).sort());
  expect((await getMapping('?page=2')).body.rows.map((r: { voiceUser: { id: string } }) => r.voiceUser.id)).toEqual(['v11', 'v12']);

  const again = await putDirectory(directory(12));
  expect(await json(again)).toMatchObject({ added: 0, updated: 0, unchanged: 12 });
});

test('a CSV directory with quoted fields and a "+" turned into a space is imported', async () => {
  const csv = [
    'id,displayName,email,extension,phoneNumber,voicemail,callForwarding,musicOnHold',
    'v1,"Voice User 01",v1@customer.example,2000,+14255551000,yes,no,teams',
    'v2,"User, Two",v2@customer.example,2001, 14255551001,no,yes,provider',
    ...Array.from({ length: 10 }, (_, i) => `v${i + 3},Voice User ${String(i + 3).padStart(2, '0')},,${2002 + i},+1425555${1002 + i},,,`),
  ].join('\r\n');
  const res = await putCsv(csv);
  expect(res.status).toBe(200);
  expect(await json(res)).toMatchObject({ added: 0, removed: 0 });
  const rows = (await getMapping()).body.rows as { voiceUser: Record<string, unknown> }[];
  expect(rows.find((r) => r.voiceUser.id === 'v2')?.voiceUser).toMatchObject({
    displayName: 'User, Two',
    phoneNumber: '+14255551001',
    voicemail: false,
    callForwarding: true,
    musicOnHold: 'provider',
  });
});

test('a file with several bad rows reports every one with its line, and changes nothing', async () => {
  const before = await getMapping();
  const csv = [
    'id,displayName,email,extension,phoneNumber',
    'v1,Voice User 01,v1@customer.example,2000,+14255551000',
    'v2,,not-an-email,20x1,+1425',
    'v1,Duplicate,,2002,+14255551002',
    'v4,Voice User 04,,2000,+44 20 7946 0000',
  ].join('\n');
  const res = await putCsv(csv);
  expect(res.status).toBe(422);
  const problem = await json(res);
  expect(problem.code).toBe('DIRECTORY_INVALID');
  const lines = new Set(problem.errors.map((e: { line: number }) => e.line));
  expect([...lines].sort()).toEqual([3, 4, 5]);
  const fields = problem.errors.filter((e: { line: number }) => e.line === 3).map((e: { field: string }) => e.field);
  expect(fields).toEqual(expect.arrayContaining(['displayName', 'email', 'extension', 'phoneNumber']));
  const after = await getMapping();
  expect(after.etag).toBe(before.etag);
  expect(after.body.total).toBe(before.body.total);
});

test('map within the licence count; the account then needs a sync; over the count is refused with the numbers', async () => {
  const { etag } = await getMapping();
  const [t1, t2, t3, t4] = eligible;
  expect(await save([{ voiceUserId: 'v1', teamsUserId: t1!.id }], undefined).then((r) => r.status)).toBe(428);
  const ok = await save(
    [
      { voiceUserId: 'v1', teamsUserId: t1!.id },
      { voiceUserId: 'v2', teamsUserId: t2!.id },
    ],
    etag,
  );
  expect(ok.status).toBe(200);
  expect(await json(ok)).toMatchObject({ changed: 2, licenses: { total: 3, held: 2, available: 1 }, queuedChanges: 2 });
  expect(await status()).toMatchObject({ actionNeeded: 'sync', queuedChanges: 2, licenses: { held: 2 } });

  const over = await save(
    [
      { voiceUserId: 'v3', teamsUserId: t3!.id },
      { voiceUserId: 'v4', teamsUserId: t4!.id },
    ],
    ok.headers.get('etag') as string,
  );
  expect(over.status).toBe(422);
  expect(await json(over)).toMatchObject({ code: 'LICENSE_LIMIT_EXCEEDED', licenseCount: 3, held: 2, required: 4 });
  expect((await getMapping()).etag).toBe(ok.headers.get('etag'));
});

test('a Calling Plan user or a resource account cannot be mapped; a Teams user cannot be mapped twice', async () => {
  const { etag } = await getMapping();
  const cp = await save([{ voiceUserId: 'v3', teamsUserId: callingPlanUser.id }], etag);
  expect(cp.status).toBe(422);
  expect(await json(cp)).toMatchObject({ code: 'TEAMS_USER_NOT_ELIGIBLE', reason: 'callingPlan' });
  const ra = await save([{ voiceUserId: 'v3', teamsUserId: resourceAccount.id }], etag);
  expect(ra.status).toBe(422);
  expect((await json(ra)).code).toBe('TEAMS_USER_NOT_ELIGIBLE');
  const twice = await save([{ voiceUserId: 'v3', teamsUserId: eligible[0]!.id }], etag);
  expect(twice.status).toBe(409);
  expect(await json(twice)).toMatchObject({ code: 'TEAMS_USER_ALREADY_MAPPED', mappedTo: 'v1' });
  const unknown = await save([{ voiceUserId: 'nobody', teamsUserId: eligible[2]!.id }], etag);
  expect((await json(unknown)).code).toBe('VOICE_USER_NOT_FOUND');
});

test('a stale ETag is refused with 412', async () => {
  const stale = await save([{ voiceUserId: 'v3', teamsUserId: eligible[2]!.id }], '"1"');
  expect(stale.status).toBe(412);
  expect((await json(stale)).code).toBe('STALE_ETAG');
});

test('a licence freed by unmapping is usable only after a sync', async () => {
  await simulateSync(); // v1, v2 applied
  const { etag, body } = await getMapping();
  expect([rowOf(body, 'v1').pendingState, rowOf(body, 'v2').pendingState]).toEqual(['synced', 'synced']);
  // fill the third licence, then try to swap v1 out for v4 before a sync
  const third = await save([{ voiceUserId: 'v3', teamsUserId: eligible[2]!.id }], etag);
  expect(third.status).toBe(200);
  const swap = [
    { voiceUserId: 'v1', teamsUserId: null },
    { voiceUserId: 'v4', teamsUserId: eligible[3]!.id },
  ];
  const before = await save(swap, third.headers.get('etag') as string);
  expect(before.status).toBe(422);
  expect((await json(before)).code).toBe('LICENSE_LIMIT_EXCEEDED');
  const unmap = await save([swap[0]!], third.headers.get('etag') as string);
  expect(unmap.status).toBe(200);
  expect(rowOf((await getMapping()).body, 'v1').pendingState).toBe('pendingRemoval');
  await simulateSync();
  const after = await save([swap[1]!], (await getMapping()).etag);
  expect(after.status).toBe(200);
  expect(await json(after)).toMatchObject({ licenses: { held: 3 }, queuedChanges: 1 });
});

test('reverting to the applied state leaves nothing queued and no action needed', async () => {
  const { etag } = await getMapping();
  const revert = await save([{ voiceUserId: 'v4', teamsUserId: null }], etag);
  expect(await json(revert)).toMatchObject({ queuedChanges: 0 });
  expect(await status()).toMatchObject({ actionNeeded: 'none', queuedChanges: 0 });
  const again = await save([{ voiceUserId: 'v4', teamsUserId: null }], revert.headers.get('etag') as string);
  expect(await json(again)).toMatchObject({ changed: 0 });
  expect(again.headers.get('etag')).toBe(revert.headers.get('etag'));
});

test('20 concurrent saves racing for the last licence: exactly one wins, nothing is lost', async () => {
  const { etag, body } = await getMapping();
  expect(body.licenses).toMatchObject({ held: 2, available: 1 });
  const free = body.availableTeamsUsers as TeamsUser[];
  const candidates = ['v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12'];
  const racers = Array.from({ length: 20 }, (_, i) =>
    save([{ voiceUserId: candidates[i % candidates.length]!, teamsUserId: free[i % free.length]!.id }], etag),
  );
  const statuses = (await Promise.all(racers)).map((r) => r.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect(statuses.filter((s) => s !== 200).every((s) => s === 412)).toBe(true);
  const after = await getMapping('?pageSize=100');
  expect(after.body.licenses).toMatchObject({ total: 3, held: 3 });
  const mapped = after.body.rows.filter((r: { teamsUser: unknown }) => r.teamsUser !== null);
  expect(mapped).toHaveLength(3);
});

test('a mapped voice user removed from the directory becomes a queued unmapping', async () => {
  const { body } = await getMapping('?pageSize=100');
  const applied = body.rows.find((r: { pendingState: string }) => r.pendingState === 'synced').voiceUser.id as string;
  const remaining = directory(12).voiceUsers.filter((v) => (v as { id: string }).id !== applied);
  const res = await putDirectory({ voiceUsers: remaining });
  expect(await json(res)).toMatchObject({ pendingRemoval: 1 });
  const row = (await getMapping('?pageSize=100')).body.rows.find((r: { voiceUser: { id: string } }) => r.voiceUser.id === applied);
  expect(row).toMatchObject({ voiceUser: { inDirectory: false }, teamsUser: null, pendingState: 'pendingRemoval' });
  expect((await status()).actionNeeded).toBe('sync');
});

test('an admin of another account reaches nothing; mapping before activation is refused', async () => {
  const other = await stack.call('GET', `accounts/${ACCOUNT}/mapping`, { actor: { id: 'a', role: 'admin', account: 'someone-else' } });
  expect(other.status).toBe(403);
  const user = await stack.call('GET', `accounts/${ACCOUNT}/mapping`, { actor: { id: 'u', role: 'user', account: ACCOUNT } });
  expect(user.status).toBe(403);
  await stack.call('PUT', 'accounts/not-active', {
    body: { name: 'N', licenseCount: 1, globalAdmin: { portalUserId: 'g', displayName: 'G', email: 'g@n.example' } },
  });
  expect((await putDirectory(directory(1), 'not-active')).status).toBe(200);
  const early = await stack.call('PUT', 'accounts/not-active/mapping', {
    body: { changes: [{ voiceUserId: 'v1', teamsUserId: '00000000-0000-4000-8000-000000000001' }] },
    headers: { 'if-match': '"1"' },
  });
  expect(early.status).toBe(409);
  expect((await json(early)).code).toBe('MAPPING_NOT_AVAILABLE');
});

test("each row shows the last sync's outcome for the voice user (null until synced); the applied state stays internal", async () => {
  const store = voiceUserStore();
  const snapshot = await store.read(ACCOUNT);
  const v3 = snapshot.users.find((u) => u.id === 'v3')!;
  const lastSync = {
    runId: 'run-42',
    at: '2026-12-02T10:00:00.000Z',
    result: 'refused' as const,
    error: { code: 'NUMBER_IN_USE', message: 'The number is assigned to another Teams user.' },
  };
  const appliedState = {
    telephoneNumber: '+14255551002',
    numberType: 'directRouting' as const,
    voiceRoutingPolicy: 'VoiceSync',
    callingPolicy: null,
  };
  const saved = await store.commit(ACCOUNT, snapshot, [{ ...v3, lastSync, appliedState }], [], snapshot.summary);
  expect(saved.ok).toBe(true);

  const { body } = await getMapping('?pageSize=100');
  const row = rowOf(body, 'v3');
  expect(row.lastSync).toEqual(lastSync);
  expect(row.voiceUser).not.toHaveProperty('lastSync');
  expect(row.voiceUser).not.toHaveProperty('appliedState');
  expect(rowOf(body, 'v4').lastSync).toBeNull();
  expect(body.rows.filter((r: { lastSync: unknown }) => r.lastSync !== null)).toHaveLength(1);
});
