/**
 * Applying a sync plan, as data: each planned Teams user is a row with its operations and their progress, grouped in
 * chunks (one sub-orchestration each). Pure: the apply step (shared/sync/applyChunk.ts) reads the rows, asks here what
 * to send, sends it through the Teams ports, records the answers with the functions below and, once every operation
 * of the chunk has settled, commits the applied mapping this file computes.
 *
 * An operation moves pending → submitted (a number change Microsoft accepted: its long-running operation is polled)
 * → succeeded | failed, or pending → succeeded | failed (a policy grant), or → notAttempted (the run stopped first).
 * Transient faults put it back to pending (or keep it submitted) with a `retryAt`, up to MAX_ATTEMPTS; permanent ones
 * fail it and only it, and whatever waits for it fails with DEPENDENCY_FAILED. A number change Microsoft reports failed
 * is checked against the user's actual state first (`verify`): a change an earlier attempt already made (an activity
 * that ran twice) counts as done, so nothing is applied twice and nothing is reported lost.
 */
import type { NumberType } from './account';
import type { ErrorCode } from './errors';
import { ActualUser, lineOf, Operation, SyncPlan, telephoneNumberOf, UserPlan } from './syncPlan';
import type { SyncCounts } from './syncRun';

/** What the integration set in Teams for a voice user's applied mapping (what unmapping reverts, and nothing else). */
export interface AppliedVoiceState {
  /** `+E164[;ext=N]`, or null when no number was set. */
  telephoneNumber: string | null;
  numberType: NumberType | null;
  voiceRoutingPolicy: string | null;
  callingPolicy: string | null;
}

/** The word of the last sync that changed or failed on a voice user: whether their change reached Teams, and why not. */
export interface LastSyncResult {
  runId: string;
  at: string;
  result: 'applied' | 'failed' | 'refused';
  /** Stable code and our message when not applied. */
  error: { code: string; message: string } | null;
  /** Applied, but the post-sync verification never saw it take effect (NOT_EFFECTIVE_AFTER_2H). */
  notEffective?: { code: 'NOT_EFFECTIVE_AFTER_2H'; message: string };
}

export type ProgressStatus = 'pending' | 'submitted' | 'succeeded' | 'failed' | 'notAttempted';

export interface OperationProgress {
  operation: Operation;
  status: ProgressStatus;
  /** Sends so far (a transient fault counts one; Microsoft throttling it does not). */
  attempts: number;
  /** 429s so far: not the user's fault, so no attempt, but each waits longer (absent on rows of older runs). */
  throttled?: number;
  /** Not sent (or polled) again before this instant (ISO). */
  retryAt: string | null;
  /** The long-running operation of a submitted number change. */
  operationUrl: string | null;
  /** Microsoft reported the number change failed: check the user's actual state before believing it. */
  verify: boolean;
  clientRequestId: string | null;
  requestId: string | null;
  error: { code: string; message: string } | null;
}

/** One Teams user of a run's plan, as stored (the run's plan rows). */
export interface PlannedUser {
  /** Place in the plan (the order to apply). */
  order: number;
  chunk: number;
  teamsUserId: string;
  role: UserPlan['role'];
  /** Every voice user whose applied mapping moves with this user (mapped first). */
  voiceUserIds: string[];
  /** The voice user mapped to this Teams user, and what applying gives them. */
  mappedVoiceUserId: string | null;
  mappedState: AppliedVoiceState | null;
  /** The user's Teams voice state as read for the plan. */
  actual: ActualUser | null;
  refusal: { code: string; message: string } | null;
  operations: OperationProgress[];
  /** After the run: whether what it applied to the user showed in Teams (shared/domain/syncVerification.ts). */
  verification?: { state: 'effective' | 'notEffective'; at: string };
}

/** Transient faults per operation before it fails for good. */
export const MAX_ATTEMPTS = 5;
/** Users per chunk: one sub-orchestration, one storage transaction of plan rows, one commit of at most 99 voice users. */
export const CHUNK_SIZE = 40;

const TERMINAL: readonly ProgressStatus[] = ['succeeded', 'failed', 'notAttempted'];
export const isSettledOp = (p: OperationProgress): boolean => TERMINAL.includes(p.status);
export const isSettled = (u: PlannedUser): boolean => u.operations.every(isSettledOp);
/** Applied: not refused and every operation succeeded (a user with nothing to do is applied as planned). */
export const isApplied = (u: PlannedUser): boolean => u.refusal === null && u.operations.every((o) => o.status === 'succeeded');

