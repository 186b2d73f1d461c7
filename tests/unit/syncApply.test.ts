import fc from 'fast-check';
import {
  AppliedVoiceState,
  backoffSeconds,
  CHUNK_SIZE,
  chunkUsers,
  committedVoiceUsers,
  countsOf,
  isApplied,
  isSettled,
  LastSyncResult,
  MAX_ATTEMPTS,
  numberChangeHolds,
  OperationProgress,
  PlannedUser,
  plannedUsers,
  ProgressStatus,
  readyOperations,
  recordOutcome,
  recordVerified,
  secondsToWait,
  SendOutcome,
  stopUnsettled,
  VoiceUserApplied,
} from '../../shared/domain/syncApply';
import { ActualUser, AssignedLine, Operation, SyncPlan, UserPlan } from '../../shared/domain/syncPlan';

// ---------------------------------------------------------------------------------------------------------------------
// Builders

const N1 = '+14255550101';
const N2 = '+14255550102';
const N3 = '+14255550103';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const later = (seconds: number, from = NOW): string => new Date(from.getTime() + seconds * 1000).toISOString();

const assign = (teamsUserId: string, telephoneNumber = N1, waitFor: string[] = []): Operation => ({
  kind: 'assignNumber',
  teamsUserId,
  telephoneNumber,
  numberType: 'directRouting',
  assignmentCategory: 'primary',
  waitFor,
});
const unassign = (
  teamsUserId: string,
  telephoneNumber = N1,
  numberType: 'directRouting' | 'operatorConnect' = 'directRouting',
): Operation => ({
  kind: 'unassignNumber',
  teamsUserId,
  telephoneNumber,
  numberType,
});
const grantVrp = (teamsUserId: string): Operation => ({ kind: 'grantVoiceRoutingPolicy', teamsUserId, policyName: 'VS', before: null });
const grantCalling = (teamsUserId: string): Operation => ({
  kind: 'grantCallingPolicy',
  teamsUserId,
  policyName: 'VS-VM-MOHTEAMS',
  before: null,
});
const revokeCalling = (teamsUserId: string): Operation => ({ kind: 'revokeCallingPolicy', teamsUserId, before: 'VS-VM-MOHTEAMS' });

const progress = (operation: Operation, over: Partial<OperationProgress> = {}): OperationProgress => ({
  operation,
  status: 'pending',
  attempts: 0,
  retryAt: null,
  operationUrl: null,
  verify: false,
  clientRequestId: null,
  requestId: null,
  error: null,
  ...over,
});
const withStatus = (operation: Operation, status: ProgressStatus, error: OperationProgress['error'] = null): OperationProgress =>
  progress(operation, {
    status,
    error: error ?? (status === 'failed' || status === 'notAttempted' ? err(`${status} ${operation.kind}`) : null),
  });
const err = (message: string, code = 'TEAMS_WRITE_FAILED') => ({ code, message });

const stateOf = (telephoneNumber: string | null): AppliedVoiceState => ({
  telephoneNumber,
  numberType: telephoneNumber === null ? null : 'directRouting',
  voiceRoutingPolicy: 'VS',
  callingPolicy: 'VS-VM-MOHTEAMS',
});

/** A plan row: operations given bare are pending. */
const row = (teamsUserId: string, operations: (Operation | OperationProgress)[] = [], over: Partial<PlannedUser> = {}): PlannedUser => ({
  order: 0,
  chunk: 0,
  teamsUserId,
  role: 'mapped',
  voiceUserIds: [`v-${teamsUserId}`],
  mappedVoiceUserId: `v-${teamsUserId}`,
  mappedState: stateOf(N1),
  actual: null,
  refusal: null,
  operations: operations.map((o) => ('operation' in o ? o : progress(o))),
  ...over,
});
const unmappedRow = (teamsUserId: string, voiceUserId: string, operations: (Operation | OperationProgress)[]): PlannedUser =>
  row(teamsUserId, operations, { role: 'unmapped', voiceUserIds: [voiceUserId], mappedVoiceUserId: null, mappedState: null });

const planned = (
  teamsUserId: string,
  voiceUserIds: string[],
  operations: Operation[] = [],
  role: UserPlan['role'] = 'mapped',
): UserPlan => ({
  teamsUserId,
  voiceUserIds,
  role,
  outcome: 'planned',
  operations,
});
const refused = (teamsUserId: string, voiceUserIds: string[], role: UserPlan['role'] = 'mapped'): UserPlan => ({
  teamsUserId,
  voiceUserIds,
  role,
  outcome: 'refused',
  error: { code: 'NUMBER_IN_USE', message: `The number is held (${teamsUserId}).`, details: { teamsUserId } },
});

const actualUser = (teamsUserId: string, line: AssignedLine | null, over: Partial<ActualUser> = {}): ActualUser => ({
  teamsUserId,
  gone: false,
  eligible: true,
  callingPlan: false,
  enterpriseVoice: true,
  line,
  voiceRoutingPolicy: null,
  callingPolicy: null,
  ...over,
});
const dr = (phoneNumber: string, extension: string | null = null): AssignedLine => ({
  phoneNumber,
  extension,
  numberType: 'directRouting',
});

const statusesOf = (u: PlannedUser): ProgressStatus[] => u.operations.map((p) => p.status);
const refsOf = (ready: { user: number; op: number }[]) => ready.map((r) => `${r.user}.${r.op}`);

// ---------------------------------------------------------------------------------------------------------------------

