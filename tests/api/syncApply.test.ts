/**
 * The sync writes Teams, end to end on the local runtime with the demo tenant: six mapped users with mixed settings →
 * preview → sync → the simulator's tenant holds exactly the planned numbers (with `;ext=`), the voice routing policy
 * and each calling-policy variant, and nothing changed on anyone else; the preview equals what the run did; a second
 * sync writes nothing; unmapping two and changing one reverts and changes exactly those; conflicts fail per user with
 * their codes while the others succeed (PartiallySucceeded), and stay queued. Every Graph request within Microsoft's
 * contract.
 */
import { json, Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

let stack: Stack;
const ACCOUNT = 'apply-1';
const MAIN_NUMBER = '+14255550300';
let t: Awaited<ReturnType<typeof syncAccount>>;

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
  t = await syncAccount(stack, ACCOUNT, { licenses: 12, mainNumber: MAIN_NUMBER });
  expect(t.free.length).toBeGreaterThanOrEqual(10);
}, 120_000);
afterAll(() => stack?.stop());

test('six mapped users with mixed settings: preview, sync, exactly the expected Teams state, preview == run, re-sync writes nothing', async () => {
  await t.putDirectory([
    voiceUser('v1', '+14255551001', null, true, true, 'teams'),
    voiceUser('v2', '+14255551002', null, false, true, 'provider'),
    voiceUser('v3', '+14255551003', null, false, false, 'teams'),
    voiceUser('v4', '+14255551004', null, true, false, 'provider'),
    voiceUser('v5', null, '2222', true, true, 'teams'), // extension-only: the main number with their extension
    voiceUser('v6', '+14255551006', '10', false, true, 'teams'), // an extension on a shared number
  ]);
  const ids = t.free.slice(0, 6);
  await t.map(ids.map((teamsUserId, i) => ({ voiceUserId: `v${i + 1}`, teamsUserId })));
  const others = JSON.stringify(t.teams().numbers.filter((n) => !ids.includes(n.assignmentTargetId ?? '')));
  const othersGrants = JSON.stringify(t.teams().grants.filter((g) => !ids.includes(g.userId)));

  const preview = await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`));
  expect(preview.summary).toEqual({
    usersChanged: 6,
    usersRefused: 0,
    operations: { assignNumber: 6, grantVoiceRoutingPolicy: 6, grantCallingPolicy: 6 },
    refusals: {},
  });

  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 18, applied: 18, failed: 0, left: 0 }, error: null });

  const expected: Array<[string, string]> = [
    ['+14255551001', `${t.prefix}-VM-MOHTEAMS`],
    ['+14255551002', `${t.prefix}-NoVM-MOHEXT`],
    ['+14255551003', `${t.prefix}-NoVMOrForward-MOHTEAMS`],
    ['+14255551004', `${t.prefix}-VM-MOHEXT`],
    [`${MAIN_NUMBER};ext=2222`, `${t.prefix}-VM-MOHTEAMS`],
    ['+14255551006;ext=10', `${t.prefix}-NoVM-MOHTEAMS`],
  ];
  ids.forEach((id, i) => {
    expect(t.numberOf(id)).toBe(expected[i]![0]);
    expect(t.policiesOf(id)).toEqual({ OnlineVoiceRoutingPolicy: `Tag:${t.prefix}`, TeamsCallingPolicy: `Tag:${expected[i]![1]}` });
  });
  expect(
    t
      .numbers()
      .filter((n) => ids.includes(n.assignmentTargetId ?? ''))
      .every((n) => n.numberType === 'directRouting'),
  ).toBe(true);
  // Nothing on anyone else.
  expect(JSON.stringify(t.teams().numbers.filter((n) => !ids.includes(n.assignmentTargetId ?? '')))).toBe(others);
  expect(JSON.stringify(t.teams().grants.filter((g) => !ids.includes(g.userId)))).toBe(othersGrants);

  // The preview equals what the run did: the same operations on the same users, each succeeded with its request id.
  // The run's user operations (the tenant configuration's rows are about the policies themselves).
  const done = (await t.activity(run.runId)).filter((e) => e.teamsUserId !== '');
  const previewed = (
    preview.users as Array<{ teamsUserId: string; operations: Array<{ kind: string; telephoneNumber?: string; policyName?: string }> }>
  )
    .flatMap((u) => u.operations.map((o) => `${u.teamsUserId} ${o.kind} ${o.telephoneNumber ?? o.policyName}`))
    .sort();
  expect(done.map((e) => `${e.teamsUserId} ${e.kind} ${e.target}`).sort()).toEqual(previewed);
  expect(done.every((e) => e.result === 'succeeded' && e.error === null && /^[0-9a-f-]{36}$/.test(e.clientRequestId ?? ''))).toBe(true);

  const rows = await t.mappingRows();
  for (const v of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) {
    expect(rows.get(v)).toMatchObject({ pendingState: 'synced', lastSync: { result: 'applied', error: null } });
  }

  // A second sync plans and writes nothing.
  const writes = t.writeCalls();
  const again = await t.syncNow();
  expect(again).toMatchObject({ status: 'Succeeded', counts: { planned: 0, applied: 0, failed: 0, left: 0 } });
  expect(t.writeCalls()).toBe(writes);
  expect((await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`))).summary.usersChanged).toBe(0);

  // Unmap two, change one setting: exactly those are reverted / changed.
  await t.map([
    { voiceUserId: 'v1', teamsUserId: null },
    { voiceUserId: 'v2', teamsUserId: null },
  ]);
  await t.putDirectory(t.directory().map((u) => (u.id === 'v3' ? { ...u, voicemail: true } : u)));
  const before = Object.fromEntries(ids.slice(3).map((id) => [id, [t.numberOf(id), t.policiesOf(id)]]));
  const third = await t.syncNow();
  expect(third).toMatchObject({ status: 'Succeeded', counts: { planned: 7, applied: 7, failed: 0, left: 0 } });
  for (const id of ids.slice(0, 2)) {
    expect(t.numberOf(id)).toBeNull();
    expect(t.policiesOf(id)).toEqual({});
  }
  expect(t.policiesOf(ids[2]!)).toEqual({ OnlineVoiceRoutingPolicy: `Tag:${t.prefix}`, TeamsCallingPolicy: `Tag:${t.prefix}-VM-MOHTEAMS` });
  expect(t.numberOf(ids[2]!)).toBe('+14255551003');
  expect(Object.fromEntries(ids.slice(3).map((id) => [id, [t.numberOf(id), t.policiesOf(id)]]))).toEqual(before);
  const reverted = await t.mappingRows();
  expect(reverted.get('v1')).toMatchObject({ pendingState: 'unmapped', lastSync: { result: 'applied' } });
  expect(reverted.get('v3')).toMatchObject({ pendingState: 'synced', lastSync: { result: 'applied' } });
  const licences = (await json(await stack.call('GET', `accounts/${ACCOUNT}/mapping`))).licenses;
  expect(licences).toMatchObject({ total: 12, held: 4 });

  expect(stack.simulator.contractChecks.enabled).toBe(true);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 240_000);

