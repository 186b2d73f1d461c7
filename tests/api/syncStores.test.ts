/**
 * The sync's tables on Azurite: the activity log (one row per entry, keyed by run and entry id, so recording an entry
 * twice keeps one; a run's entries are read back in plan order and paged) and the voice user's applied state and last
 * sync result (written with the mapping, read back whole, absent on rows from before).
 */
import { RunningAzurite, startAzurite } from '../../local/azurite';
import { tableActivityLog } from '../../shared/storage/activityStore';
import { table } from '../../shared/storage/tables';
import { tableVoiceUserStore } from '../../shared/storage/voiceUserStore';
import { ActivityEntry } from '../../shared/sync/ports';
import { StoredVoiceUser } from '../../shared/mapping/ports';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
}, 30_000);
afterAll(() => azurite?.stop());

const entry = (runId: string, n: number, over: Partial<ActivityEntry> = {}): ActivityEntry => ({
  accountId: 'acct-1',
  runId,
  entryId: `${String(n).padStart(6, '0')}-00`,
  at: '2026-12-02T10:00:00.000Z',
  teamsUserId: `user-${n}`,
  voiceUserIds: [`vu-${n}`],
  kind: 'assignNumber',
  target: `+1425555${String(n).padStart(4, '0')}`,
  before: null,
  after: `+1425555${String(n).padStart(4, '0')}`,
  result: 'succeeded',
  clientRequestId: `crid-${n}`,
  requestId: null,
  error: null,
  ...over,
});

test('activity entries: recorded twice keep one row each, read back per run in plan order, paged', async () => {
  const log = tableActivityLog(table(azurite.connectionString, 'activity'));
  const run = '11111111-1111-4111-8111-111111111111';
  const other = '22222222-2222-4222-8222-222222222222';
  const entries = Array.from({ length: 150 }, (_, i) => entry(run, i));
  await log.record(entries);
  await log.record(entries.slice(0, 10)); // an activity that ran twice
  await log.record([entry(other, 1), entry(run, 5, { result: 'failed', error: { code: 'TEAMS_WRITE_REFUSED', message: 'No.' } })]);

  const first = await log.list('acct-1', run, { page: 1, pageSize: 100 });
  expect(first.total).toBe(150);
  expect(first.entries).toHaveLength(100);
  expect(first.entries.map((e) => e.teamsUserId).slice(0, 3)).toEqual(['user-0', 'user-1', 'user-2']);
  expect(first.entries[5]).toMatchObject({ result: 'failed', error: { code: 'TEAMS_WRITE_REFUSED', message: 'No.' }, requestId: null });
  expect(first.entries[0]).toEqual(entries[0]);
  const second = await log.list('acct-1', run, { page: 2, pageSize: 100 });
  expect(second.entries.map((e) => e.teamsUserId)).toEqual(entries.slice(100).map((e) => e.teamsUserId));
  expect((await log.list('acct-1', other, { page: 1, pageSize: 100 })).total).toBe(1);
  expect((await log.list('acct-2', run, { page: 1, pageSize: 100 })).total).toBe(0);
});

test('a voice user keeps its applied state and last sync result; rows without them read back null', async () => {
  const store = tableVoiceUserStore(table(azurite.connectionString, 'voiceUsers'));
  const base: StoredVoiceUser = {
    id: 'vu-1',
    displayName: 'Ada',
    email: null,
    extension: '2222',
    phoneNumber: null,
    voicemail: true,
    callForwarding: false,
    musicOnHold: 'teams',
    desired: 'teams-1',
    applied: 'teams-1',
    inDirectory: true,
  };
  const applied: StoredVoiceUser = {
    ...base,
    id: 'vu-2',
    appliedState: {
      telephoneNumber: '+14255550100;ext=2222',
      numberType: 'directRouting',
      voiceRoutingPolicy: 'P-VRP',
      callingPolicy: 'P-VM-MOHTEAMS',
    },
    lastSync: { runId: 'run-1', at: '2026-12-02T10:00:00.000Z', result: 'failed', error: { code: 'NUMBER_IN_USE', message: 'Taken.' } },
  };
  const written = await store.commit(
    'acct-1',
    { version: 0, etag: null, summary: { held: 0, queued: 0 }, users: [] },
    [base, applied],
    [],
    {
      held: 2,
      queued: 0,
    },
  );
  expect(written.ok).toBe(true);
  const users = new Map((await store.read('acct-1')).users.map((u) => [u.id, u]));
  expect(users.get('vu-1')).toMatchObject({ appliedState: null, lastSync: null });
  expect(users.get('vu-2')).toEqual(applied);
});