const isNumberOp = (o: Operation): o is Extract<Operation, { kind: 'assignNumber' | 'unassignNumber' }> =>
  o.kind === 'assignNumber' || o.kind === 'unassignNumber';

/**
 * Chunks of users that settle together: a voice user's mapped and released Teams users, and an assign with the users
 * whose unassign it waits for, always share a chunk (union-find); the groups are packed in plan order, `size` users a
 * chunk (a larger group keeps one chunk of its own). Returns the chunk of each user, by index.
 */
export function chunkUsers(users: readonly UserPlan[], size = CHUNK_SIZE): number[] {
  const parent = users.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const union = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const byVoiceUser = new Map<string, number>();
  const byTeamsUser = new Map(users.map((u, i) => [u.teamsUserId, i]));
  users.forEach((u, i) => {
    for (const v of u.voiceUserIds) {
      const seen = byVoiceUser.get(v);
      if (seen === undefined) byVoiceUser.set(v, i);
      else union(seen, i);
    }
    if (u.outcome !== 'planned') return;
    for (const o of u.operations) {
      if (o.kind !== 'assignNumber') continue;
      for (const w of o.waitFor) {
        const j = byTeamsUser.get(w);
        if (j !== undefined) union(i, j);
      }
    }
  });
  const groups = new Map<number, number[]>();
  users.forEach((_, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), i]));
  const chunkOf = new Array<number>(users.length).fill(0);
  let chunk = 0;
  let filled = 0;
  for (const members of [...groups.values()].sort((a, b) => a[0]! - b[0]!)) {
    if (filled > 0 && filled + members.length > size) {
      chunk++;
      filled = 0;
    }
    for (const i of members) chunkOf[i] = chunk;
    filled += members.length;
  }
  return chunkOf;
}

/** The rows of a plan: one per Teams user, in plan order, with fresh progress. */
export function plannedUsers(
  plan: SyncPlan,
  ctx: { actual: ReadonlyMap<string, ActualUser>; mappedState: (voiceUserId: string) => AppliedVoiceState | null },
  size = CHUNK_SIZE,
): PlannedUser[] {
  const chunks = chunkUsers(plan.users, size);
  return plan.users.map((u, order): PlannedUser => {
    const mappedVoiceUserId = u.role === 'mapped' ? (u.voiceUserIds[0] ?? null) : null;
    return {
      order,
      chunk: chunks[order]!,
      teamsUserId: u.teamsUserId,
      role: u.role,
      voiceUserIds: [...u.voiceUserIds],
      mappedVoiceUserId,
      mappedState: mappedVoiceUserId === null ? null : ctx.mappedState(mappedVoiceUserId),
      actual: ctx.actual.get(u.teamsUserId) ?? null,
      refusal: u.outcome === 'refused' ? { code: u.error.code, message: u.error.message } : null,
      operations:
        u.outcome === 'planned'
          ? u.operations.map((operation) => ({
              operation,
              status: 'pending',
              attempts: 0,
              retryAt: null,
              operationUrl: null,
              verify: false,
              clientRequestId: null,
              requestId: null,
              error: null,
            }))
          : [],
    };
  });
}

export interface OperationRef {
  user: number;
  op: number;
}

const due = (p: OperationProgress, now: Date): boolean => p.retryAt === null || Date.parse(p.retryAt) <= now.getTime();

const dependencyFailed = (what: string): OperationProgress['error'] => ({
  code: 'DEPENDENCY_FAILED' satisfies ErrorCode,
  message: `Not attempted: ${what} did not succeed.`,
});

/**
 * What to send now: every pending policy grant that is due, and per user the first unsettled number change when the
 * number changes before it succeeded and the unassigns it waits for did. An operation whose prerequisite failed fails
 * with DEPENDENCY_FAILED here (returned in `users`, changed in place of a copy).
 */