describe('chunkUsers', () => {
  test('users that share a voice user share a chunk, wherever they are in the plan', () => {
    // t0 and t3 both carry v-x (released from t0, mapped on t3): with size 2 they would otherwise land apart.
    const users = [planned('t0', ['v-a', 'v-x']), planned('t1', ['v-b']), planned('t2', ['v-c']), planned('t3', ['v-x'])];
    const chunks = chunkUsers(users, 2);
    expect(chunks[0]).toBe(chunks[3]);
    expect(new Set(chunks).size).toBeGreaterThan(1);
    // Without the shared voice user, plain packing by two.
    const apart = chunkUsers([...users.slice(0, 3), planned('t3', ['v-d'])], 2);
    expect(apart).toEqual([0, 0, 1, 1]);
    expect(apart[0]).not.toBe(apart[3]);
  });

  test('an assign and the users whose unassign it waits for share a chunk', () => {
    const users = [
      planned('t0', ['v0'], [unassign('t0', N1)]),
      planned('t1', ['v1']),
      planned('t2', ['v2']),
      planned('t3', ['v3'], [assign('t3', N1, ['t0'])]),
    ];
    const chunks = chunkUsers(users, 2);
    expect(chunks[3]).toBe(chunks[0]);
    // The link is what holds them: without the waitFor they part.
    const unlinked = chunkUsers([...users.slice(0, 3), planned('t3', ['v3'], [assign('t3', N1)])], 2);
    expect(unlinked[3]).not.toBe(unlinked[0]);
  });

  test('a waitFor naming a user outside the plan, or on a refused user, links nothing', () => {
    const users = [planned('t0', ['v0']), planned('t1', ['v1']), planned('t2', ['v2'], [assign('t2', N1, ['elsewhere'])])];
    expect(chunkUsers(users, 1)).toEqual([0, 1, 2]);
    // Refused users have no operations to link (the union only follows planned users' assigns).
    expect(chunkUsers([planned('t0', ['v0']), refused('t1', ['v1'])], 1)).toEqual([0, 1]);
  });

  test('groups are packed in plan order, size users a chunk', () => {
    const users = Array.from({ length: 7 }, (_, i) => planned(`t${i}`, [`v${i}`]));
    expect(chunkUsers(users, 3)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(chunkUsers(users, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(chunkUsers(users)).toEqual(users.map(() => 0)); // CHUNK_SIZE by default
    expect(CHUNK_SIZE).toBeGreaterThanOrEqual(users.length);
    expect(chunkUsers([], 3)).toEqual([]);
  });

  test('a group that does not fit the current chunk starts the next one (never split)', () => {
    // t1 and t2 share v-x: with size 2 and t0 in chunk 0, the pair moves on together.
    const users = [planned('t0', ['v0']), planned('t1', ['v-x']), planned('t2', ['v-x']), planned('t3', ['v3'])];
    expect(chunkUsers(users, 2)).toEqual([0, 1, 1, 2]);
  });

  test('a group larger than size keeps a chunk of its own', () => {
    const users = [
      planned('t0', ['v0']),
      planned('t1', ['v-x']),
      planned('t2', ['v-x', 'v-y']),
      planned('t3', ['v-y']),
      planned('t4', ['v4']),
      planned('t5', ['v5']),
    ];
    const chunks = chunkUsers(users, 2);
    expect(chunks).toEqual([0, 1, 1, 1, 2, 2]);
    // Also when it comes first.
    expect(chunkUsers(users.slice(1), 2)).toEqual([0, 0, 0, 1, 1]);
  });

  test('links chain: a voice user and a waitFor join three users into one group', () => {
    const users = [
      planned('t0', ['v0'], [unassign('t0', N1)]),
      planned('t1', ['v1']),
      planned('t2', ['v2', 'v9'], [assign('t2', N1, ['t0'])]),
      planned('t3', ['v3']),
      planned('t4', ['v9']),
    ];
    const chunks = chunkUsers(users, 1);
    expect(chunks[0]).toBe(chunks[2]);
    expect(chunks[2]).toBe(chunks[4]);
    expect(chunks[1]).not.toBe(chunks[0]);
    expect(chunks[3]).not.toBe(chunks[1]);
  });

  describe('property', () => {
    const arbPlan = fc
      .record({
        n: fc.integer({ min: 0, max: 14 }),
        size: fc.integer({ min: 1, max: 6 }),
        seed: fc.array(
          fc.record({
            voice: fc.uniqueArray(fc.integer({ min: 0, max: 16 }), { maxLength: 3 }),
            refused: fc.boolean(),
            waitFor: fc.uniqueArray(fc.integer({ min: 0, max: 16 }), { maxLength: 2 }),
          }),
          { minLength: 14, maxLength: 14 },
        ),
      })
      .map(({ n, size, seed }) => ({
        size,
        users: seed.slice(0, n).map((s, i): UserPlan => {
          const voiceUserIds = s.voice.map((v) => `v${v}`);
          return s.refused
            ? refused(`t${i}`, voiceUserIds)
            : planned(`t${i}`, voiceUserIds, [
                grantVrp(`t${i}`),
                assign(
                  `t${i}`,
                  N1,
                  s.waitFor.map((w) => `t${w}`), // some name users outside the plan (w >= n)
                ),
              ]);
        }),
      }));

    /** The groups by a plain search over the links, independent of the union-find under test. */
    const groupsOf = (users: UserPlan[]): number[][] => {
      const links = users.map(() => new Set<number>());
      const link = (a: number, b: number) => {
        links[a]!.add(b);
        links[b]!.add(a);
      };
      users.forEach((u, i) =>
        users.forEach((w, j) => {
          if (i !== j && u.voiceUserIds.some((v) => w.voiceUserIds.includes(v))) link(i, j);
          if (u.outcome === 'planned' && u.operations.some((o) => o.kind === 'assignNumber' && o.waitFor.includes(w.teamsUserId)))
            link(i, j);
        }),
      );
      const seen = new Set<number>();
      const groups: number[][] = [];
      users.forEach((_, i) => {
        if (seen.has(i)) return;
        const group: number[] = [];
        const stack = [i];
        seen.add(i);
        while (stack.length) {
          const k = stack.pop()!;
          group.push(k);
          for (const j of links[k]!) {
            if (seen.has(j)) continue;
            seen.add(j);
            stack.push(j);
          }
        }
        groups.push(group.sort((a, b) => a - b));
      });
      return groups;
    };

    test('chunks respect size, plan order and every link', () => {
      fc.assert(
        fc.property(arbPlan, ({ users, size }) => {
          const chunks = chunkUsers(users, size);
          expect(chunks).toHaveLength(users.length);
          const groups = groupsOf(users);
          // Every linked user shares a chunk.
          for (const g of groups) expect(new Set(g.map((i) => chunks[i]))).toEqual(new Set([chunks[g[0]!]]));
          // Every chunk holds at most `size` users, unless it is one oversized group alone.
          const byChunk = new Map<number, number[]>();
          chunks.forEach((c, i) => byChunk.set(c, [...(byChunk.get(c) ?? []), i]));
          for (const members of byChunk.values()) {
            if (members.length <= size) continue;
            const inside = groups.filter((g) => members.includes(g[0]!));
            expect(inside).toHaveLength(1);
            expect(inside[0]).toEqual(members);
          }
          // Chunks follow plan order: by each group's first member, non-decreasing; numbered from 0 without a gap.
          const firsts = groups.map((g) => g[0]!).sort((a, b) => a - b);
          for (let k = 1; k < firsts.length; k++) expect(chunks[firsts[k]!]!).toBeGreaterThanOrEqual(chunks[firsts[k - 1]!]!);
          expect([...byChunk.keys()].sort((a, b) => a - b)).toEqual([...byChunk.keys()].map((_, k) => k));
          // Greedy packing: a chunk starts anew only when the next group would overflow the one before.
          for (const [c, members] of byChunk) {
            if (c === 0) continue;
            const first = members[0]!;
            const group = groups.find((g) => g[0] === first)!;
            expect(byChunk.get(c - 1)!.length + group.length).toBeGreaterThan(size);
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('plannedUsers', () => {
  const plan: SyncPlan = {
    users: [
      planned('t0', ['v-old'], [unassign('t0', N1), revokeCalling('t0')], 'unmapped'),
      planned('t1', ['v-new', 'v-prev'], [assign('t1', N1, ['t0']), grantVrp('t1')], 'mapped'),
      refused('t2', ['v-r']),
      planned('t3', ['v-ok'], [], 'mapped'),
    ],
  };
  const actual = new Map([
    ['t0', actualUser('t0', dr(N1))],
    ['t1', actualUser('t1', null)],
  ]);
  const asked: string[] = [];
  const mappedState = (voiceUserId: string): AppliedVoiceState | null => {
    asked.push(voiceUserId);
    return voiceUserId === 'v-new' ? stateOf(N1) : voiceUserId === 'v-ok' ? stateOf(N2) : null;
  };
  const rows = plannedUsers(plan, { actual, mappedState }, 2);

  test('one row per user in plan order, with chunks from chunkUsers', () => {
    expect(rows.map((r) => [r.order, r.teamsUserId, r.role])).toEqual([
      [0, 't0', 'unmapped'],
      [1, 't1', 'mapped'],
      [2, 't2', 'mapped'],
      [3, 't3', 'mapped'],
    ]);
    expect(rows.map((r) => r.chunk)).toEqual(chunkUsers(plan.users, 2));
    expect(rows.map((r) => r.voiceUserIds)).toEqual(plan.users.map((u) => u.voiceUserIds));
    expect(rows[1]!.voiceUserIds).not.toBe(plan.users[1]!.voiceUserIds); // a copy
  });

  test('mapped voice user and state only for role mapped', () => {
    expect(rows.map((r) => r.mappedVoiceUserId)).toEqual([null, 'v-new', 'v-r', 'v-ok']);
    expect(rows[0]!.mappedState).toBeNull();
    expect(rows[1]!.mappedState).toEqual(stateOf(N1));
    expect(rows[3]!.mappedState).toEqual(stateOf(N2));
    expect(asked).not.toContain('v-old');
    expect(asked).not.toContain('v-prev');
  });

  test('actual state as read, null when not read', () => {
    expect(rows[0]!.actual).toEqual(actual.get('t0'));
    expect(rows[1]!.actual).toEqual(actual.get('t1'));
    expect(rows[2]!.actual).toBeNull();
  });

  test('refused users get their refusal and no operations; planned users none', () => {
    expect(rows[2]!.refusal).toEqual({ code: 'NUMBER_IN_USE', message: 'The number is held (t2).' });
    expect(rows[2]!.operations).toEqual([]);
    expect(rows.filter((r) => r.teamsUserId !== 't2').map((r) => r.refusal)).toEqual([null, null, null]);
  });

  test('fresh progress for every planned operation, in order', () => {
    expect(rows.map((r) => r.operations.map((p) => p.operation))).toEqual([
      [unassign('t0', N1), revokeCalling('t0')],
      [assign('t1', N1, ['t0']), grantVrp('t1')],
      [],
      [],
    ]);
    for (const p of rows.flatMap((r) => r.operations))
      expect(p).toEqual({
        operation: p.operation,
        status: 'pending',
        attempts: 0,
        retryAt: null,
        operationUrl: null,
        verify: false,
        clientRequestId: null,
        requestId: null,
        error: null,
      });
    expect(isSettled(rows[0]!)).toBe(false);
    expect(isSettled(rows[3]!)).toBe(true);
    expect(isApplied(rows[3]!)).toBe(true);
    expect(isApplied(rows[2]!)).toBe(false);
  });
});

describe('readyOperations', () => {
  test('policy grants are ready at once, also behind pending number changes', () => {
    const users = [row('t1', [unassign('t1', N2), assign('t1', N1), grantVrp('t1'), grantCalling('t1')])];
    expect(refsOf(readyOperations(users, NOW).ready)).toEqual(['0.0', '0.2', '0.3']);
  });

  test('number changes go one at a time per user, in order', () => {
    const ops = [unassign('t1', N2), assign('t1', N1), grantVrp('t1')];
    expect(refsOf(readyOperations([row('t1', ops)], NOW).ready)).toEqual(['0.0', '0.2']);
    const submitted = row('t1', [
      progress(ops[0]!, { status: 'submitted', attempts: 1, operationUrl: 'u' }),
      ops[1]!,
      withStatus(ops[2]!, 'succeeded'),
    ]);
    expect(refsOf(readyOperations([submitted], NOW).ready)).toEqual([]);
    const done = row('t1', [withStatus(ops[0]!, 'succeeded'), ops[1]!, withStatus(ops[2]!, 'succeeded')]);
    expect(refsOf(readyOperations([done], NOW).ready)).toEqual(['0.1']);
  });

  test('an assign waits for the unassign of its number by the user holding it', () => {
    const holder = (status: ProgressStatus) => row('t0', [withStatus(unassign('t0', N1), status), grantVrp('t0')], { role: 'unmapped' });
    const taker = row('t1', [assign('t1', N1, ['t0'])]);
    expect(refsOf(readyOperations([holder('pending'), taker], NOW).ready)).toEqual(['0.0', '0.1']);
    expect(refsOf(readyOperations([holder('submitted'), taker], NOW).ready)).toEqual(['0.1']);
    expect(refsOf(readyOperations([holder('succeeded'), taker], NOW).ready)).toEqual(['0.1', '1.0']);
    // The holder's unassign of another number does not free this one.
    const other = row('t0', [withStatus(unassign('t0', N2), 'succeeded')]);
    const r = readyOperations([other, taker], NOW);
    expect(refsOf(r.ready)).toEqual([]);
    expect(r.users[1]!.operations[0]).toMatchObject({ status: 'failed', error: { code: 'DEPENDENCY_FAILED' } });
  });

  test('an assign waiting for several users needs every unassign', () => {
    const a = row('ta', [withStatus(unassign('ta', N1), 'succeeded')]);
    const b = (s: ProgressStatus) => row('tb', [withStatus(unassign('tb', N1), s)]);
    const taker = row('t1', [assign('t1', N1, ['ta', 'tb'])]);
    expect(refsOf(readyOperations([a, b('submitted'), taker], NOW).ready)).toEqual([]);
    expect(refsOf(readyOperations([a, b('succeeded'), taker], NOW).ready)).toEqual(['2.0']);
  });

  test('a failed earlier number change fails the next with DEPENDENCY_FAILED', () => {
    for (const s of ['failed', 'notAttempted'] as const) {
      const users = [row('t1', [withStatus(unassign('t1', N2), s), assign('t1', N1), grantVrp('t1')])];
      const r = readyOperations(users, NOW);
      expect(statusesOf(r.users[0]!)).toEqual([s, 'failed', 'pending']);
      expect(r.users[0]!.operations[1]!.error).toEqual({
        code: 'DEPENDENCY_FAILED',
        message: 'Not attempted: the number change before it did not succeed.',
      });
      expect(refsOf(r.ready)).toEqual(['0.2']);
    }
  });

  test('a failed or not attempted awaited unassign fails the assign with DEPENDENCY_FAILED', () => {
    for (const s of ['failed', 'notAttempted'] as const) {
      const users = [row('t0', [withStatus(unassign('t0', N1), s)]), row('t1', [assign('t1', N1, ['t0']), grantVrp('t1')])];
      const r = readyOperations(users, NOW);
      expect(r.users[1]!.operations[0]).toMatchObject({
        status: 'failed',
        retryAt: null,
        error: { code: 'DEPENDENCY_FAILED', message: `Not attempted: the unassignment of ${N1} from the user holding it did not succeed.` },
      });
      expect(refsOf(r.ready)).toEqual(['1.1']);
    }
  });

  test('dependency failures propagate transitively along waitFor chains, whatever the row order', () => {
    // tc's assign of N3 waits for tb's unassign of N3, which comes after tb's assign of N2, which waits for ta's unassign
    // of N2, which failed. The dependants come first, so one pass over the rows is not enough.
    const tc = row('tc', [assign('tc', N3, ['tb'])]);
    const tb = row('tb', [assign('tb', N2, ['ta']), unassign('tb', N3)]);
    const ta = row('ta', [withStatus(unassign('ta', N2), 'failed')]);
    const r = readyOperations([tc, tb, ta], NOW);
    expect(statusesOf(r.users[0]!)).toEqual(['failed']);
    expect(statusesOf(r.users[1]!)).toEqual(['failed', 'failed']);
    for (const p of [...r.users[0]!.operations, ...r.users[1]!.operations]) expect(p.error?.code).toBe('DEPENDENCY_FAILED');
    expect(r.ready).toEqual([]);
    // With ta's unassign still running, nothing fails.
    const running = readyOperations([tc, tb, row('ta', [withStatus(unassign('ta', N2), 'submitted')])], NOW);
    expect(running.users.flatMap(statusesOf)).toEqual(['pending', 'pending', 'pending', 'submitted']);
  });

  test('a retry not yet due is not ready; one due is', () => {
    const users = (retryAt: string) => [
      row('t1', [progress(assign('t1', N1), { attempts: 1, retryAt }), progress(grantVrp('t1'), { attempts: 1, retryAt })]),
    ];
    expect(readyOperations(users(later(1)), NOW).ready).toEqual([]);
    expect(refsOf(readyOperations(users(later(0)), NOW).ready)).toEqual(['0.0', '0.1']);
    expect(refsOf(readyOperations(users(later(-5)), NOW).ready)).toEqual(['0.0', '0.1']);
  });

  test('a number change not yet due holds back the next one of its user', () => {
    const users = [row('t1', [progress(unassign('t1', N2), { attempts: 1, retryAt: later(30) }), assign('t1', N1)])];
    expect(readyOperations(users, NOW).ready).toEqual([]);
  });

  test('settled and submitted operations are never ready', () => {
    const users = [
      row('t1', [withStatus(grantVrp('t1'), 'succeeded'), withStatus(grantCalling('t1'), 'failed')]),
      row('t2', [withStatus(assign('t2', N2), 'submitted'), withStatus(grantVrp('t2'), 'notAttempted')]),
    ];
    expect(readyOperations(users, NOW).ready).toEqual([]);
  });

  test('the input rows are not changed', () => {
    const users = [row('t0', [withStatus(unassign('t0', N1), 'failed')]), row('t1', [assign('t1', N1, ['t0']), unassign('t1', N2)])];
    const before = structuredClone(users);
    const r = readyOperations(users, NOW);
    expect(users).toEqual(before);
    expect(r.users[1]!.operations[0]!.status).toBe('failed');
    expect(r.users[1]!).not.toBe(users[1]);
  });

  test('property: only what may go is ready, and the input stays as it was', () => {
    const statuses: ProgressStatus[] = ['pending', 'pending', 'submitted', 'succeeded', 'failed', 'notAttempted'];
    const ids = ['t0', 't1', 't2', 't3'];
    const numbers = [N1, N2, N3];
    const arbOp = (teamsUserId: string) =>
      fc.oneof(
        fc.constantFrom(...numbers).map((n) => unassign(teamsUserId, n)),
        fc
          .record({ n: fc.constantFrom(...numbers), waitFor: fc.uniqueArray(fc.constantFrom(...ids, 'tx'), { maxLength: 2 }) })
          .map(({ n, waitFor }) => assign(teamsUserId, n, waitFor)),
        fc.constant(grantVrp(teamsUserId)),
      );
    const arbRows = fc.tuple(
      ...ids.map((id) =>
        fc
          .array(fc.record({ op: arbOp(id), status: fc.constantFrom(...statuses), retry: fc.constantFrom(null, -10, 10) }), {
            maxLength: 3,
          })
          .map((ops) =>
            row(
              id,
              ops.map(({ op, status, retry }) => progress(op, { status, retryAt: retry === null ? null : later(retry) })),
            ),
          ),
      ),
    );
    fc.assert(
      fc.property(arbRows, (users) => {
        const before = structuredClone(users);
        const { users: next, ready } = readyOperations(users, NOW);
        expect(users).toEqual(before);
        const perUserNumberOps = new Map<number, number>();
        for (const { user, op } of ready) {
          const p = next[user]!.operations[op]!;
          expect(p.status).toBe('pending');
          expect(p.retryAt === null || Date.parse(p.retryAt) <= NOW.getTime()).toBe(true);
          const o = p.operation;
          if (o.kind !== 'assignNumber' && o.kind !== 'unassignNumber') continue;
          perUserNumberOps.set(user, (perUserNumberOps.get(user) ?? 0) + 1);
          // The number change before it succeeded (it was sent only once the one before it had: a reachable row has no
          // failure further back behind a success).
          const earlier = next[user]!.operations.slice(0, op).filter(
            (q) => q.operation.kind === 'assignNumber' || q.operation.kind === 'unassignNumber',
          );
          if (earlier.length) expect(earlier[earlier.length - 1]!.status).toBe('succeeded');
          if (o.kind === 'assignNumber')
            for (const w of o.waitFor) {
              const freeing = next
                .find((u) => u.teamsUserId === w)
                ?.operations.find((q) => q.operation.kind === 'unassignNumber' && q.operation.telephoneNumber === o.telephoneNumber);
              expect(freeing?.status).toBe('succeeded');
            }
        }
        for (const count of perUserNumberOps.values()) expect(count).toBe(1);
        // Only pending operations change, and only to failed with DEPENDENCY_FAILED.
        next.forEach((u, i) =>
          u.operations.forEach((p, j) => {
            const was = users[i]!.operations[j]!;
            if (p.status === was.status) expect(p).toEqual(was);
            else expect([was.status, p.status, p.error?.code]).toEqual(['pending', 'failed', 'DEPENDENCY_FAILED']);
          }),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('recordOutcome', () => {
  const pending = progress(assign('t1', N1));

  test('submitted: the long-running operation is recorded, one attempt more', () => {
    const p = recordOutcome(
      { ...pending, attempts: 2, retryAt: later(-1), error: err('throttled', 'TEAMS_THROTTLED') },
      { kind: 'submitted', operationUrl: 'https://graph/op/1', clientRequestId: 'c1', requestId: 'r1' },
      NOW,
    );
    expect(p).toEqual({
      ...pending,
      status: 'submitted',
      attempts: 3,
      retryAt: null,
      operationUrl: 'https://graph/op/1',
      clientRequestId: 'c1',
      requestId: 'r1',
      error: null,
    });
  });

  test('succeeded: from pending counts an attempt, from submitted not; ids kept when none come back', () => {
    const fromPending = recordOutcome(pending, { kind: 'succeeded', clientRequestId: 'c', requestId: 'r' }, NOW);
    expect(fromPending).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      clientRequestId: 'c',
      requestId: 'r',
      error: null,
      retryAt: null,
    });
    const submitted = progress(assign('t1', N1), {
      status: 'submitted',
      attempts: 1,
      operationUrl: 'u',
      clientRequestId: 'c0',
      requestId: 'r0',
      retryAt: later(-3),
    });
    const fromSubmitted = recordOutcome(submitted, { kind: 'succeeded', clientRequestId: null, requestId: null }, NOW);
    expect(fromSubmitted).toEqual({ ...submitted, status: 'succeeded', retryAt: null, verify: false, error: null });
  });

  test('running: nothing changes', () => {
    const submitted = progress(assign('t1', N1), { status: 'submitted', attempts: 1, operationUrl: 'u' });
    expect(recordOutcome(submitted, { kind: 'running' }, NOW)).toEqual(submitted);
  });

  test('reportedFailed: verify with the reason, status unchanged', () => {
    const submitted = progress(assign('t1', N1), { status: 'submitted', attempts: 1, operationUrl: 'u' });
    const p = recordOutcome(submitted, { kind: 'reportedFailed', reason: 'Number already assigned.' }, NOW);
    expect(p).toEqual({ ...submitted, verify: true, error: { code: 'TEAMS_WRITE_FAILED', message: 'Number already assigned.' } });
    expect(p.status).toBe('submitted');
  });

  type ErrorOutcome = Extract<SendOutcome, { kind: 'error' }>;
  const transient = (over: Partial<ErrorOutcome> = {}): ErrorOutcome => ({
    kind: 'error',
    code: 'TEAMS_THROTTLED',
    message: 'Too many requests.',
    transient: true,
    ...over,
  });

  test('backoff doubles from 1 s up to 60 s; Retry-After wins when longer', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffSeconds(n))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(backoffSeconds(0)).toBe(1);
    expect(backoffSeconds(1, 30)).toBe(30);
    expect(backoffSeconds(5, 3)).toBe(16);
    expect(backoffSeconds(10, 120)).toBe(120);
  });

  test('a transient error puts it back to pending with retryAt from the backoff, honouring Retry-After', () => {
    const p1 = recordOutcome(pending, transient({ clientRequestId: 'c1', requestId: 'r1' }), NOW);
    expect(p1).toEqual({
      ...pending,
      status: 'pending',
      attempts: 1,
      retryAt: later(backoffSeconds(1)),
      clientRequestId: 'c1',
      requestId: 'r1',
      error: { code: 'TEAMS_THROTTLED', message: 'Too many requests.' },
    });
    const p2 = recordOutcome(p1, transient(), NOW);
    expect(p2).toMatchObject({ status: 'pending', attempts: 2, retryAt: later(backoffSeconds(2)), clientRequestId: 'c1', requestId: 'r1' });
    const p3 = recordOutcome(p2, transient({ retryAfterSeconds: 45 }), NOW);
    expect(p3).toMatchObject({ status: 'pending', attempts: 3, retryAt: later(45) });
    expect(later(45)).not.toBe(later(backoffSeconds(3)));
  });

  test(`after ${MAX_ATTEMPTS} transient errors it fails`, () => {
    let p = pending;
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      p = recordOutcome(p, transient(), NOW);
      expect(p).toMatchObject({ status: 'pending', attempts: i });
      expect(p.retryAt).not.toBeNull();
    }
    p = recordOutcome(p, transient(), NOW);
    expect(p).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, retryAt: null, error: { code: 'TEAMS_THROTTLED' } });
  });

  test('a permanent error fails it at once', () => {
    const p = recordOutcome(
      pending,
      { kind: 'error', code: 'TEAMS_WRITE_FAILED', message: 'Bad request.', transient: false, requestId: 'r9' },
      NOW,
    );
    expect(p).toEqual({
      ...pending,
      status: 'failed',
      attempts: 1,
      retryAt: null,
      requestId: 'r9',
      error: { code: 'TEAMS_WRITE_FAILED', message: 'Bad request.' },
    });
    const grant = recordOutcome(progress(grantVrp('t1'), { attempts: 2, retryAt: later(-1) }), { ...transient(), transient: false }, NOW);
    expect(grant).toMatchObject({ status: 'failed', attempts: 3, retryAt: null });
  });

  test('transient poll failures keep a submitted change submitted until the limit, then verify', () => {
    const submitted = recordOutcome(pending, { kind: 'submitted', operationUrl: 'u', clientRequestId: 'c', requestId: null }, NOW);
    let p = submitted;
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      p = recordOutcome(p, transient(), NOW);
      expect(p).toMatchObject({
        status: 'submitted',
        verify: false,
        operationUrl: 'u',
        attempts: 1 + i,
        retryAt: later(backoffSeconds(1 + i)),
      });
    }
    p = recordOutcome(p, transient({ retryAfterSeconds: 90 }), NOW);
    expect(p).toMatchObject({ status: 'submitted', verify: true, error: { code: 'TEAMS_THROTTLED' } });
    // Retry-After on a poll is honoured too.
    expect(recordOutcome(submitted, transient({ retryAfterSeconds: 90 }), NOW).retryAt).toBe(later(90));
  });

  test('a permanent poll failure verifies at once, keeping it submitted', () => {
    const submitted = progress(assign('t1', N1), { status: 'submitted', attempts: 1, operationUrl: 'u' });
    const p = recordOutcome(submitted, { ...transient(), transient: false, code: 'TEAMS_WRITE_FAILED', message: 'Gone.' }, NOW);
    expect(p).toEqual({ ...submitted, verify: true, error: { code: 'TEAMS_WRITE_FAILED', message: 'Gone.' } });
  });

  test('throttled: no attempt spent, however often; waits Retry-After, longer after repeated 429s', () => {
    const throttledBy = (retryAfterSeconds?: number): Extract<SendOutcome, { kind: 'error' }> => ({
      kind: 'error',
      code: 'TEAMS_THROTTLED',
      message: 'Microsoft Graph is throttling a number change.',
      transient: true,
      throttled: true,
      retryAfterSeconds,
    });
    let p = pending;
    for (let i = 0; i < MAX_ATTEMPTS * 3; i++) p = recordOutcome(p, throttledBy(2), NOW);
    expect(p).toMatchObject({ status: 'pending', attempts: 0, throttled: MAX_ATTEMPTS * 3, retryAt: later(60) });
    expect(recordOutcome(pending, throttledBy(7), NOW)).toMatchObject({ attempts: 0, throttled: 1, retryAt: later(7) });
    expect(recordOutcome({ ...pending, throttled: 2 }, throttledBy(1), NOW)).toMatchObject({ throttled: 3, retryAt: later(4) });
    expect(recordOutcome(pending, throttledBy(), NOW).retryAt).toBe(later(1));
    // A poll throttled: still submitted, its attempts untouched.
    const submitted = { ...pending, status: 'submitted' as const, attempts: 1, operationUrl: 'https://graph/op/1' };
    expect(recordOutcome(submitted, throttledBy(3), NOW)).toEqual({ ...submitted, throttled: 1, retryAt: later(3) });
    // Held back unsent: nothing counted, only the wait.
    expect(recordOutcome(pending, { ...throttledBy(5), notSent: true }, NOW)).toEqual({ ...pending, retryAt: later(5) });
    // Any other transient fault still spends an attempt.
    expect(recordOutcome(pending, { ...throttledBy(5), throttled: false, code: 'TEAMS_UNAVAILABLE' }, NOW)).toMatchObject({ attempts: 1 });
  });
});

describe('numberChangeHolds and recordVerified', () => {
  const ext = `${N1};ext=10`;
  const withExt = { ...assign('t1', ext) } as Operation;

  test('an assign holds when the line is the number, extension and number type', () => {
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', dr(N1)))).toBe(true);
    expect(numberChangeHolds(withExt, actualUser('t1', dr(N1, '10')))).toBe(true);
    expect(numberChangeHolds(withExt, actualUser('t1', dr(N1)))).toBe(false);
    expect(numberChangeHolds(withExt, actualUser('t1', dr(N1, '11')))).toBe(false);
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', dr(N1, '10')))).toBe(false);
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', dr(N2)))).toBe(false);
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', { ...dr(N1), numberType: 'operatorConnect' }))).toBe(false);
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', null))).toBe(false);
  });

  test('an unassign holds when the line is not that number', () => {
    expect(numberChangeHolds(unassign('t1', N1), actualUser('t1', null))).toBe(true);
    expect(numberChangeHolds(unassign('t1', N1), actualUser('t1', dr(N2)))).toBe(true);
    expect(numberChangeHolds(unassign('t1', ext), actualUser('t1', dr(N1, '11')))).toBe(true);
    expect(numberChangeHolds(unassign('t1', N1), actualUser('t1', dr(N1)))).toBe(false);
    expect(numberChangeHolds(unassign('t1', ext), actualUser('t1', dr(N1, '10')))).toBe(false);
  });

  test('a gone or unread user, or a policy operation, never holds', () => {
    expect(numberChangeHolds(assign('t1', N1), actualUser('t1', dr(N1), { gone: true }))).toBe(false);
    expect(numberChangeHolds(unassign('t1', N1), actualUser('t1', null, { gone: true }))).toBe(false);
    expect(numberChangeHolds(unassign('t1', N1), undefined)).toBe(false);
    expect(numberChangeHolds(grantVrp('t1'), actualUser('t1', null))).toBe(false);
  });

  test('recordVerified: done when it holds, failed with the reported reason when not', () => {
    const reported = progress(assign('t1', N1), {
      status: 'submitted',
      attempts: 1,
      verify: true,
      retryAt: later(5),
      error: err('Number already assigned.'),
    });
    expect(recordVerified(reported, true)).toEqual({ ...reported, status: 'succeeded', verify: false, retryAt: null, error: null });
    expect(recordVerified(reported, false)).toEqual({ ...reported, status: 'failed', verify: false, retryAt: null });
    expect(recordVerified({ ...reported, error: null }, false).error).toEqual({
      code: 'TEAMS_WRITE_FAILED',
      message: 'Microsoft Teams could not complete the number change.',
    });
  });

  test('a reported failure of a change already made counts as done (an activity that ran twice)', () => {
    let p = recordOutcome(
      progress(assign('t1', ext)),
      { kind: 'submitted', operationUrl: 'u', clientRequestId: 'c', requestId: null },
      NOW,
    );
    p = recordOutcome(p, { kind: 'reportedFailed', reason: 'already assigned' }, NOW);
    expect(recordVerified(p, numberChangeHolds(p.operation, actualUser('t1', dr(N1, '10')))).status).toBe('succeeded');
    expect(recordVerified(p, numberChangeHolds(p.operation, actualUser('t1', null)))).toMatchObject({
      status: 'failed',
      error: { message: 'already assigned' },
    });
  });
});

describe('stopUnsettled', () => {
  test('pending → notAttempted, submitted → failed with the error, settled untouched', () => {
    const stop = err('The sync window closed.', 'SYNC_WINDOW_PASSED');
    const u = row('t1', [
      withStatus(grantVrp('t1'), 'succeeded'),
      withStatus(grantCalling('t1'), 'failed'),
      progress(unassign('t1', N2), { status: 'submitted', operationUrl: 'u', verify: true, retryAt: later(5), error: err('reported') }),
      progress(assign('t1', N1), { attempts: 2, retryAt: later(8), error: err('throttled', 'TEAMS_THROTTLED') }),
      progress(revokeCalling('t1')),
      withStatus(grantVrp('t1'), 'notAttempted'),
    ]);
    const before = structuredClone(u);
    const s = stopUnsettled(u, stop);
    expect(u).toEqual(before);
    expect(statusesOf(s)).toEqual(['succeeded', 'failed', 'failed', 'notAttempted', 'notAttempted', 'notAttempted']);
    expect(s.operations[0]).toBe(u.operations[0]);
    expect(s.operations[1]).toBe(u.operations[1]);
    expect(s.operations[5]).toBe(u.operations[5]);
    expect(s.operations[2]).toMatchObject({ retryAt: null, verify: false, error: stop });
    // A pending one keeps the error that held it back, if any; else the stop's.
    expect(s.operations[3]).toMatchObject({ retryAt: null, error: { code: 'TEAMS_THROTTLED' } });
    expect(s.operations[4]).toMatchObject({ retryAt: null, error: stop });
    expect(isSettled(s)).toBe(true);
    expect({ ...s, operations: [] }).toEqual({ ...u, operations: [] });
  });
});

describe('secondsToWait', () => {
  test('0 when everything settled', () => {
    expect(secondsToWait([], NOW, 5)).toBe(0);
    expect(
      secondsToWait([row('t1', [withStatus(grantVrp('t1'), 'succeeded'), withStatus(assign('t1'), 'failed')]), row('t2')], NOW, 5),
    ).toBe(0);
  });

  test('the nearest retry, rounded up, at least 1 s', () => {
    const retrying = (seconds: number) => progress(grantVrp('t1'), { attempts: 1, retryAt: later(seconds) });
    expect(secondsToWait([row('t1', [retrying(7), retrying(3.2)]), row('t2', [retrying(12)])], NOW, 5)).toBe(4);
    expect(secondsToWait([row('t1', [retrying(-30)])], NOW, 5)).toBe(1);
    expect(secondsToWait([row('t1', [progress(grantVrp('t1'))])], NOW, 5)).toBe(1);
    expect(secondsToWait([row('t1', [retrying(0.2)])], NOW, 5)).toBe(1);
  });

  test('a submitted change waits at least pollSeconds, longer when its retry is later', () => {
    const submitted = (retryAt: string | null) => progress(assign('t1'), { status: 'submitted', attempts: 1, operationUrl: 'u', retryAt });
    expect(secondsToWait([row('t1', [submitted(null)])], NOW, 5)).toBe(5);
    expect(secondsToWait([row('t1', [submitted(later(20))])], NOW, 5)).toBe(20);
    expect(secondsToWait([row('t1', [submitted(later(-20))])], NOW, 5)).toBe(5);
    // A sooner retry elsewhere wins.
    expect(secondsToWait([row('t1', [submitted(null)]), row('t2', [progress(grantVrp('t2'), { retryAt: later(2) })])], NOW, 5)).toBe(2);
  });

  test('a number change behind a running one waits for that one poll, not a busy second', () => {
    const running = progress(unassign('t1', N2), { status: 'submitted', attempts: 1, operationUrl: 'u' });
    // Its own user's earlier change.
    expect(secondsToWait([row('t1', [running, assign('t1', N1), withStatus(grantVrp('t1'), 'succeeded')])], NOW, 5)).toBe(5);
    // The unassign of the number by the user it moves from.
    const holder = row('t0', [progress(unassign('t0', N1), { status: 'submitted', attempts: 1, operationUrl: 'u' })]);
    expect(secondsToWait([holder, row('t1', [assign('t1', N1, ['t0'])])], NOW, 5)).toBe(5);
    // Behind a retry: that retry.
    const retry = row('t0', [progress(unassign('t0', N1), { attempts: 1, retryAt: later(9) })]);
    expect(secondsToWait([retry, row('t1', [assign('t1', N1, ['t0'])])], NOW, 5)).toBe(9);
    // Once what it waited for settled, it can go now.
    const freed = row('t0', [withStatus(unassign('t0', N1), 'succeeded')]);
    expect(secondsToWait([freed, row('t1', [assign('t1', N1, ['t0'])])], NOW, 5)).toBe(1);
    // Behind a failure: the next step fails it at once.
    expect(secondsToWait([row('t1', [withStatus(unassign('t1', N2), 'failed'), assign('t1', N1)])], NOW, 5)).toBe(1);
  });

  test('rows that block one another (never planned so) still wait 1 s, never 0', () => {
    const ta = row('ta', [assign('ta', N1, ['tb']), unassign('ta', N2)]);
    const tb = row('tb', [assign('tb', N2, ['ta']), unassign('tb', N1)]);
    expect(secondsToWait([ta, tb], NOW, 5)).toBe(1);
  });

  test('always at least 1 while something is unsettled (property)', () => {
    const statuses: ProgressStatus[] = ['pending', 'submitted', 'succeeded', 'failed', 'notAttempted'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom(grantVrp('t1'), assign('t1', N1, ['t0']), unassign('t1', N2)),
            status: fc.constantFrom(...statuses),
            retry: fc.option(fc.integer({ min: -100, max: 100 }), { nil: null }),
          }),
          { maxLength: 5 },
        ),
        fc.constantFrom(...statuses),
        fc.integer({ min: 1, max: 60 }),
        (ops, holderStatus, pollSeconds) => {
          const users = [
            row('t0', [withStatus(unassign('t0', N1), holderStatus)]),
            row(
              't1',
              ops.map(({ op, status, retry }) => progress(op, { status, retryAt: retry === null ? null : later(retry) })),
            ),
          ];
          const wait = secondsToWait(users, NOW, pollSeconds);
          if (users.every(isSettled)) expect(wait).toBe(0);
          else {
            expect(wait).toBeGreaterThanOrEqual(1);
            expect(Number.isInteger(wait)).toBe(true);
            expect(wait).toBeLessThanOrEqual(Math.max(100, pollSeconds));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('countsOf', () => {
  test('every operation counted once: succeeded applied, failed failed, the rest left', () => {
    const users = [
      row('t1', [withStatus(grantVrp('t1'), 'succeeded'), withStatus(assign('t1'), 'failed'), progress(grantCalling('t1'))]),
      row('t2', [
        withStatus(unassign('t2'), 'submitted'),
        withStatus(grantVrp('t2'), 'notAttempted'),
        withStatus(grantCalling('t2'), 'succeeded'),
      ]),
      row('t3', [], { refusal: err('held', 'NUMBER_IN_USE') }),
    ];
    expect(countsOf(users)).toEqual({ planned: 6, applied: 2, failed: 1, left: 3 });
    expect(countsOf([])).toEqual({ planned: 0, applied: 0, failed: 0, left: 0 });
  });

  test('property: planned = applied + failed + left', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom<ProgressStatus>('pending', 'submitted', 'succeeded', 'failed', 'notAttempted'))),
        (rows) => {
          const users = rows.map((statuses, i) =>
            row(
              `t${i}`,
              statuses.map((s) => withStatus(grantVrp(`t${i}`), s)),
            ),
          );
          const c = countsOf(users);
          const all = rows.flat();
          expect(c).toEqual({
            planned: all.length,
            applied: all.filter((s) => s === 'succeeded').length,
            failed: all.filter((s) => s === 'failed').length,
            left: all.filter((s) => s !== 'succeeded' && s !== 'failed').length,
          });
        },
      ),
    );
  });
});

describe('committedVoiceUsers', () => {
  interface StoredVoiceUser extends VoiceUserApplied {
    displayName: string;
  }
  const RUN = { runId: 'run-2', at: '2025-03-01T12:05:00.000Z' };
  const voiceUser = (id: string, over: Partial<StoredVoiceUser> = {}): StoredVoiceUser => ({
    id,
    displayName: `Voice ${id}`,
    desired: null,
    applied: null,
    inDirectory: true,
    appliedState: null,
    lastSync: null,
    ...over,
  });
  const storeOf = (...vs: StoredVoiceUser[]) => new Map(vs.map((v) => [v.id, v]));
  const commit = (users: PlannedUser[], stored: Map<string, StoredVoiceUser>) => committedVoiceUsers(users, stored, RUN);
  const byId = (upserts: StoredVoiceUser[]) => new Map(upserts.map((u) => [u.id, u]));
  const applied: LastSyncResult = { ...RUN, result: 'applied', error: null };
  /** Commit, then commit again from what the first wrote: nothing more may come. */
  const commitTwice = (users: PlannedUser[], stored: Map<string, StoredVoiceUser>) => {
    const first = commit(users, stored);
    const after = new Map(stored);
    for (const u of first.upserts) after.set(u.id, u);
    for (const id of first.deletions) after.delete(id);
    const second = committedVoiceUsers(users, after, { runId: 'run-3', at: '2025-03-02T00:00:00.000Z' });
    return { first, second };
  };

  test('(a) a new mapping applied: applied and its state move to the Teams user, lastSync applied', () => {
    const v = voiceUser('v1', { desired: 't1' });
    const t1 = row('t1', [withStatus(assign('t1', N1), 'succeeded'), withStatus(grantVrp('t1'), 'succeeded')], {
      voiceUserIds: ['v1'],
      mappedVoiceUserId: 'v1',
      mappedState: stateOf(N1),
    });
    const { upserts, deletions } = commit([t1], storeOf(v));
    expect(deletions).toEqual([]);
    expect(upserts).toEqual([{ ...v, applied: 't1', appliedState: stateOf(N1), lastSync: applied }]);
  });

  test('(a) a user with nothing to do is applied as planned', () => {
    const v = voiceUser('v1', { desired: 't1' });
    const t1 = row('t1', [], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1', mappedState: stateOf(N2) });
    expect(commit([t1], storeOf(v)).upserts).toEqual([{ ...v, applied: 't1', appliedState: stateOf(N2), lastSync: applied }]);
  });

  test('(b) a still-mapped user whose change failed: applied and state unchanged, lastSync failed with the error', () => {
    const v = voiceUser('v1', { desired: 't1', applied: 't1', appliedState: stateOf(N1) });
    const failure = err('Number type not allowed.');
    const t1 = row(
      't1',
      [
        withStatus(grantVrp('t1'), 'succeeded'),
        withStatus(assign('t1', N2), 'failed', failure),
        withStatus(grantCalling('t1'), 'notAttempted'),
      ],
      { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1', mappedState: stateOf(N2) },
    );
    const { upserts, deletions } = commit([t1], storeOf(v));
    expect(deletions).toEqual([]);
    expect(upserts).toEqual([{ ...v, lastSync: { ...RUN, result: 'failed', error: failure } }]);
    expect(upserts[0]!.applied).toBe('t1');
    expect(upserts[0]!.appliedState).toEqual(stateOf(N1));
  });

  test('(b) a not attempted operation (the run stopped) counts as failed', () => {
    const v = voiceUser('v1', { desired: 't1' });
    const stop = err('The sync window closed.', 'SYNC_WINDOW_PASSED');
    const t1 = stopUnsettled(row('t1', [assign('t1', N1)], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1' }), stop);
    expect(commit([t1], storeOf(v)).upserts).toEqual([{ ...v, lastSync: { ...RUN, result: 'failed', error: stop } }]);
  });

  test('(c) an unmapped user whose release succeeded: applied and state null', () => {
    const v = voiceUser('v1', { applied: 't1', appliedState: stateOf(N1) });
    const t1 = unmappedRow('t1', 'v1', [withStatus(unassign('t1', N1), 'succeeded'), withStatus(revokeCalling('t1'), 'succeeded')]);
    const { upserts, deletions } = commit([t1], storeOf(v));
    expect(deletions).toEqual([]);
    expect(upserts).toEqual([{ ...v, applied: null, appliedState: null, lastSync: applied }]);
  });

  test('(c) a released voice user gone from the directory, desired nowhere, is deleted', () => {
    const v = voiceUser('v1', { applied: 't1', appliedState: stateOf(N1), inDirectory: false });
    const ok = unmappedRow('t1', 'v1', [withStatus(unassign('t1', N1), 'succeeded')]);
    expect(commit([ok], storeOf(v))).toEqual({ upserts: [], deletions: ['v1'] });
    // Not while it is still desired somewhere, nor while the release failed, nor while in the directory.
    expect(commit([ok], storeOf({ ...v, desired: 't9' })).deletions).toEqual([]);
    expect(commit([ok], storeOf({ ...v, inDirectory: true })).deletions).toEqual([]);
    const failed = unmappedRow('t1', 'v1', [withStatus(unassign('t1', N1), 'failed')]);
    const kept = commit([failed], storeOf(v));
    expect(kept.deletions).toEqual([]);
    expect(kept.upserts).toEqual([{ ...v, lastSync: { ...RUN, result: 'failed', error: err('failed unassignNumber') } }]);
  });

  describe('(d) remap of v from t1 to t2', () => {
    const v = voiceUser('v', { desired: 't2', applied: 't1', appliedState: stateOf(N1) });
    const release = (s: ProgressStatus) =>
      unmappedRow('t1', 'v', [withStatus(unassign('t1', N1), s), withStatus(revokeCalling('t1'), 'succeeded')]);
    const map = (s: ProgressStatus) =>
      row('t2', [withStatus(assign('t2', N1, ['t1']), s), withStatus(grantVrp('t2'), 'succeeded')], {
        voiceUserIds: ['v'],
        mappedVoiceUserId: 'v',
        mappedState: stateOf(N1),
      });

    test('both applied: applied t2', () => {
      const { upserts } = commit([release('succeeded'), map('succeeded')], storeOf(v));
      expect(upserts).toEqual([{ ...v, applied: 't2', appliedState: stateOf(N1), lastSync: applied }]);
    });

    test('release applied, t2 failed: applied null', () => {
      const { upserts } = commit([release('succeeded'), map('failed')], storeOf(v));
      expect(upserts).toEqual([
        { ...v, applied: null, appliedState: null, lastSync: { ...RUN, result: 'failed', error: err('failed assignNumber') } },
      ]);
    });

    test('release failed: applied stays t1, even when t2 succeeded', () => {
      for (const t2 of ['succeeded', 'failed'] as const) {
        const { upserts } = commit([release('failed'), map(t2)], storeOf(v));
        expect(upserts).toHaveLength(1);
        expect(upserts[0]).toMatchObject({ applied: 't1', appliedState: stateOf(N1), lastSync: { result: 'failed' } });
      }
      // The failure named is the first failed user's: the mapped one when both failed, else the release.
      expect(commit([release('failed'), map('succeeded')], storeOf(v)).upserts[0]!.lastSync!.error).toEqual(err('failed unassignNumber'));
      expect(commit([release('failed'), map('failed')], storeOf(v)).upserts[0]!.lastSync!.error).toEqual(err('failed assignNumber'));
    });

    test('the release rides on the Teams user now mapped to another voice user', () => {
      // t1 takes w and frees v: v moves only as far as t1 was applied as a whole.
      const w = voiceUser('w', { desired: 't1' });
      const t1 = (s: ProgressStatus) =>
        row('t1', [withStatus(unassign('t1', N1), 'succeeded'), withStatus(assign('t1', N3), s)], {
          voiceUserIds: ['w', 'v'],
          mappedVoiceUserId: 'w',
          mappedState: stateOf(N3),
        });
      const ok = byId(commit([t1('succeeded'), map('succeeded')], storeOf(v, w)).upserts);
      expect(ok.get('v')).toMatchObject({ applied: 't2', appliedState: stateOf(N1), lastSync: applied });
      expect(ok.get('w')).toMatchObject({ applied: 't1', appliedState: stateOf(N3), lastSync: applied });
      const failed = byId(commit([t1('failed'), map('succeeded')], storeOf(v, w)).upserts);
      expect(failed.get('v')).toMatchObject({ applied: 't1', appliedState: stateOf(N1), lastSync: { result: 'failed' } });
      expect(failed.get('w')).toMatchObject({ applied: null, lastSync: { result: 'failed' } });
    });
  });

  test('(e) a refused user: lastSync refused with its code, applied unchanged', () => {
    const v = voiceUser('v1', { desired: 't1', applied: 't1', appliedState: stateOf(N1) });
    const refusal = { code: 'USER_NOT_ELIGIBLE', message: 'Teams user t1 can no longer take a number.' };
    const t1 = row('t1', [], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1', mappedState: stateOf(N2), refusal });
    expect(commit([t1], storeOf(v)).upserts).toEqual([{ ...v, lastSync: { ...RUN, result: 'refused', error: refusal } }]);
    // A refused new mapping leaves it unmapped.
    const fresh = voiceUser('v1', { desired: 't1' });
    expect(commit([t1], storeOf(fresh)).upserts).toEqual([{ ...fresh, lastSync: { ...RUN, result: 'refused', error: refusal } }]);
  });

  test('(e) a remap refused on the new user after the release: released, lastSync refused', () => {
    const v = voiceUser('v', { desired: 't2', applied: 't1', appliedState: stateOf(N1) });
    const refusal = { code: 'NUMBER_IN_USE', message: 'held' };
    const users = [
      unmappedRow('t1', 'v', [withStatus(unassign('t1', N1), 'succeeded')]),
      row('t2', [], { voiceUserIds: ['v'], mappedVoiceUserId: 'v', refusal }),
    ];
    expect(commit(users, storeOf(v)).upserts).toEqual([
      { ...v, applied: null, appliedState: null, lastSync: { ...RUN, result: 'refused', error: refusal } },
    ]);
  });

  test('(f) committing again writes nothing (in every case above)', () => {
    const cases: [PlannedUser[], StoredVoiceUser[]][] = [
      [
        [row('t1', [withStatus(assign('t1'), 'succeeded')], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1' })],
        [voiceUser('v1', { desired: 't1' })],
      ],
      [
        [row('t1', [withStatus(assign('t1', N2), 'failed')], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1' })],
        [voiceUser('v1', { desired: 't1', applied: 't1', appliedState: stateOf(N1) })],
      ],
      [
        [unmappedRow('t1', 'v1', [withStatus(unassign('t1'), 'succeeded')])],
        [voiceUser('v1', { applied: 't1', appliedState: stateOf(N1) })],
      ],
      [[unmappedRow('t1', 'v1', [withStatus(unassign('t1'), 'succeeded')])], [voiceUser('v1', { applied: 't1', inDirectory: false })]],
      [
        [
          unmappedRow('t1', 'v', [withStatus(unassign('t1'), 'succeeded')]),
          row('t2', [withStatus(assign('t2', N1, ['t1']), 'failed')], { voiceUserIds: ['v'], mappedVoiceUserId: 'v' }),
        ],
        [voiceUser('v', { desired: 't2', applied: 't1', appliedState: stateOf(N1) })],
      ],
      [
        [row('t1', [], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1', refusal: err('held', 'NUMBER_IN_USE') })],
        [voiceUser('v1', { desired: 't1', applied: 't1', appliedState: stateOf(N1) })],
      ],
    ];
    for (const [users, stored] of cases) {
      const { first, second } = commitTwice(users, storeOf(...stored));
      expect(first.upserts.length + first.deletions.length).toBe(1);
      expect(second).toEqual({ upserts: [], deletions: [] });
    }
  });

  test('(f) a later run with the same result writes nothing; a changed result does', () => {
    const t1 = row('t1', [withStatus(assign('t1', N2), 'failed', err('first reason'))], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1' });
    const v = voiceUser('v1', {
      desired: 't1',
      applied: 't1',
      appliedState: stateOf(N1),
      lastSync: { runId: 'run-1', at: 'x', result: 'failed', error: err('first reason') },
    });
    expect(commit([t1], storeOf(v))).toEqual({ upserts: [], deletions: [] });
    const other = row('t1', [withStatus(assign('t1', N2), 'failed', err('other reason'))], {
      voiceUserIds: ['v1'],
      mappedVoiceUserId: 'v1',
    });
    expect(commit([other], storeOf(v)).upserts).toEqual([{ ...v, lastSync: { ...RUN, result: 'failed', error: err('other reason') } }]);
    // The same applied mapping with another state is written.
    const again = row('t1', [], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1', mappedState: stateOf(N2) });
    const done = { ...v, lastSync: applied };
    expect(commit([again], storeOf(done)).upserts).toEqual([{ ...done, appliedState: stateOf(N2) }]);
  });

  test('(g) a voice user not in stored is skipped', () => {
    const users = [
      row('t1', [withStatus(assign('t1'), 'succeeded')], { voiceUserIds: ['v1'], mappedVoiceUserId: 'v1' }),
      row('t2', [withStatus(assign('t2', N2), 'succeeded')], { voiceUserIds: ['v2'], mappedVoiceUserId: 'v2' }),
    ];
    const { upserts, deletions } = commit(users, storeOf(voiceUser('v2', { desired: 't2' })));
    expect(upserts.map((u) => u.id)).toEqual(['v2']);
    expect(deletions).toEqual([]);
    expect(commit(users, storeOf())).toEqual({ upserts: [], deletions: [] });
  });

  test('property: idempotent, and applied only ever moves to a Teams user of the plan that was applied', () => {
    const ids = ['t0', 't1', 't2', 't3'];
    const voice = ['va', 'vb', 'vc'];
    const arbScenario = fc.record({
      rows: fc.tuple(
        ...ids.map(() =>
          fc.record({
            mapped: fc.option(fc.constantFrom(...voice), { nil: null }),
            released: fc.uniqueArray(fc.constantFrom(...voice), { maxLength: 2 }),
            statuses: fc.array(fc.constantFrom<ProgressStatus>('succeeded', 'succeeded', 'failed', 'notAttempted'), { maxLength: 2 }),
            refused: fc.boolean(),
          }),
        ),
      ),
      stored: fc.tuple(
        ...voice.map(() =>
          fc.record({
            present: fc.boolean(),
            applied: fc.constantFrom(null, ...ids),
            desired: fc.constantFrom(null, ...ids),
            inDirectory: fc.boolean(),
          }),
        ),
      ),
    });
    fc.assert(
      fc.property(arbScenario, ({ rows: specs, stored: storedSpecs }) => {
        const taken = new Set<string>();
        const users = specs.flatMap((s, i): PlannedUser[] => {
          const id = ids[i]!;
          const mapped = s.mapped !== null && !taken.has(s.mapped) ? s.mapped : null;
          if (mapped) taken.add(mapped);
          const voiceUserIds = [...(mapped ? [mapped] : []), ...s.released.filter((v) => v !== mapped)];
          if (voiceUserIds.length === 0) return [];
          return [
            row(id, s.refused && mapped ? [] : s.statuses.map((st) => withStatus(grantVrp(id), st)), {
              role: mapped ? 'mapped' : 'unmapped',
              voiceUserIds,
              mappedVoiceUserId: mapped,
              mappedState: mapped ? stateOf(N1) : null,
              refusal: s.refused && mapped ? err('held', 'NUMBER_IN_USE') : null,
            }),
          ];
        });
        const stored = storeOf(
          ...voice.flatMap((id, k) => {
            const s = storedSpecs[k]!;
            return s.present
              ? [
                  voiceUser(id, {
                    applied: s.applied,
                    desired: s.desired,
                    inDirectory: s.inDirectory,
                    appliedState: s.applied ? stateOf(N2) : null,
                  }),
                ]
              : [];
          }),
        );
        const before = structuredClone([...stored.values()]);
        const { first, second } = commitTwice(users, stored);
        expect([...stored.values()]).toEqual(before);
        expect(second).toEqual({ upserts: [], deletions: [] });
        for (const u of first.upserts) {
          const was = stored.get(u.id)!;
          expect(u.displayName).toBe(was.displayName);
          expect(u.lastSync?.runId).toBe(RUN.runId);
          if (u.applied !== was.applied && u.applied !== null) {
            const to = users.find((x) => x.teamsUserId === u.applied)!;
            expect(to.mappedVoiceUserId).toBe(u.id);
            expect(isApplied(to)).toBe(true);
            expect(u.appliedState).toEqual(to.mappedState);
          }
          const involved = users.filter((x) => x.voiceUserIds.includes(u.id));
          expect(u.lastSync?.result === 'applied').toBe(involved.every(isApplied));
        }
        for (const id of first.deletions) expect(stored.get(id)).toMatchObject({ inDirectory: false, desired: null });
        const touched = [...first.upserts.map((u) => u.id), ...first.deletions];
        expect(new Set(touched).size).toBe(touched.length);
        for (const id of touched) expect(stored.has(id)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
