import fc from 'fast-check';
import {
  ActualUser,
  AssignedLine,
  callingPolicyName,
  callingPolicyVariant,
  DesiredUser,
  desiredLine,
  lineUriOf,
  NumberAssignment,
  Operation,
  operationsOfPlan,
  PlanInput,
  planSync,
  ReleasedUser,
  SyncPlan,
  telephoneNumberOf,
  UserPlan,
  voiceRoutingPolicyName,
} from '../../shared/domain/syncPlan';

const N1 = '+14255550101';
const N2 = '+14255550102';
const MAIN = '+14255550100';
const settings = { policyPrefix: 'VS', numberType: 'directRouting' as const, mainNumber: MAIN };

const desired = (teamsUserId: string, over: Partial<DesiredUser> = {}): DesiredUser => ({
  voiceUserId: `v-${teamsUserId}`,
  teamsUserId,
  phoneNumber: N1,
  extension: null,
  voicemail: true,
  callForwarding: true,
  musicOnHold: 'teams',
  ...over,
});
const actualUser = (teamsUserId: string, over: Partial<ActualUser> = {}): ActualUser => ({
  teamsUserId,
  gone: false,
  eligible: true,
  callingPlan: false,
  enterpriseVoice: false,
  line: null,
  voiceRoutingPolicy: null,
  callingPolicy: null,
  ...over,
});
const dr = (phoneNumber: string, extension: string | null = null): AssignedLine => ({
  phoneNumber,
  extension,
  numberType: 'directRouting',
});
const held = (line: AssignedLine, targetId: string, targetKind: 'user' | 'resourceAccount' = 'user'): NumberAssignment => ({
  ...line,
  targetId,
  targetKind,
});
/** A user that already has everything `desired(id)` asks for. */
const right = (id: string, line = dr(N1)): ActualUser =>
  actualUser(id, { enterpriseVoice: true, line, voiceRoutingPolicy: 'VS', callingPolicy: 'VS-VM-MOHTEAMS' });

const plan = (over: Partial<PlanInput> & { users?: ActualUser[] }): SyncPlan =>
  planSync({
    desired: [],
    released: [],
    settings,
    assignments: [],
    ...over,
    actual: over.actual ?? new Map((over.users ?? []).map((u) => [u.teamsUserId, u])),
  });
const userOf = (p: SyncPlan, id: string): UserPlan => {
  const u = p.users.find((x) => x.teamsUserId === id);
  if (!u) throw new Error(`no plan for ${id}`);
  return u;
};
const opsOf = (p: SyncPlan, id: string): Operation[] => {
  const u = userOf(p, id);
  if (u.outcome !== 'planned') throw new Error(`${id} refused: ${u.error.code}`);
  return u.operations;
};
const kinds = (ops: Operation[]) => ops.map((o) => o.kind);
const refusalOf = (p: SyncPlan, id: string) => {
  const u = userOf(p, id);
  return u.outcome === 'refused' ? u.error.code : null;
};

describe('names and formats', () => {
  test.each([
    [true, true, 'teams', 'VS-VM-MOHTEAMS'],
    [true, false, 'teams', 'VS-VM-MOHTEAMS'],
    [false, true, 'teams', 'VS-NoVM-MOHTEAMS'],
    [false, false, 'teams', 'VS-NoVMOrForward-MOHTEAMS'],
    [true, true, 'provider', 'VS-VM-MOHEXT'],
    [true, false, 'provider', 'VS-VM-MOHEXT'],
    [false, true, 'provider', 'VS-NoVM-MOHEXT'],
    [false, false, 'provider', 'VS-NoVMOrForward-MOHEXT'],
  ] as const)('voicemail %s, forwarding %s, music on hold %s → %s', (voicemail, callForwarding, musicOnHold, name) => {
    expect(callingPolicyName('VS', { voicemail, callForwarding, musicOnHold })).toBe(name);
  });

  test('three variants only', () => {
    expect(new Set([true, false].flatMap((v) => [true, false].map((f) => callingPolicyVariant(v, f))))).toEqual(
      new Set(['VM', 'NoVM', 'NoVMOrForward']),
    );
  });

  test('voice routing policy is named by the prefix', () => expect(voiceRoutingPolicyName('VoiceSync')).toBe('VoiceSync'));

  test('telephone number and line URI carry ;ext=', () => {
    expect(telephoneNumberOf({ phoneNumber: N1, extension: null })).toBe(N1);
    expect(telephoneNumberOf({ phoneNumber: N1, extension: '0123' })).toBe(`${N1};ext=0123`);
    expect(lineUriOf({ phoneNumber: N1, extension: '2424' })).toBe(`tel:${N1};ext=2424`);
  });

  test('desired line: own number, else main number with the extension, else none', () => {
    expect(desiredLine({ phoneNumber: N1, extension: '10' }, MAIN)).toEqual({ phoneNumber: N1, extension: '10' });
    expect(desiredLine({ phoneNumber: null, extension: '2222' }, MAIN)).toEqual({ phoneNumber: MAIN, extension: '2222' });
    expect(desiredLine({ phoneNumber: null, extension: '2222' }, null)).toBeNull();
    expect(desiredLine({ phoneNumber: null, extension: '2222' }, undefined)).toBeNull();
    expect(desiredLine({ phoneNumber: null, extension: null }, MAIN)).toBeNull();
  });
});

