/**
 * A sync run (started by shared/sync/startSync.ts under the account's fixed instance id): preflight → discovery (the
 * discovery orchestration, as a sub-orchestration) → tenantConfiguration → plan → apply → finish → (when something
 * was applied) the start of its post-sync verification, an orchestration of its own (verifySyncRun.ts). The deadline is
 * read once (preflight) and checked from currentUtcDateTime before each stage: past it, the run ends Expired. Any
 * failure ends the run Failed with its code. Finish always runs: it deletes the run's tokens, records the outcome on
 * the run and the account.
 *
 * Deterministic: time from currentUtcDateTime; only ids, stages, counts and codes pass through the history (the
 * activities read the tokens from the vault by run id). Transient faults are retried by callActivityWithRetry.
 */
import * as df from 'durable-functions';
import { retryOptions, retryUntil } from './retry';
import { OrchestrationContext, Task } from 'durable-functions';
import { DISCOVER_TENANT, DiscoverTenantInput, DiscoverTenantOutput } from '../shared/discovery/contract';
import { ActivityError, activityErrorFrom } from '../shared/domain/activityFailure';
import { insideWindow, NO_COUNTS, outcomeOf, SyncCounts, SyncStage } from '../shared/domain/syncRun';
import {
  PreflightOutput,
  StageOutput,
  SyncActivities as A,
  syncDiscoveryInstanceId,
  SYNC_GAVE_UP,
  SYNC_RETRY,
  SYNC_TENANT,
  SYNC_WINDOW_PASSED,
  SyncProgress,
  APPLY_PARALLEL_CHUNKS,
  APPLY_SYNC_CHUNK,
  ApplyChunkInput,
  ApplyChunkOutput,
  applyChunkInstanceId,
  NOTHING_APPLIED,
  PlanStageOutput,
  SOME_USERS_FAILED,
  TRUNK_MAX_STEPS,
  TRUNK_NOT_READY,
  TrunkStepOutput,
  SyncTenantInput,
  SyncTenantOutput,
  StartVerificationInput,
  VerifyActivities as V,
} from '../shared/sync/contract';
import { Result } from '../shared/domain/errors';

/** How a run ended before finish: Failed with an error, Expired, or through every stage. */
type Ending = { status: 'Failed' | 'Expired' | 'PartiallySucceeded'; error: ActivityError } | { status: 'Succeeded'; error: null };

/** A run that went through every stage ends as its counts say (outcomeOf), with the code that goes with it. */
function runEnding(counts: SyncCounts, refused: number): Ending {
  const status = outcomeOf(counts, false, refused);
  if (status === 'Succeeded') return { status, error: null };
  return status === 'Failed' ? { status, error: NOTHING_APPLIED } : { status: 'PartiallySucceeded', error: SOME_USERS_FAILED };
}