export function readyOperations(users: readonly PlannedUser[], now: Date): { users: PlannedUser[]; ready: OperationRef[] } {
  const next = users.map((u) => ({ ...u, operations: u.operations.map((o) => ({ ...o })) }));
  const byTeamsUser = new Map(next.map((u) => [u.teamsUserId, u]));
  const ready: OperationRef[] = [];
  // Failures propagate along waitFor: repeat until nothing more fails.
  for (let changed = true; changed;) {
    changed = false;
    for (const u of next) {
      let earlierNumberOp: OperationProgress | undefined;
      for (const p of u.operations) {
        const o = p.operation;
        if (!isNumberOp(o)) continue;
        if (p.status === 'pending') {
          const blockedBy =
            earlierNumberOp && earlierNumberOp.status !== 'succeeded' && isSettledOp(earlierNumberOp)
              ? 'the number change before it'
              : o.kind === 'assignNumber'
                ? o.waitFor.find((w) => {
                    const freeing = byTeamsUser
                      .get(w)
                      ?.operations.find((q) => q.operation.kind === 'unassignNumber' && q.operation.telephoneNumber === o.telephoneNumber);
                    return !freeing || (isSettledOp(freeing) && freeing.status !== 'succeeded');
                  }) && `the unassignment of ${o.telephoneNumber} from the user holding it`
                : undefined;
          if (blockedBy) {
            Object.assign(p, { status: 'failed', error: dependencyFailed(blockedBy), retryAt: null });
            changed = true;
          }
        }
        earlierNumberOp = p;
      }
    }
  }
  next.forEach((u, user) => {
    let numberOpSeen = false;
    u.operations.forEach((p, op) => {
      const o = p.operation;
      if (!isNumberOp(o)) {
        if (p.status === 'pending' && due(p, now)) ready.push({ user, op });
        return;
      }
      if (numberOpSeen || isSettledOp(p)) return;
      numberOpSeen = true;
      if (p.status !== 'pending' || !due(p, now)) return;
      const waiting =
        o.kind === 'assignNumber' &&
        o.waitFor.some(
          (w) =>
            byTeamsUser
              .get(w)
              ?.operations.find((q) => q.operation.kind === 'unassignNumber' && q.operation.telephoneNumber === o.telephoneNumber)
              ?.status !== 'succeeded',
        );
      if (!waiting) ready.push({ user, op });
    });
  });
  return { users: next, ready };
}

/** What came back for one send or poll (the port's results, reduced to what the progress needs). */
export type SendOutcome =
  | { kind: 'submitted'; operationUrl: string; clientRequestId: string; requestId: string | null }
  | { kind: 'succeeded'; clientRequestId: string | null; requestId: string | null }
  | { kind: 'running' }
  /** Microsoft said the number change failed: verified against the actual state before it counts. */
  | { kind: 'reportedFailed'; reason: string }
  | {
      kind: 'error';
      code: string;
      message: string;
      transient: boolean;
      retryAfterSeconds?: number;
      /** Microsoft throttled it (429), or it was held back unsent because the API is throttling (`notSent`). */
      throttled?: boolean;
      notSent?: boolean;
      clientRequestId?: string | null;
      requestId?: string | null;
    };

/** Seconds to wait after the n-th transient fault (1, 2, 4, … up to 60), or what Microsoft asked for. */
export const backoffSeconds = (attempt: number, retryAfterSeconds?: number): number =>
  Math.max(retryAfterSeconds ?? 0, Math.min(60, 2 ** Math.max(0, attempt - 1)));