describe('mapped users', () => {
  test('a new user gets number, voice routing policy and calling policy, in that order', () => {
    const p = plan({ desired: [desired('t1', { voicemail: false, musicOnHold: 'provider' })], users: [actualUser('t1')] });
    expect(opsOf(p, 't1')).toEqual([
      {
        kind: 'assignNumber',
        teamsUserId: 't1',
        telephoneNumber: N1,
        numberType: 'directRouting',
        assignmentCategory: 'primary',
        waitFor: [],
      },
      { kind: 'grantVoiceRoutingPolicy', teamsUserId: 't1', policyName: 'VS', before: null },
      { kind: 'grantCallingPolicy', teamsUserId: 't1', policyName: 'VS-NoVM-MOHEXT', before: null },
    ]);
    expect(userOf(p, 't1')).toMatchObject({ role: 'mapped', voiceUserIds: ['v-t1'] });
  });

  test('an extension goes in as ;ext=, with the account number type', () => {
    const p = planSync({
      desired: [desired('t1', { extension: '10' })],
      released: [],
      settings: { ...settings, numberType: 'operatorConnect' },
      actual: new Map([['t1', actualUser('t1')]]),
      assignments: [],
    });
    expect(opsOf(p, 't1')[0]).toMatchObject({ kind: 'assignNumber', telephoneNumber: `${N1};ext=10`, numberType: 'operatorConnect' });
  });

  test('an extension-only user gets the main number with their extension', () => {
    const p = plan({
      desired: [desired('t1', { phoneNumber: null, extension: '2222' })],
      users: [actualUser('t1')],
      assignments: [held(dr(MAIN), 'aa', 'resourceAccount')], // the bare main number on an auto attendant is another line
    });
    expect(opsOf(p, 't1')[0]).toMatchObject({ kind: 'assignNumber', telephoneNumber: `${MAIN};ext=2222` });
  });

  test('an extension-only user without a main number is refused', () => {
    const p = planSync({
      desired: [desired('t1', { phoneNumber: null, extension: '2222' })],
      released: [],
      settings: { policyPrefix: 'VS', numberType: 'directRouting' },
      actual: new Map([['t1', actualUser('t1')]]),
      assignments: [],
    });
    expect(refusalOf(p, 't1')).toBe('VOICE_USER_HAS_NO_NUMBER');
  });

  test('users sharing a number each get their own extension', () => {
    const p = plan({
      desired: [desired('t1', { extension: '10' }), desired('t2', { extension: '11' })],
      users: [actualUser('t1'), right('t2', dr(N1, '11'))],
      assignments: [held(dr(N1, '11'), 't2')],
    });
    expect(opsOf(p, 't1')[0]).toMatchObject({ kind: 'assignNumber', telephoneNumber: `${N1};ext=10` });
    expect(opsOf(p, 't2')).toEqual([]);
  });

  test('a user already right gets no operation', () => {
    const p = plan({ desired: [desired('t1')], users: [right('t1')], assignments: [held(dr(N1), 't1')] });
    expect(opsOf(p, 't1')).toEqual([]);
    expect(operationsOfPlan(p)).toEqual([]);
  });

  test('only what differs is planned: a changed setting grants only the calling policy', () => {
    const p = plan({ desired: [desired('t1', { callForwarding: false, voicemail: false })], users: [right('t1')] });
    expect(opsOf(p, 't1')).toEqual([
      { kind: 'grantCallingPolicy', teamsUserId: 't1', policyName: 'VS-NoVMOrForward-MOHTEAMS', before: 'VS-VM-MOHTEAMS' },
    ]);
  });

  test('a changed number: the old one is unassigned first', () => {
    const p = plan({ desired: [desired('t1', { phoneNumber: N2 })], users: [right('t1')], assignments: [held(dr(N1), 't1')] });
    expect(opsOf(p, 't1')).toEqual([
      { kind: 'unassignNumber', teamsUserId: 't1', telephoneNumber: N1, numberType: 'directRouting' },
      {
        kind: 'assignNumber',
        teamsUserId: 't1',
        telephoneNumber: N2,
        numberType: 'directRouting',
        assignmentCategory: 'primary',
        waitFor: [],
      },
    ]);
  });

  test('a changed extension or number type reassigns', () => {
    const ext = plan({ desired: [desired('t1', { extension: '10' })], users: [right('t1')], assignments: [held(dr(N1), 't1')] });
    expect(kinds(opsOf(ext, 't1'))).toEqual(['unassignNumber', 'assignNumber']);
    const type = plan({
      desired: [desired('t1')],
      users: [right('t1', { ...dr(N1), numberType: 'operatorConnect' })],
      assignments: [held({ ...dr(N1), numberType: 'operatorConnect' }, 't1')],
    });
    expect(opsOf(type, 't1').slice(0, 2)).toEqual([
      { kind: 'unassignNumber', teamsUserId: 't1', telephoneNumber: N1, numberType: 'operatorConnect' },
      {
        kind: 'assignNumber',
        teamsUserId: 't1',
        telephoneNumber: N1,
        numberType: 'directRouting',
        assignmentCategory: 'primary',
        waitFor: [],
      },
    ]);
  });

  test('a number moving from one mapped user to another: the new holder waits for the unassign', () => {
    const p = plan({
      desired: [desired('t1', { phoneNumber: N2 }), desired('t2', { phoneNumber: N1 })],
      users: [right('t1'), actualUser('t2')],
      assignments: [held(dr(N1), 't1')],
    });
    expect(opsOf(p, 't2')[0]).toMatchObject({ kind: 'assignNumber', telephoneNumber: N1, waitFor: ['t1'] });
    expect(opsOf(p, 't1')[0]).toMatchObject({ kind: 'unassignNumber', telephoneNumber: N1 });
    expect(p.users[0].teamsUserId).toBe('t1'); // who frees a line comes first
  });

  test('two users swapping numbers', () => {
    const p = plan({
      desired: [desired('t1', { phoneNumber: N2 }), desired('t2', { phoneNumber: N1 })],
      users: [right('t1'), right('t2', dr(N2))],
      assignments: [held(dr(N1), 't1'), held(dr(N2), 't2')],
    });
    expect(opsOf(p, 't1').slice(0, 2)).toMatchObject([
      { kind: 'unassignNumber', telephoneNumber: N1 },
      { kind: 'assignNumber', telephoneNumber: N2, waitFor: ['t2'] },
    ]);
    expect(opsOf(p, 't2').slice(0, 2)).toMatchObject([
      { kind: 'unassignNumber', telephoneNumber: N2 },
      { kind: 'assignNumber', telephoneNumber: N1, waitFor: ['t1'] },
    ]);
  });
});