test('conflicts fail per user with their codes, the others succeed: PartiallySucceeded, the failed stay queued', async () => {
  const [taken, calling, gone, fine, holder] = t.free.slice(6, 11) as [string, string, string, string, string];
  await t.putDirectory([
    ...t.directory(),
    voiceUser('v7', '+14255551007', null, true, true, 'teams'),
    voiceUser('v8', '+14255551008', null, true, true, 'teams'),
    voiceUser('v9', '+14255551009', null, true, true, 'teams'),
    voiceUser('v10', '+14255551010', null, true, true, 'teams'),
  ]);
  await t.map([
    { voiceUserId: 'v7', teamsUserId: taken },
    { voiceUserId: 'v8', teamsUserId: calling },
    { voiceUserId: 'v9', teamsUserId: gone },
    { voiceUserId: 'v10', teamsUserId: fine },
  ]);
  // After mapping: v7's number goes to someone else, v8's user gets a Calling Plan, v9's user is deleted.
  stack.simulator.control.assignNumberTo(t.tenantId, holder, '+14255551007', 'directRouting');
  stack.simulator.control.giveCallingPlan(t.tenantId, calling);
  stack.simulator.control.deleteUser(t.tenantId, gone);

  const preview = await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`));
  expect(preview.summary).toMatchObject({
    usersChanged: 1,
    usersRefused: 3,
    refusals: { NUMBER_IN_USE: 1, USER_NOT_ELIGIBLE: 1, USER_GONE: 1 },
  });

  const run = await t.syncNow();
  expect(run).toMatchObject({
    status: 'PartiallySucceeded',
    counts: { planned: 3, applied: 3, failed: 0, left: 0 },
    error: { code: 'SYNC_PARTIAL' },
  });
  expect(t.numberOf(fine)).toBe('+14255551010');
  expect(t.numberOf(taken)).toBeNull();
  expect(t.numberOf(holder)).toBe('+14255551007');
  expect(t.policiesOf(calling)).toEqual({});

  const log = await t.activity(run.runId);
  const refused = new Map(log.filter((e) => e.kind === 'refused').map((e) => [e.teamsUserId, e.error?.code]));
  expect(refused).toEqual(
    new Map([
      [taken, 'NUMBER_IN_USE'],
      [calling, 'USER_NOT_ELIGIBLE'],
      [gone, 'USER_GONE'],
    ]),
  );
  const rows = await t.mappingRows();
  expect(rows.get('v7')).toMatchObject({ pendingState: 'pendingAdd', lastSync: { result: 'refused', error: { code: 'NUMBER_IN_USE' } } });
  expect(rows.get('v8')).toMatchObject({
    pendingState: 'pendingAdd',
    lastSync: { result: 'refused', error: { code: 'USER_NOT_ELIGIBLE' } },
  });
  expect(rows.get('v9')).toMatchObject({ pendingState: 'pendingAdd', lastSync: { result: 'refused', error: { code: 'USER_GONE' } } });
  expect(rows.get('v10')).toMatchObject({ pendingState: 'synced', lastSync: { result: 'applied' } });
  expect((await json(await stack.call('GET', `accounts/${ACCOUNT}/mapping`))).queuedChanges).toBe(3);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 240_000);