export function recordOutcome(p: OperationProgress, outcome: SendOutcome, now: Date): OperationProgress {
  const at = (s: number) => new Date(now.getTime() + s * 1000).toISOString();
  switch (outcome.kind) {
    case 'submitted':
      return {
        ...p,
        status: 'submitted',
        attempts: p.attempts + 1,
        retryAt: null,
        operationUrl: outcome.operationUrl,
        clientRequestId: outcome.clientRequestId,
        requestId: outcome.requestId,
        error: null,
      };
    case 'succeeded':
      return {
        ...p,
        status: 'succeeded',
        attempts: p.status === 'pending' ? p.attempts + 1 : p.attempts,
        retryAt: null,
        verify: false,
        clientRequestId: outcome.clientRequestId ?? p.clientRequestId,
        requestId: outcome.requestId ?? p.requestId,
        error: null,
      };
    case 'running':
      return p;
    case 'reportedFailed':
      return { ...p, verify: true, error: { code: 'TEAMS_WRITE_FAILED', message: outcome.reason } };
    case 'error': {
      const ids = { clientRequestId: outcome.clientRequestId ?? p.clientRequestId, requestId: outcome.requestId ?? p.requestId };
      const error = { code: outcome.code, message: outcome.message };
      // Throttling is not the user's fault: no attempt spent (the run's steps and deadline bound it). It waits what
      // Microsoft asked, and longer after repeated 429s; one held back unsent waits its turn and counts nothing.
      if (outcome.throttled) {
        if (outcome.notSent) return { ...p, retryAt: at(Math.max(1, outcome.retryAfterSeconds ?? 1)) };
        const throttled = (p.throttled ?? 0) + 1;
        const retryAt = at(backoffSeconds(throttled, outcome.retryAfterSeconds));
        return p.status === 'submitted' ? { ...p, ...ids, throttled, retryAt } : { ...p, ...ids, throttled, error, retryAt };
      }
      // A poll that failed: the change itself may still be running, so it stays submitted (a permanent poll failure
      // is checked against the actual state like a reported failure).
      if (p.status === 'submitted') {
        const polls = p.attempts + 1;
        if (!outcome.transient || polls >= MAX_ATTEMPTS + 1) return { ...p, ...ids, verify: true, error };
        return { ...p, ...ids, attempts: polls, retryAt: at(backoffSeconds(polls, outcome.retryAfterSeconds)) };
      }
      const attempts = p.attempts + 1;
      if (outcome.transient && attempts < MAX_ATTEMPTS)
        return { ...p, ...ids, attempts, error, retryAt: at(backoffSeconds(attempts, outcome.retryAfterSeconds)) };
      return { ...p, ...ids, attempts, status: 'failed', retryAt: null, error };
    }
  }
}

/** Whether a number change is in effect on the user as read now (so a change Microsoft reported failed is done). */
export function numberChangeHolds(o: Operation, actual: ActualUser | undefined): boolean {
  if (!isNumberOp(o) || !actual || actual.gone) return false;
  const line = actual.line ? telephoneNumberOf(actual.line) : null;
  const wanted = lineOf(o.telephoneNumber);
  const same = line !== null && wanted !== null && line === telephoneNumberOf(wanted) && actual.line?.numberType === o.numberType;
  return o.kind === 'assignNumber' ? same : !same;
}

/** Settles a verified number change: done if it holds, failed with Microsoft's reported reason if not. */
export function recordVerified(p: OperationProgress, holds: boolean): OperationProgress {
  if (holds) return { ...p, status: 'succeeded', verify: false, retryAt: null, error: null };
  return {
    ...p,
    status: 'failed',
    verify: false,
    retryAt: null,
    error: p.error ?? { code: 'TEAMS_WRITE_FAILED', message: 'Microsoft Teams could not complete the number change.' },
  };
}

/** Stops what is left (the window closed, or the chunk ran out of rounds): pending → notAttempted, submitted → failed. */
export function stopUnsettled(u: PlannedUser, error: { code: string; message: string }): PlannedUser {
  return {
    ...u,
    operations: u.operations.map((p) => {
      if (isSettledOp(p)) return p;
      if (p.status === 'pending') return { ...p, status: 'notAttempted', retryAt: null, error: p.error ?? error };
      return { ...p, status: 'failed', retryAt: null, verify: false, error };
    }),
  };
}

/**
 * Seconds until something of the chunk can move again: the nearest retry, or the next poll of running changes. A
 * pending number change behind one still unsettled (its user's earlier one, or the unassign it waits for) cannot move
 * before that one does, so it is that one's wait that counts, not an immediate step.
 */