describe('refusals', () => {
  test('a number held by another Teams user or a resource account: NUMBER_IN_USE, nothing planned for them', () => {
    const other = plan({ desired: [desired('t1')], users: [actualUser('t1'), actualUser('x')], assignments: [held(dr(N1), 'x')] });
    expect(userOf(other, 't1')).toMatchObject({
      outcome: 'refused',
      error: { code: 'NUMBER_IN_USE', details: { telephoneNumber: N1, heldBy: 'user', targetId: 'x' } },
    });
    const ra = plan({ desired: [desired('t1')], users: [actualUser('t1')], assignments: [held(dr(N1), 'aa', 'resourceAccount')] });
    expect(userOf(ra, 't1')).toMatchObject({
      outcome: 'refused',
      error: { code: 'NUMBER_IN_USE', details: { heldBy: 'resourceAccount' } },
    });
  });

  test('a Calling Plan since mapping: USER_NOT_ELIGIBLE; gone or missing: USER_GONE', () => {
    const p = plan({
      desired: [desired('cp', { phoneNumber: N1 }), desired('gone', { phoneNumber: N2 }), desired('missing', { phoneNumber: MAIN })],
      users: [actualUser('cp', { callingPlan: true }), actualUser('gone', { gone: true })],
    });
    expect(userOf(p, 'cp')).toMatchObject({ error: { code: 'USER_NOT_ELIGIBLE', details: { reason: 'callingPlan' } } });
    expect(refusalOf(p, 'gone')).toBe('USER_GONE');
    expect(refusalOf(p, 'missing')).toBe('USER_GONE');
    expect(refusalOf(plan({ desired: [desired('ra')], users: [actualUser('ra', { eligible: false })] }), 'ra')).toBe('USER_NOT_ELIGIBLE');
  });

  test('a refused user frees nothing, so who waited for their number is refused too', () => {
    // t1 wants N2 (held by a resource account) and has N1, which t2 wants.
    const p = plan({
      desired: [desired('t1', { phoneNumber: N2 }), desired('t2', { phoneNumber: N1 })],
      users: [right('t1'), actualUser('t2')],
      assignments: [held(dr(N1), 't1'), held(dr(N2), 'aa', 'resourceAccount')],
    });
    expect(refusalOf(p, 't1')).toBe('NUMBER_IN_USE');
    expect(userOf(p, 't2')).toMatchObject({ error: { code: 'NUMBER_IN_USE', details: { targetId: 't1' } } });
  });

  test('two mapped users on one line: who has it keeps it; if nobody has it, nobody gets it', () => {
    const kept = plan({
      desired: [desired('t1'), desired('t2')],
      users: [right('t1'), actualUser('t2')],
      assignments: [held(dr(N1), 't1')],
    });
    expect(opsOf(kept, 't1')).toEqual([]);
    expect(refusalOf(kept, 't2')).toBe('NUMBER_IN_USE');
    const none = plan({ desired: [desired('t1'), desired('t2')], users: [actualUser('t1'), actualUser('t2')] });
    expect([refusalOf(none, 't1'), refusalOf(none, 't2')]).toEqual(['NUMBER_IN_USE', 'NUMBER_IN_USE']);
  });
});

