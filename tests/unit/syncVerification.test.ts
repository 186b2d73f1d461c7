/** The post-sync verification's rules: when a user counts as effective, and what the run's verification says. */
import { OperationProgress, PlannedUser } from '../../shared/domain/syncApply';
import { ActualUser, Operation } from '../../shared/domain/syncPlan';
import { awaitsVerification, isEffective, runVerification } from '../../shared/domain/syncVerification';

const progress = (operation: Operation, status: OperationProgress['status'] = 'succeeded'): OperationProgress =>
  ({ operation, status }) as OperationProgress;

const user = (operations: OperationProgress[], extra: Partial<PlannedUser> = {}): PlannedUser =>
  ({
    order: 0,
    chunk: 0,
    teamsUserId: 'u1',
    role: 'mapped',
    voiceUserIds: ['v1'],
    mappedVoiceUserId: 'v1',
    refusal: null,
    operations,
    ...extra,
  }) as PlannedUser;

const actual = (over: Partial<ActualUser> = {}): ActualUser => ({
  teamsUserId: 'u1',
  gone: false,
  eligible: true,
  callingPlan: false,
  enterpriseVoice: true,
  line: { phoneNumber: '+14255550001', extension: null, numberType: 'directRouting' },
  voiceRoutingPolicy: 'Acme',
  callingPolicy: 'Acme-VM-MOHTEAMS',
  ...over,
});

const applied = user([
  progress({
    kind: 'assignNumber',
    teamsUserId: 'u1',
    telephoneNumber: '+14255550001',
    numberType: 'directRouting',
    assignmentCategory: 'primary',
    waitFor: [],
  }),
  progress({ kind: 'grantVoiceRoutingPolicy', teamsUserId: 'u1', policyName: 'Acme', before: null }),
  progress({ kind: 'grantCallingPolicy', teamsUserId: 'u1', policyName: 'Acme-VM-MOHTEAMS', before: null }),
]);

test('effective only when every applied change shows: the number with its type, and each policy (names compared case-insensitively)', () => {
  expect(isEffective(applied, actual())).toBe(true);
  expect(isEffective(applied, actual({ callingPolicy: 'acme-vm-mohteams' }))).toBe(true);
  expect(isEffective(applied, actual({ line: null }))).toBe(false);
  expect(isEffective(applied, actual({ line: { phoneNumber: '+14255550001', extension: null, numberType: 'operatorConnect' } }))).toBe(
    false,
  );
  expect(isEffective(applied, actual({ voiceRoutingPolicy: null }))).toBe(false);
  expect(isEffective(applied, actual({ callingPolicy: 'Acme-NoVM-MOHTEAMS' }))).toBe(false);
  expect(isEffective(applied, actual({ gone: true }))).toBe(false);
  expect(isEffective(applied, undefined)).toBe(false);
});

test('a revert is effective once the number is gone and the grants are back to the default', () => {
  const reverted = user([
    progress({ kind: 'unassignNumber', teamsUserId: 'u1', telephoneNumber: '+14255550001', numberType: 'directRouting' }),
    progress({ kind: 'revokeVoiceRoutingPolicy', teamsUserId: 'u1', before: 'Acme' }),
    progress({ kind: 'revokeCallingPolicy', teamsUserId: 'u1', before: 'Acme-VM-MOHTEAMS' }),
  ]);
  expect(isEffective(reverted, actual({ line: null, voiceRoutingPolicy: null, callingPolicy: null }))).toBe(true);
  expect(isEffective(reverted, actual({ voiceRoutingPolicy: null, callingPolicy: null }))).toBe(false);
  expect(isEffective(reverted, actual({ line: null, callingPolicy: null }))).toBe(false);
});

test('only applied users with changes await verification, and only until it settled', () => {
  expect(awaitsVerification(applied)).toBe(true);
  expect(awaitsVerification({ ...applied, verification: { state: 'effective', at: '2026-12-02T10:00:00Z' } })).toBe(false);
  expect(awaitsVerification(user([]))).toBe(false);
  expect(awaitsVerification(user([progress(applied.operations[0]!.operation, 'failed')]))).toBe(false);
  expect(awaitsVerification({ ...applied, refusal: { code: 'USER_GONE', message: '' } })).toBe(false);
});

test("the run's verification: verifying while users are pending, then effective or notEffective", () => {
  const at = ['2026-12-02T12:00:00Z', '2026-12-02T10:10:00Z'] as const;
  expect(runVerification({ users: 3, effective: 1, notEffective: 0 }, ...at, false).status).toBe('verifying');
  expect(runVerification({ users: 3, effective: 3, notEffective: 0 }, ...at, false).status).toBe('effective');
  expect(runVerification({ users: 3, effective: 2, notEffective: 1 }, ...at, true)).toEqual({
    status: 'notEffective',
    users: 3,
    effective: 2,
    notEffective: 1,
    until: at[0],
    checkedAt: at[1],
  });
  // The last check with users neither effective nor flagged (their read failed) does not call them effective.
  expect(runVerification({ users: 3, effective: 2, notEffective: 0 }, ...at, true).status).toBe('notEffective');
});