export function secondsToWait(users: readonly PlannedUser[], now: Date, pollSeconds: number): number {
  const byTeamsUser = new Map(users.map((u) => [u.teamsUserId, u]));
  const unsettledUnassign = (w: string, telephoneNumber: string): boolean =>
    byTeamsUser
      .get(w)
      ?.operations.some(
        (q) => q.operation.kind === 'unassignNumber' && q.operation.telephoneNumber === telephoneNumber && !isSettledOp(q),
      ) ?? false;
  let wait = Number.POSITIVE_INFINITY;
  let unsettled = false;
  for (const u of users) {
    let numberOpUnsettled = false;
    for (const p of u.operations) {
      if (isSettledOp(p)) continue;
      unsettled = true;
      const o = p.operation;
      if (isNumberOp(o)) {
        const blocked = numberOpUnsettled || (o.kind === 'assignNumber' && o.waitFor.some((w) => unsettledUnassign(w, o.telephoneNumber)));
        numberOpUnsettled = true;
        if (blocked && p.status === 'pending') continue;
      }
      const retry = p.retryAt ? Math.max(0, (Date.parse(p.retryAt) - now.getTime()) / 1000) : 0;
      wait = Math.min(wait, p.status === 'submitted' ? Math.max(retry, pollSeconds) : retry);
    }
  }
  if (!unsettled) return 0;
  return Number.isFinite(wait) ? Math.max(1, Math.ceil(wait)) : 1;
}

export function countsOf(users: readonly PlannedUser[]): SyncCounts {
  const counts = { planned: 0, applied: 0, failed: 0, left: 0 };
  for (const u of users)
    for (const p of u.operations) {
      counts.planned++;
      if (p.status === 'succeeded') counts.applied++;
      else if (p.status === 'failed') counts.failed++;
      else counts.left++;
    }
  return counts;
}

/** The voice user fields a commit may change. */
export interface VoiceUserApplied {
  id: string;
  desired: string | null;
  applied: string | null;
  inDirectory: boolean;
  appliedState?: AppliedVoiceState | null;
  lastSync?: LastSyncResult | null;
}

/**
 * What settled users leave on their voice users. A voice user's applied mapping moves only as far as their Teams users
 * were applied: to the mapped user (with the state applying gave it) when that and every release succeeded, to none
 * when the releases succeeded but the new mapping did not, and not at all when a release failed (so the next sync
 * reverts it again). Rows with nothing new are left out; a voice user gone from the directory that holds nothing
 * anymore is deleted.
 */
export function committedVoiceUsers<V extends VoiceUserApplied>(
  users: readonly PlannedUser[],
  stored: ReadonlyMap<string, V>,
  run: { runId: string; at: string },
): { upserts: V[]; deletions: string[] } {
  const involved = new Map<string, { mapped?: PlannedUser; releases: PlannedUser[] }>();
  for (const u of users)
    for (const v of u.voiceUserIds) {
      const e = involved.get(v) ?? { releases: [] };
      if (v === u.mappedVoiceUserId) e.mapped = u;
      else e.releases.push(u);
      involved.set(v, e);
    }
  const upserts: V[] = [];
  const deletions: string[] = [];
  for (const [id, { mapped, releases }] of involved) {
    const v = stored.get(id);
    if (!v) continue;
    const releasedOk = releases.every(isApplied);
    const mappedOk = mapped ? isApplied(mapped) : true;
    let applied = v.applied;
    let appliedState = v.appliedState ?? null;
    if (releasedOk && mapped && mappedOk) [applied, appliedState] = [mapped.teamsUserId, mapped.mappedState];
    // Released from the old Teams user, not (yet) on the new one.
    else if (releasedOk && releases.length > 0) [applied, appliedState] = [null, null];
    const failedUser = [mapped, ...releases].find((u) => u && !isApplied(u));
    const failure = failedUser?.refusal ?? failedUser?.operations.find((p) => p.status !== 'succeeded')?.error ?? null;
    const lastSync: LastSyncResult = {
      runId: run.runId,
      at: run.at,
      result: !failedUser ? 'applied' : failedUser.refusal ? 'refused' : 'failed',
      error: failedUser ? (failure ?? { code: 'SYNC_FAILED', message: 'The change did not reach Teams.' }) : null,
    };
    const sameSync =
      v.lastSync?.result === lastSync.result &&
      v.lastSync?.error?.code === lastSync.error?.code &&
      v.lastSync?.error?.message === lastSync.error?.message;
    const sameState = JSON.stringify(appliedState) === JSON.stringify(v.appliedState ?? null);
    if (applied === v.applied && sameState && sameSync) continue;
    const next = { ...v, applied, appliedState, lastSync };
    if (!next.inDirectory && next.desired === null && next.applied === null) deletions.push(id);
    else upserts.push(next);
  }
  return { upserts, deletions };
}
