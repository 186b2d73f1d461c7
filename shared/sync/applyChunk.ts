/**
 * One step of applying a chunk of the run's plan (the applySyncChunk sub-orchestration calls it until it settles):
 * poll the number changes Microsoft is running, check those it reported failed against the users' actual state, send
 * what is ready (number changes and policy grants, batched by the Teams ports), record every answer on the plan rows.
 * Once every operation of the chunk has settled: commit it (the applied mapping of its voice users with their
 * per-user last result, in one mapping write; the activity log's rows of the chunk).
 *
 * Idempotent: the rows say what was sent; a step that ran twice finds its sends recorded, or (crashed after Microsoft
 * answered and before recording) sends again, which Teams either accepts as the same change or reports failed and the
 * actual-state check counts as done. The commit computes from the stored voice users, so committing again writes
 * nothing new. Transient storage faults throw (the activity retry); Microsoft's answers are recorded per operation.
 */
import { Result, ok } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { summarize } from '../domain/mapping';
import {
  committedVoiceUsers,
  countsOf,
  isSettled,
  isSettledOp,
  numberChangeHolds,
  OperationProgress,
  PlannedUser,
  readyOperations,
  recordOutcome,
  recordVerified,
  secondsToWait,
  SendOutcome,
  stopUnsettled,
} from '../domain/syncApply';
import { Operation, telephoneNumberOf } from '../domain/syncPlan';
import { VoiceUserStore } from '../mapping/ports';
import { ApplyStepInput, ApplyStepOutput } from './contract';
import { ActivityEntry, ActivityLog, RunPlanStore } from './ports';
import { refusalEntry } from './planRun';
import { NumberChange, PolicyGrant, TeamsVoiceReaderFor, TeamsVoiceWriterFor } from './teamsVoice';

export interface ApplyChunkDeps {
  voiceUsers: VoiceUserStore;
  runPlans: RunPlanStore;
  activity: ActivityLog;
  teamsVoice: TeamsVoiceReaderFor;
  teamsWriter: TeamsVoiceWriterFor;
  now: () => Date;
  /** Seconds between polls of a running number change. */
  pollSeconds: number;
}

type Ref = { user: number; op: number };

const asOutcome = <T>(r: Result<T>, onOk: (v: T) => SendOutcome): SendOutcome => {
  if (r.ok) return onOk(r.value);
  const d = (r.error.details ?? {}) as {
    retryAfterSeconds?: number;
    clientRequestId?: string;
    requestId?: string | null;
    notSent?: boolean;
  };
  return {
    kind: 'error',
    code: r.error.code,
    message: r.error.message,
    transient: r.error.transient === true,
    retryAfterSeconds: d.retryAfterSeconds,
    ...(r.error.code === 'TEAMS_THROTTLED' ? { throttled: true, notSent: d.notSent === true } : {}),
    clientRequestId: d.clientRequestId ?? null,
    requestId: d.requestId ?? null,
  };
};

const grantOf = (o: Operation): PolicyGrant | null => {
  switch (o.kind) {
    case 'grantVoiceRoutingPolicy':
      return { teamsUserId: o.teamsUserId, policyType: 'OnlineVoiceRoutingPolicy', policyName: o.policyName };
    case 'revokeVoiceRoutingPolicy':
      return { teamsUserId: o.teamsUserId, policyType: 'OnlineVoiceRoutingPolicy', policyName: null };
    case 'grantCallingPolicy':
      return { teamsUserId: o.teamsUserId, policyType: 'TeamsCallingPolicy', policyName: o.policyName };
    case 'revokeCallingPolicy':
      return { teamsUserId: o.teamsUserId, policyType: 'TeamsCallingPolicy', policyName: null };
    default:
      return null;
  }
};

