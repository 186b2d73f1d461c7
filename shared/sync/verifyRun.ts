/**
 * The post-sync verification's steps (orchestrations/verifySyncRun.ts): check a chunk's applied users against their
 * Teams configuration, read with the app's own permission (the run's delegated tokens are gone by then), and record
 * the run's verification.
 *
 * A user found effective gets an activity-log row (`effective`, at the time it was seen) and the time on the plan
 * row; at the last check, a user still not effective gets a failed row with NOT_EFFECTIVE_AFTER_2H, and the flag on the
 * mapping row of its voice user (while that row still shows this run). Idempotent: the rows are written before the plan
 * rows that say they are done (entry ids are stable, so writing them twice keeps one), and a settled user is skipped.
 */
import { TransientFailure } from '../domain/activityFailure';
import { Result, ok } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { PlannedUser } from '../domain/syncApply';
import { awaitsVerification, isEffective, NOT_EFFECTIVE_AFTER_2H, runVerification, VerificationCounts } from '../domain/syncVerification';
import { VoiceUserStore } from '../mapping/ports';
import { OrchestrationClient } from '../discovery/ports';
import {
  RecordVerificationInput,
  StartVerificationInput,
  VERIFY_SYNC_RUN,
  verifyInstanceId,
  VerifyChunkInput,
  VerifySyncRunInput,
} from './contract';
import { ActivityEntry, ActivityLog, RunPlanStore, SyncRunStore } from './ports';
import { TeamsVoiceReaderFor } from './teamsVoice';

export interface VerifyRunDeps {
  runPlans: RunPlanStore;
  activity: ActivityLog;
  voiceUsers: VoiceUserStore;
  syncRuns: SyncRunStore;
  teamsVoice: TeamsVoiceReaderFor;
  now: () => Date;
}

const verifiedEntry = (accountId: string, runId: string, u: PlannedUser, effective: boolean, at: string): ActivityEntry => ({
  accountId,
  runId,
  entryId: `${String(u.order).padStart(6, '0')}-effective`,
  at,
  teamsUserId: u.teamsUserId,
  voiceUserIds: u.voiceUserIds,
  kind: 'effective',
  target: null,
  before: null,
  after: null,
  result: effective ? 'succeeded' : 'failed',
  clientRequestId: null,
  requestId: null,
  error: effective ? null : { ...NOT_EFFECTIVE_AFTER_2H },
});

export async function verifyChunk(deps: VerifyRunDeps, input: VerifyChunkInput): Promise<VerificationCounts> {
  const { accountId, runId, tenantId, chunk, final } = input;
  const users = await deps.runPlans.chunk(accountId, runId, chunk);
  const todo = users.filter(awaitsVerification);
  const at = deps.now().toISOString();
  const settled: PlannedUser[] = [];
  if (todo.length) {
    const read = await deps.teamsVoice({ kind: 'app', tenantId }).users(todo.map((u) => u.teamsUserId));
    // Not readable now: the next check tries again (the last one counts them not effective).
    if (!read.ok && read.error.transient && !final) throw new TransientFailure(read.error);
    const actual = new Map((read.ok ? read.value : []).map((a) => [a.teamsUserId, a]));
    for (const u of todo) {
      if (isEffective(u, actual.get(u.teamsUserId))) settled.push({ ...u, verification: { state: 'effective', at } });
      else if (final) settled.push({ ...u, verification: { state: 'notEffective', at } });
    }
  }
  if (settled.length) {
    await deps.activity.record(settled.map((u) => verifiedEntry(accountId, runId, u, u.verification?.state === 'effective', at)));
    const notEffective = settled.filter((u) => u.verification?.state === 'notEffective');
    if (notEffective.length) await flagMappingRows(deps, accountId, runId, notEffective);
    await deps.runPlans.save(accountId, runId, settled);
  }
  const done = new Map(settled.map((u) => [u.teamsUserId, u]));
  const followed = users.filter((u) => u.verification || awaitsVerification(u)).map((u) => done.get(u.teamsUserId) ?? u);
  return {
    users: followed.length,
    effective: followed.filter((u) => u.verification?.state === 'effective').length,
    notEffective: followed.filter((u) => u.verification?.state === 'notEffective').length,
  };
}

/** NOT_EFFECTIVE_AFTER_2H on the mapping rows of these users' voice users, while their last sync is still this run. */
async function flagMappingRows(deps: VerifyRunDeps, accountId: string, runId: string, users: readonly PlannedUser[]): Promise<void> {
  const ids = [...new Set(users.flatMap((u) => (u.mappedVoiceUserId ? [u.mappedVoiceUserId] : [])))];
  if (!ids.length) return;
  const flagged = await retryOnConflict(async (): Promise<Result<unknown>> => {
    const snapshot = await deps.voiceUsers.readSome(accountId, ids);
    const upserts = snapshot.users
      .filter((v) => v.lastSync?.runId === runId && !v.lastSync.notEffective)
      .map((v) => ({ ...v, lastSync: { ...v.lastSync!, notEffective: { ...NOT_EFFECTIVE_AFTER_2H } } }));
    if (!upserts.length) return ok(undefined);
    return deps.voiceUsers.commit(accountId, snapshot, upserts, [], snapshot.summary);
  });
  if (!flagged.ok) throw new TransientFailure(flagged.error);
}

/** The run's verification, as the checks so far found it (a run record that is gone is left alone). */
export async function recordVerification(deps: VerifyRunDeps, input: RecordVerificationInput): Promise<void> {
  const verification = runVerification(input.counts, input.until, deps.now().toISOString(), input.final);
  const updated = await deps.syncRuns.update(input.accountId, input.runId, { verification });
  if (!updated.ok && updated.error.code !== 'SYNC_RUN_NOT_FOUND') throw new TransientFailure(updated.error);
}

export interface StartVerificationDeps {
  orchestrations: OrchestrationClient;
  now: () => Date;
  windowSeconds: number;
  pollSeconds: number;
}

/**
 * Starts the run's verification under its own instance id (once: a second call, the activity's retry, finds it
 * running). Its window starts now, at the end of the run.
 */
export async function startVerification(deps: StartVerificationDeps, input: StartVerificationInput): Promise<{ started: boolean }> {
  const instanceId = verifyInstanceId(input.accountId, input.runId);
  if (!input.chunks.length || (await deps.orchestrations.isRunning(instanceId))) return { started: false };
  const until = new Date(deps.now().getTime() + deps.windowSeconds * 1000).toISOString();
  const start: VerifySyncRunInput = { ...input, until, pollSeconds: deps.pollSeconds };
  await deps.orchestrations.start(VERIFY_SYNC_RUN, instanceId, start);
  return { started: true };
}
