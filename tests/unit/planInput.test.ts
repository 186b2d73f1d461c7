/** The planner's input from the stored mapping: desired users, released users with what we had set, what to read. */
import { lineOf, planSync } from '../../shared/domain/syncPlan';
import { StoredVoiceUser } from '../../shared/mapping/ports';
import { planInputsOf } from '../../shared/sync/planInput';

const user = (id: string, over: Partial<StoredVoiceUser> = {}): StoredVoiceUser => ({
  id,
  displayName: id,
  email: null,
  extension: null,
  phoneNumber: `+1425555${id.padStart(4, '0')}`,
  voicemail: true,
  callForwarding: true,
  musicOnHold: 'teams',
  desired: null,
  applied: null,
  inDirectory: true,
  ...over,
});

const settings = { policyPrefix: 'Acme', numberType: 'directRouting' as const, mainNumber: '+14255550100' };
const ours = {
  telephoneNumber: '+14255550001',
  numberType: 'directRouting' as const,
  voiceRoutingPolicy: 'Acme-VRP',
  callingPolicy: 'Acme-VM-MOHTEAMS',
};

test('lineOf reads what telephoneNumberOf writes, and refuses what is not a line', () => {
  expect(lineOf('+14255550100;ext=2424')).toEqual({ phoneNumber: '+14255550100', extension: '2424' });
  expect(lineOf('+14255550100')).toEqual({ phoneNumber: '+14255550100', extension: null });
  expect(lineOf('14255550100')).toBeNull();
  expect(lineOf('+14255550100;ext=')).toBeNull();
});

test('mapped users are desired; unmapped, remapped and departed users release exactly what we had set', () => {
  const inputs = planInputsOf(
    [
      user('1', { desired: 't1', applied: 't1', appliedState: ours }), // synced: desired only
      user('2', { desired: 't2' }), // new
      user('3', { applied: 't3', appliedState: ours }), // unmapped
      user('4', { desired: 't4b', applied: 't4', appliedState: ours }), // remapped
      user('5', { desired: 't5', applied: 't5', appliedState: ours, inDirectory: false }), // left the directory
      user('6', { phoneNumber: null, extension: '2222', desired: 't6' }), // extension only: the main number
      user('7'), // never mapped
      user('8', { applied: 't8' }), // applied before any state was recorded: nothing to revert
    ],
    settings,
  );
  expect(inputs.desired.map((d) => d.voiceUserId)).toEqual(['1', '2', '4', '6']);
  expect(inputs.released.map((r) => [r.voiceUserId, r.teamsUserId])).toEqual([
    ['3', 't3'],
    ['4', 't4'],
    ['5', 't5'],
    ['8', 't8'],
  ]);
  expect(inputs.released[0]).toEqual({
    voiceUserId: '3',
    teamsUserId: 't3',
    line: { phoneNumber: '+14255550001', extension: null, numberType: 'directRouting' },
    voiceRoutingPolicy: 'Acme-VRP',
    callingPolicy: 'Acme-VM-MOHTEAMS',
  });
  expect(inputs.released[3]).toMatchObject({ line: null, voiceRoutingPolicy: null, callingPolicy: null });
  expect(inputs.teamsUserIds).toEqual(['t1', 't2', 't3', 't4', 't4b', 't5', 't6', 't8']);
  expect(inputs.telephoneNumbers).toEqual(['+14255550001', '+14255550002', '+14255550004', '+14255550100;ext=2222']);
});

test('the inputs plan: a released user with our line and policies gets exactly their reverts', () => {
  const inputs = planInputsOf([user('3', { applied: 't3', appliedState: ours })], settings);
  const plan = planSync({
    ...inputs,
    settings,
    actual: new Map([
      [
        't3',
        {
          teamsUserId: 't3',
          gone: false,
          eligible: true,
          callingPlan: false,
          enterpriseVoice: true,
          line: { phoneNumber: '+14255550001', extension: null, numberType: 'directRouting' },
          voiceRoutingPolicy: 'Acme-VRP',
          callingPolicy: 'Acme-VM-MOHTEAMS',
        },
      ],
    ]),
    assignments: [],
  });
  expect(plan.users).toHaveLength(1);
  const only = plan.users[0]!;
  expect(only.outcome).toBe('planned');
  expect(only.outcome === 'planned' && only.operations.map((o) => o.kind).sort()).toEqual([
    'revokeCallingPolicy',
    'revokeVoiceRoutingPolicy',
    'unassignNumber',
  ]);
});