/** What an operation is about, what the user had before and what it leaves (for the activity log). */
function change(o: Operation, u: PlannedUser): { target: string | null; before: string | null; after: string | null } {
  switch (o.kind) {
    case 'assignNumber':
      return { target: o.telephoneNumber, before: u.actual?.line ? telephoneNumberOf(u.actual.line) : null, after: o.telephoneNumber };
    case 'unassignNumber':
      return { target: o.telephoneNumber, before: o.telephoneNumber, after: null };
    case 'grantVoiceRoutingPolicy':
    case 'grantCallingPolicy':
      return { target: o.policyName, before: o.before, after: o.policyName };
    case 'revokeVoiceRoutingPolicy':
    case 'revokeCallingPolicy':
      return { target: o.before, before: o.before, after: null };
  }
}

/** The activity log's entry of one operation, as it settled. */
function operationEntry(accountId: string, runId: string, u: PlannedUser, index: number, p: OperationProgress, at: string): ActivityEntry {
  return {
    accountId,
    runId,
    entryId: `${String(u.order).padStart(6, '0')}-${String(index).padStart(2, '0')}`,
    at,
    teamsUserId: u.teamsUserId,
    voiceUserIds: u.voiceUserIds,
    kind: p.operation.kind,
    ...change(p.operation, u),
    result: p.status === 'succeeded' ? 'succeeded' : p.status === 'failed' ? 'failed' : 'notAttempted',
    clientRequestId: p.clientRequestId,
    requestId: p.requestId,
    error: p.status === 'succeeded' ? null : p.error,
  };
}

export async function applyChunkStep(deps: ApplyChunkDeps, input: ApplyStepInput): Promise<ApplyStepOutput> {
  const { accountId, runId, tenantId, chunk } = input;
  let users = await deps.runPlans.chunk(accountId, runId, chunk);
  const now = deps.now();

  if (!users.every(isSettled)) {
    const writer = deps.teamsWriter({ kind: 'run', runId, tenantId });
    const update = (ref: Ref, f: (p: OperationProgress) => OperationProgress) => {
      const u = users[ref.user]!;
      users[ref.user] = { ...u, operations: u.operations.map((p, i) => (i === ref.op ? f(p) : p)) };
    };
    const refs = (pick: (p: OperationProgress) => boolean): Ref[] =>
      users.flatMap((u, user) => u.operations.flatMap((p, op) => (pick(p) ? [{ user, op }] : [])));
    const at = (r: Ref) => users[r.user]!.operations[r.op]!;
    const due = (p: OperationProgress) => p.retryAt === null || Date.parse(p.retryAt) <= now.getTime();
    // The longest Retry-After of the step: the chunk's next step waits at least that (the tenant's bucket is empty).
    let throttledFor = 0;
    const record = (p: OperationProgress, outcome: SendOutcome): OperationProgress => {
      if (outcome.kind === 'error' && outcome.throttled) throttledFor = Math.max(throttledFor, outcome.retryAfterSeconds ?? 1);
      return recordOutcome(p, outcome, now);
    };

    // 1. Poll the number changes Microsoft runs.
    const polled = refs((p) => p.status === 'submitted' && !p.verify && due(p));
    if (polled.length) {
      const answers = await writer.pollNumberOperations(polled.map((r) => at(r).operationUrl ?? ''));
      polled.forEach((r, i) =>
        update(r, (p) =>
          record(
            p,
            asOutcome(answers[i]!, (s) =>
              s.state === 'succeeded'
                ? { kind: 'succeeded', clientRequestId: null, requestId: null }
                : s.state === 'failed'
                  ? { kind: 'reportedFailed', reason: s.reason }
                  : { kind: 'running' },
            ),
          ),
        ),
      );
    }

    // 2. A change Microsoft reported failed may be one an earlier attempt made: believe the user's actual state.
    const toVerify = refs((p) => p.verify && !isSettledOp(p));
    if (toVerify.length) {
      const ids = [...new Set(toVerify.map((r) => users[r.user]!.teamsUserId))];
      const read = await deps.teamsVoice({ kind: 'run', runId, tenantId }).users(ids);
      // A transient read failure leaves them to the next step.
      if (read.ok || !read.error.transient) {
        const actual = new Map((read.ok ? read.value : []).map((a) => [a.teamsUserId, a]));
        for (const r of toVerify)
          update(r, (p) => recordVerified(p, numberChangeHolds(p.operation, actual.get(users[r.user]!.teamsUserId))));
      }
    }

    if (input.stop) {
      const stop = input.stop;
      users = users.map((u) => stopUnsettled(u, { code: stop.code, message: stop.message }));
    } else {
      // 3. Send what is ready.
      const next = readyOperations(users, now);
      users = next.users;
      const numbers = next.ready.filter((r) => !grantOf(at(r).operation));
      const grants = next.ready.filter((r) => grantOf(at(r).operation));
      // Number changes and grants go side by side: they are different operations, often to different APIs (each
      // paced on its own), so neither waits for the other's turns.
      const changes = numbers.map((r): NumberChange => {
        const o = at(r).operation as Extract<Operation, { kind: 'assignNumber' | 'unassignNumber' }>;
        return { kind: o.kind, teamsUserId: o.teamsUserId, telephoneNumber: o.telephoneNumber, numberType: o.numberType };
      });
      const [submitted, granted] = await Promise.all([
        numbers.length ? writer.submitNumberChanges(changes) : [],
        grants.length ? writer.grantPolicies(grants.map((r) => grantOf(at(r).operation)!)) : [],
      ]);
      numbers.forEach((r, i) =>
        update(r, (p) =>
          record(
            p,
            asOutcome(submitted[i]!, (s) => ({ kind: 'submitted', ...s })),
          ),
        ),
      );
      grants.forEach((r, i) =>
        update(r, (p) =>
          record(
            p,
            asOutcome(granted[i]!, (s) => ({ kind: 'succeeded', ...s })),
          ),
        ),
      );
    }
    await deps.runPlans.save(accountId, runId, users);
    if (!users.every(isSettled))
      return {
        settled: false,
        waitSeconds: Math.max(secondsToWait(users, deps.now(), deps.pollSeconds), Math.ceil(throttledFor)),
        counts: countsOf(users),
      };
  }

  await commitChunk(deps, input, users);
  return { settled: true, waitSeconds: 0, counts: countsOf(users) };
}