export function* syncTenant(context: OrchestrationContext): Generator<Task, SyncTenantOutput, unknown> {
  const { accountId, runId } = context.df.getInput() as SyncTenantInput;
  const ref = { accountId, runId };
  let retry = retryOptions(SYNC_RETRY);
  const progress: SyncProgress = { runId, stage: 'preflight', counts: { ...NO_COUNTS } };
  const report = (stage: SyncStage, counts?: SyncCounts): void => {
    progress.stage = stage;
    if (counts) progress.counts = { ...counts };
    context.df.setCustomStatus({ runId, stage: progress.stage, counts: { ...progress.counts } });
  };
  const failed = (error: ActivityError): Ending => ({ status: 'Failed', error: { code: error.code, message: error.message } });
  let deadline: string | null = null;
  /** Set once there is a plan to apply: what the verification follows. */
  let verify: StartVerificationInput | null = null;
  const windowOpen = (): boolean => deadline === null || insideWindow({ deadline }, context.df.currentUtcDateTime);

  function* run(): Generator<Task, Ending, unknown> {
    report('preflight');
    const preflight = (yield context.df.callActivityWithRetry(A.preflight, retry, ref)) as Result<PreflightOutput>;
    if (!preflight.ok) return failed(preflight.error);
    const { tenantId } = preflight.value;
    deadline = preflight.value.deadline;
    // From here on a step's retries stop at the deadline too: none runs on tokens about to expire.
    retry = retryUntil(SYNC_RETRY, deadline, context.df.currentUtcDateTime);

    if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
    report('discovery');
    const moved = (yield context.df.callActivityWithRetry(A.advance, retry, { ...ref, stage: 'discovery' })) as Result<void>;
    if (!moved.ok) return failed(moved.error);
    const discoveryInput: DiscoverTenantInput = { accountId, tenantId };
    const discovery = (yield context.df.callSubOrchestrator(
      DISCOVER_TENANT,
      discoveryInput,
      syncDiscoveryInstanceId(accountId, runId),
    )) as DiscoverTenantOutput;
    if (discovery.status !== 'succeeded') return failed(discovery.error ?? SYNC_GAVE_UP);

    // The derived trunk and voice route, then the PSTN usage, voice routing policy and calling policies.
    if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
    report('tenantConfiguration');
    const stage = { ...ref, tenantId };
    // The derived trunk first (Direct Routing): durable timers while Microsoft verifies and activates its domain.
    for (let step = 0; ; step++) {
      if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
      const trunk = (yield context.df.callActivityWithRetry(A.trunkStep, retry, stage)) as Result<TrunkStepOutput>;
      if (!trunk.ok) return failed(trunk.error);
      if (trunk.value.state === 'ready') break;
      if (step + 1 >= TRUNK_MAX_STEPS) return failed(TRUNK_NOT_READY);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + trunk.value.waitSeconds * 1000));
    }
    const configured = (yield context.df.callActivityWithRetry(A.tenantConfiguration, retry, stage)) as Result<StageOutput>;
    if (!configured.ok) return failed(configured.error);

    if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
    report('plan');
    const planned = (yield context.df.callActivityWithRetry(A.plan, retry, stage)) as Result<PlanStageOutput>;
    if (!planned.ok) return failed(planned.error);
    const counts = { ...planned.value.counts };
    report('apply', counts);
    const applying = (yield context.df.callActivityWithRetry(A.advance, retry, { ...ref, stage: 'apply', counts })) as Result<void>;
    if (!applying.ok) return failed(applying.error);

    // Chunks run APPLY_PARALLEL_CHUNKS at a time (each waits on Microsoft most of its life); the deadline is checked
    // before each wave.
    const chunks = planned.value.chunks;
    verify = { ...stage, chunks };
    for (let i = 0; i < chunks.length; i += APPLY_PARALLEL_CHUNKS) {
      if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
      const wave = chunks.slice(i, i + APPLY_PARALLEL_CHUNKS).map((chunk) => {
        const input: ApplyChunkInput = { ...stage, chunk, deadline: deadline as string };
        return context.df.callSubOrchestrator(APPLY_SYNC_CHUNK, input, applyChunkInstanceId(accountId, runId, chunk));
      });
      const done = (yield context.df.Task.all(wave)) as ApplyChunkOutput[];
      for (const d of done) {
        counts.applied += d.counts.applied;
        counts.failed += d.counts.failed;
      }
      counts.left = counts.planned - counts.applied - counts.failed;
      report('apply', counts);
      const moved = (yield context.df.callActivityWithRetry(A.advance, retry, { ...ref, stage: 'apply', counts })) as Result<void>;
      if (!moved.ok) return failed(moved.error);
      if (done.some((d) => d.expired)) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
    }
    // A removal's final sync that released everyone: what the integration created in the tenant goes too.
    if (counts.failed === 0 && counts.left === 0 && planned.value.refused === 0) {
      if (!windowOpen()) return { status: 'Expired', error: SYNC_WINDOW_PASSED };
      const cleaned = (yield context.df.callActivityWithRetry(A.cleanUp, retry, stage)) as Result<{ removed: number }>;
      if (!cleaned.ok) return failed(cleaned.error);
    }
    return runEnding(counts, planned.value.refused);
  }

  let ending: Ending;
  try {
    ending = yield* run();
  } catch (err) {
    // An activity or the discovery failed for good: keep the code of our transient failure, if it was one.
    const failure = err as Error & { failureDetails?: { errorMessage?: string } };
    ending = windowOpen()
      ? failed(activityErrorFrom(failure.failureDetails?.errorMessage ?? failure.message, SYNC_GAVE_UP))
      : { status: 'Expired', error: SYNC_WINDOW_PASSED };
  }

  const counts = { ...progress.counts };
  yield context.df.callActivityWithRetry(A.finish, retryOptions(SYNC_RETRY), {
    ...ref,
    status: ending.status,
    counts,
    error: ending.error,
    finishedAt: context.df.currentUtcDateTime.toISOString(),
  });
  if (ending.status === 'Succeeded' || ending.status === 'PartiallySucceeded') report('finish');
  // Microsoft takes a while to show the changes to the users: a follow-up of its own watches them take effect.
  if (verify && counts.applied > 0) {
    try {
      yield context.df.callActivityWithRetry(V.start, retryOptions(SYNC_RETRY), verify);
    } catch {
      // The run itself is recorded: a verification that could not start leaves its `verification` null.
    }
  }
  return { runId, status: ending.status, counts, error: ending.error };
}

df.app.orchestration(SYNC_TENANT, syncTenant);