describe('unmapped users', () => {
  const ours: ReleasedUser = {
    voiceUserId: 'v-old',
    teamsUserId: 't1',
    line: dr(N1),
    voiceRoutingPolicy: 'VS',
    callingPolicy: 'VS-VM-MOHTEAMS',
  };

  test('exactly the reverts of what we set', () => {
    const p = plan({ released: [ours], users: [right('t1')], assignments: [held(dr(N1), 't1')] });
    expect(userOf(p, 't1')).toMatchObject({ role: 'unmapped', voiceUserIds: ['v-old'] });
    expect(opsOf(p, 't1')).toEqual([
      { kind: 'unassignNumber', teamsUserId: 't1', telephoneNumber: N1, numberType: 'directRouting' },
      { kind: 'revokeCallingPolicy', teamsUserId: 't1', before: 'VS-VM-MOHTEAMS' },
      { kind: 'revokeVoiceRoutingPolicy', teamsUserId: 't1', before: 'VS' },
    ]);
  });

  test('what changed since is not ours: never touched', () => {
    const changed = actualUser('t1', { line: dr(N2), voiceRoutingPolicy: 'Theirs', callingPolicy: 'AllowCalling' });
    expect(opsOf(plan({ released: [ours], users: [changed] }), 't1')).toEqual([]);
    const partly = actualUser('t1', { line: dr(N1), voiceRoutingPolicy: 'VS', callingPolicy: 'AllowCalling' });
    expect(kinds(opsOf(plan({ released: [ours], users: [partly] }), 't1'))).toEqual(['unassignNumber', 'revokeVoiceRoutingPolicy']);
    const extDiffers = actualUser('t1', { line: dr(N1, '10') });
    expect(opsOf(plan({ released: [ours], users: [extDiffers] }), 't1')).toEqual([]);
  });

  test('a gone unmapped user plans nothing and is not refused', () => {
    const p = plan({ released: [ours], users: [actualUser('t1', { gone: true, line: dr(N1) })] });
    expect(opsOf(p, 't1')).toEqual([]);
    expect(opsOf(plan({ released: [ours] }), 't1')).toEqual([]);
  });

  test("an unmapped user's number goes to a mapped user after its unassign", () => {
    const p = plan({
      released: [ours],
      desired: [desired('t2')],
      users: [right('t1'), actualUser('t2')],
      assignments: [held(dr(N1), 't1')],
    });
    expect(opsOf(p, 't2')[0]).toMatchObject({ kind: 'assignNumber', telephoneNumber: N1, waitFor: ['t1'] });
  });

  test('a Teams user remapped to another voice user: the desired state wins, both voice users move with it', () => {
    const p = plan({ released: [ours], desired: [desired('t1', { voiceUserId: 'v-new', voicemail: false })], users: [right('t1')] });
    expect(userOf(p, 't1')).toMatchObject({ role: 'mapped', voiceUserIds: ['v-new', 'v-old'] });
    expect(opsOf(p, 't1')).toEqual([
      { kind: 'grantCallingPolicy', teamsUserId: 't1', policyName: 'VS-NoVM-MOHTEAMS', before: 'VS-VM-MOHTEAMS' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Properties, against a small simulator of Microsoft's behaviour.

interface World {
  actual: Map<string, ActualUser>;
  assignments: NumberAssignment[];
}

const lineKey = (l: { phoneNumber: string; extension: string | null }) => telephoneNumberOf(l);
const parseKey = (key: string): { phoneNumber: string; extension: string | null } => {
  const [phoneNumber, ext] = key.split(';ext=');
  return { phoneNumber, extension: ext ?? null };
};

/**
 * Applies a plan the way the apply step must: every unassign first, then the rest in per-user order. Throws on what
 * Microsoft would refuse (assigning a line someone holds, unassigning a line the user does not hold).
 */
function applyOperations(world: World, p: SyncPlan): World {
  const actual = new Map([...world.actual].map(([k, v]) => [k, { ...v }]));
  let assignments = [...world.assignments];
  const ops = operationsOfPlan(p);
  const run = (op: Operation) => {
    const user = actual.get(op.teamsUserId);
    if (!user || user.gone) throw new Error(`operation on missing user ${op.teamsUserId}`);
    switch (op.kind) {
      case 'unassignNumber': {
        const i = assignments.findIndex((a) => lineKey(a) === op.telephoneNumber && a.targetId === op.teamsUserId);
        if (i < 0 || user.line === null || lineKey(user.line) !== op.telephoneNumber)
          throw new Error(`unassign of ${op.telephoneNumber} not held by ${op.teamsUserId}`);
        assignments = assignments.filter((_, j) => j !== i);
        user.line = null;
        break;
      }
      case 'assignNumber': {
        if (assignments.some((a) => lineKey(a) === op.telephoneNumber)) throw new Error(`${op.telephoneNumber} assigned twice`);
        if (user.line !== null) throw new Error(`${op.teamsUserId} already has a primary number`);
        const line = { ...parseKey(op.telephoneNumber), numberType: op.numberType };
        assignments.push({ ...line, targetId: op.teamsUserId, targetKind: 'user' });
        user.line = line;
        user.enterpriseVoice = true;
        break;
      }
      case 'grantVoiceRoutingPolicy':
        user.voiceRoutingPolicy = op.policyName;
        break;
      case 'grantCallingPolicy':
        user.callingPolicy = op.policyName;
        break;
      case 'revokeVoiceRoutingPolicy':
        user.voiceRoutingPolicy = null;
        break;
      case 'revokeCallingPolicy':
        user.callingPolicy = null;
        break;
    }
  };
  ops.filter((o) => o.kind === 'unassignNumber').forEach(run);
  ops.filter((o) => o.kind !== 'unassignNumber').forEach(run);
  return { actual, assignments };
}

const NUMBERS = [MAIN, N1, N2, '+14255550103'];
const EXTENSIONS = [null, null, '10', '11'];
const USERS = ['t1', 't2', 't3', 't4', 't5'];
const POLICIES = [null, 'VS', 'VS-VM-MOHTEAMS', 'VS-NoVM-MOHEXT', 'Theirs'];

const arbLine = fc.record({
  phoneNumber: fc.constantFrom(...NUMBERS),
  extension: fc.constantFrom(...EXTENSIONS),
  numberType: fc.constantFrom('directRouting' as const, 'operatorConnect' as const),
});

/** A consistent tenant: every line held once; each user's primary line is one of the lines they hold. */
const arbWorld: fc.Arbitrary<World> = fc
  .record({
    holdings: fc.array(fc.record({ line: arbLine, target: fc.constantFrom(...USERS, 'ra1') }), { maxLength: 8 }),
    flags: fc.array(
      fc.record({
        status: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'ok', 'gone', 'callingPlan', 'ineligible'),
        vrp: fc.constantFrom(...POLICIES),
        calling: fc.constantFrom(...POLICIES),
        present: fc.constantFrom(true, true, true, false),
      }),
      { minLength: USERS.length, maxLength: USERS.length },
    ),
  })
  .map(({ holdings, flags }) => {
    const assignments: NumberAssignment[] = [];
    const actual = new Map<string, ActualUser>();
    USERS.forEach((id, i) => {
      const f = flags[i];
      if (f.present) {
        actual.set(
          id,
          actualUser(id, {
            gone: f.status === 'gone',
            callingPlan: f.status === 'callingPlan',
            eligible: f.status !== 'ineligible',
            voiceRoutingPolicy: f.vrp,
            callingPolicy: f.calling,
          }),
        );
      }
    });
    for (const h of holdings) {
      if (assignments.some((a) => lineKey(a) === lineKey(h.line))) continue;
      const user = actual.get(h.target);
      if (h.target !== 'ra1' && (!user || user.line !== null)) continue;
      assignments.push({ ...h.line, targetId: h.target, targetKind: h.target === 'ra1' ? 'resourceAccount' : 'user' });
      if (user) {
        user.line = { ...h.line };
        user.enterpriseVoice = true;
      }
    }
    return { actual, assignments };
  });

const arbSettings = fc.record({
  policyPrefix: fc.constant('VS'),
  numberType: fc.constantFrom('directRouting' as const, 'operatorConnect' as const),
  mainNumber: fc.constantFrom(MAIN, null),
});

const arbScenario = fc
  .record({
    world: arbWorld,
    settings: arbSettings,
    roles: fc.array(fc.constantFrom('none', 'mapped', 'unmapped', 'remapped'), { minLength: USERS.length, maxLength: USERS.length }),
    wants: fc.array(
      fc.record({
        phoneNumber: fc.constantFrom(...NUMBERS, null),
        extension: fc.constantFrom(...EXTENSIONS),
        voicemail: fc.boolean(),
        callForwarding: fc.boolean(),
        musicOnHold: fc.constantFrom('teams' as const, 'provider' as const),
      }),
      { minLength: USERS.length, maxLength: USERS.length },
    ),
    had: fc.array(
      fc.record({
        line: fc.option(arbLine, { nil: null }),
        vrp: fc.constantFrom(...POLICIES),
        calling: fc.constantFrom(...POLICIES),
        fromActual: fc.boolean(),
      }),
      { minLength: USERS.length, maxLength: USERS.length },
    ),
  })
  .map(({ world, settings: s, roles, wants, had }) => {
    const desiredUsers: DesiredUser[] = [];
    const released: ReleasedUser[] = [];
    USERS.forEach((id, i) => {
      if (roles[i] === 'mapped' || roles[i] === 'remapped') desiredUsers.push({ voiceUserId: `v${i}`, teamsUserId: id, ...wants[i] });
      if (roles[i] === 'unmapped' || roles[i] === 'remapped') {
        // Often what the integration set is still there; sometimes it was changed since.
        const a = world.actual.get(id);
        const h = had[i];
        released.push(
          h.fromActual && a
            ? {
                voiceUserId: `old${i}`,
                teamsUserId: id,
                line: a.line,
                voiceRoutingPolicy: a.voiceRoutingPolicy,
                callingPolicy: a.callingPolicy,
              }
            : { voiceUserId: `old${i}`, teamsUserId: id, line: h.line, voiceRoutingPolicy: h.vrp, callingPolicy: h.calling },
        );
      }
    });
    const input: PlanInput = { desired: desiredUsers, released, settings: s, actual: world.actual, assignments: world.assignments };
    return { world, input };
  });

describe('properties', () => {
  test('applying a plan then planning again plans nothing (the refused stay refused, for the same reason)', () => {
    fc.assert(
      fc.property(arbScenario, ({ world, input }) => {
        const first = planSync(input);
        const after = applyOperations(world, first);
        const second = planSync({ ...input, actual: after.actual, assignments: after.assignments });
        expect(operationsOfPlan(second)).toEqual([]);
        const refused = (p: SyncPlan) =>
          p.users
            .filter((u) => u.outcome === 'refused')
            .map((u) => u.teamsUserId)
            .sort();
        expect(refused(second)).toEqual(refused(first));
      }),
      { numRuns: 500 },
    );
  });

  test('unmapped users get only reverts of what the integration set and still finds', () => {
    fc.assert(
      fc.property(arbScenario, ({ input }) => {
        const p = planSync(input);
        const mapped = new Set(input.desired.map((d) => d.teamsUserId));
        for (const r of input.released) {
          if (mapped.has(r.teamsUserId)) continue;
          const a = input.actual.get(r.teamsUserId);
          for (const op of opsOf(p, r.teamsUserId)) {
            expect(['unassignNumber', 'revokeVoiceRoutingPolicy', 'revokeCallingPolicy']).toContain(op.kind);
            if (op.kind === 'unassignNumber') {
              expect(r.line && telephoneNumberOf(r.line)).toBe(op.telephoneNumber);
              expect(a?.line && telephoneNumberOf(a.line)).toBe(op.telephoneNumber);
              expect(op.numberType).toBe(r.line?.numberType);
            }
            if (op.kind === 'revokeVoiceRoutingPolicy')
              expect([r.voiceRoutingPolicy, a?.voiceRoutingPolicy]).toEqual([op.before, op.before]);
            if (op.kind === 'revokeCallingPolicy') expect([r.callingPolicy, a?.callingPolicy]).toEqual([op.before, op.before]);
          }
        }
        // Users neither mapped nor unmapped are never touched.
        const known = new Set([...mapped, ...input.released.map((r) => r.teamsUserId)]);
        expect(operationsOfPlan(p).filter((o) => !known.has(o.teamsUserId))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  test('one line is never assigned to two users, nor taken from anyone outside the plan', () => {
    fc.assert(
      fc.property(arbScenario, ({ world, input }) => {
        const p = planSync(input);
        const assigned = operationsOfPlan(p).flatMap((o) => (o.kind === 'assignNumber' ? [o.telephoneNumber] : []));
        expect(new Set(assigned).size).toBe(assigned.length);
        const after = applyOperations(world, p); // throws on a double assignment
        const lines = after.assignments.map(lineKey);
        expect(new Set(lines).size).toBe(lines.length);
        // Resource accounts and users outside the plan keep every line they had.
        const known = new Set(p.users.map((u) => u.teamsUserId));
        for (const a of world.assignments.filter((x) => !known.has(x.targetId))) {
          expect(after.assignments).toContainEqual(a);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('the plan does not depend on the order of its inputs', () => {
    fc.assert(
      fc.property(arbScenario, ({ input }) => {
        const reversed = {
          ...input,
          desired: [...input.desired].reverse(),
          released: [...input.released].reverse(),
          assignments: [...input.assignments].reverse(),
        };
        expect(planSync(reversed)).toEqual(planSync(input));
      }),
      { numRuns: 200 },
    );
  });
});