/** The settled chunk's applied mapping (one mapping write, retried on a concurrent save) and its activity rows. */
async function commitChunk(deps: ApplyChunkDeps, { accountId, runId }: ApplyStepInput, users: PlannedUser[]): Promise<void> {
  const at = deps.now().toISOString();
  const ids = [...new Set(users.flatMap((u) => u.voiceUserIds))];
  const committed = await retryOnConflict(async (): Promise<Result<unknown>> => {
    const snapshot = await deps.voiceUsers.readSome(accountId, ids);
    const stored = new Map(snapshot.users.map((u) => [u.id, u]));
    const { upserts, deletions } = committedVoiceUsers(users, stored, { runId, at });
    if (upserts.length + deletions.length === 0) return ok(undefined);
    // The summary moves by exactly what changes here: the rest of the account's rows are not read.
    const before = summarize([...upserts.map((u) => stored.get(u.id)!), ...deletions.map((id) => stored.get(id)!)]);
    const after = summarize(upserts);
    const summary = {
      held: snapshot.summary.held - before.held + after.held,
      queued: snapshot.summary.queued - before.queued + after.queued,
    };
    return deps.voiceUsers.commit(accountId, snapshot, upserts, deletions, summary);
  });
  if (!committed.ok) throw new Error(`The applied mapping could not be committed (${committed.error.code}).`);
  await deps.activity.record([
    ...users.filter((u) => u.refusal).map((u) => refusalEntry(accountId, runId, u, at)),
    ...users.flatMap((u) => u.operations.map((p, i) => operationEntry(accountId, runId, u, i, p, at))),
  ]);
}
