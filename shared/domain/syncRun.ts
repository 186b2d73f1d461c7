/**
 * A sync run: one authorised pass of the sync engine over an account's tenant, kept as data (the syncRuns table).
 *
 *   Running (preflight → discovery → tenantConfiguration → plan → apply → finish) ──> Succeeded | PartiallySucceeded
 *                                                                                     | Failed | Expired
 *
 * Stages only move forward (a stage may report progress again); a finished run never changes again. What a finished
 * run does to its account is `accountAfterRun`.
 */
import { Account, transition } from './account';
import { fail, ok, Result } from './errors';

export type SyncTrigger = 'portal' | 'emailLink' | 'page';
export const SYNC_TRIGGERS: readonly SyncTrigger[] = ['portal', 'emailLink', 'page'];

export type SyncRunStatus = 'Running' | 'Succeeded' | 'PartiallySucceeded' | 'Failed' | 'Expired';
export type FinishedStatus = Exclude<SyncRunStatus, 'Running'>;
export const SYNC_RUN_STATUSES: readonly SyncRunStatus[] = ['Running', 'Succeeded', 'PartiallySucceeded', 'Failed', 'Expired'];

/** In the order a run passes them. */
export const SYNC_STAGES = ['preflight', 'discovery', 'tenantConfiguration', 'plan', 'apply', 'finish'] as const;
export type SyncStage = (typeof SYNC_STAGES)[number];

export interface SyncCounts {
  /** Operations the plan holds. */
  planned: number;
  applied: number;
  /** Operations Microsoft refused (recorded per operation; the others go on). */
  failed: number;
  /** Operations not attempted yet: they wait for the next sync. */
  left: number;
}

export interface SyncRun {
  runId: string;
  accountId: string;
  trigger: SyncTrigger;
  /** The portal user id of the Global Admin who authorised the run. */
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncRunStatus;
  /** The stage reached; for a run that failed, the stage it failed in. */
  stage: SyncStage;
  counts: SyncCounts;
  /** After this instant the run starts no more work (see runDeadline). */
  deadline: string;
  /** A stable code and a readable message; never a token or a secret. */
  error: { code: string; message: string } | null;
  /** After a run that applied changes: whether Teams shows them to the users yet (shared/domain/syncVerification.ts). */
  verification?: RunVerification | null;
}

/** The post-sync verification of a run, as the run record and the API show it (shared/domain/syncVerification.ts). */
export interface RunVerification {
  /** `verifying` until every applied user is effective (`effective`) or the window ended (`notEffective`). */
  status: 'verifying' | 'effective' | 'notEffective';
  /** Applied users the verification follows. */
  users: number;
  effective: number;
  notEffective: number;
  /** When the verification gives up on the users still not effective. */
  until: string;
  checkedAt: string;
}

export const NO_COUNTS: SyncCounts = { planned: 0, applied: 0, failed: 0, left: 0 };

/**
 * Taken off the earliest token expiry. An operation started just before a token expires can still be sent with it
 * after its retries and Microsoft's own latency (Teams number assignments take tens of seconds, retries back off up
 * to a minute): five minutes keeps every call inside the token's life, so the run stops cleanly (Expired) instead of
 * failing half-way with 401s it cannot tell from real refusals.
 */
export const DEADLINE_SAFETY_MARGIN_MS = 5 * 60_000;

/** The run's deadline: the earliest token expiry minus the safety margin; null without any token. */
export function runDeadline(tokenExpiries: readonly Date[], marginMs = DEADLINE_SAFETY_MARGIN_MS): Date | null {
  if (tokenExpiries.length === 0) return null;
  const earliest = Math.min(...tokenExpiries.map((d) => d.getTime()));
  return new Date(earliest - marginMs);
}

/** True while work may still start (checked from the orchestrator's currentUtcDateTime). */
export const insideWindow = (run: Pick<SyncRun, 'deadline'>, now: Date): boolean => now.getTime() < Date.parse(run.deadline);

export interface NewRun {
  runId: string;
  accountId: string;
  trigger: SyncTrigger;
  startedBy: string;
  deadline: Date;
}

export function startRun(input: NewRun, now: Date): SyncRun {
  return {
    runId: input.runId,
    accountId: input.accountId,
    trigger: input.trigger,
    startedBy: input.startedBy,
    startedAt: now.toISOString(),
    finishedAt: null,
    status: 'Running',
    stage: 'preflight',
    counts: { ...NO_COUNTS },
    deadline: input.deadline.toISOString(),
    error: null,
  };
}

export const isFinished = (run: Pick<SyncRun, 'status'>): boolean => run.status !== 'Running';

const finished = (run: SyncRun, to: string): Result<never> =>
  fail('INVALID_STATE_TRANSITION', `The sync run ${run.runId} has finished (${run.status}); it cannot change any more.`, {
    from: run.status,
    to,
  });

/** Moves a running run to `stage` (the same stage again reports progress), with new counts if given. */
export function advanceRun(run: SyncRun, stage: SyncStage, counts?: Partial<SyncCounts>): Result<SyncRun> {
  if (isFinished(run)) return finished(run, stage);
  if (SYNC_STAGES.indexOf(stage) < SYNC_STAGES.indexOf(run.stage)) {
    return fail('INVALID_STATE_TRANSITION', `A sync run cannot go back from ${run.stage} to ${stage}.`, { from: run.stage, to: stage });
  }
  return ok({ ...run, stage, counts: { ...run.counts, ...counts } });
}

/**
 * The outcome the counts call for: Expired when the window ran out with work left, Failed when nothing planned was
 * applied and something failed, PartiallySucceeded when some failed or users were refused (they stay queued),
 * otherwise Succeeded.
 */
export function outcomeOf(counts: SyncCounts, windowRanOut: boolean, refusedUsers = 0): FinishedStatus {
  if (windowRanOut && counts.left > 0) return 'Expired';
  if (counts.failed > 0) return counts.applied > 0 ? 'PartiallySucceeded' : 'Failed';
  return refusedUsers > 0 ? 'PartiallySucceeded' : 'Succeeded';
}

export interface RunOutcome {
  status: FinishedStatus;
  counts?: Partial<SyncCounts>;
  error?: { code: string; message: string } | null;
}

/** Finishes a running run; a finished one is refused (it never changes again). */
export function finishRun(run: SyncRun, outcome: RunOutcome, now: Date): Result<SyncRun> {
  if (isFinished(run)) return finished(run, outcome.status);
  return ok({
    ...run,
    status: outcome.status,
    counts: { ...run.counts, ...outcome.counts },
    error: outcome.error ?? null,
    finishedAt: now.toISOString(),
  });
}

/**
 * What a finished run does to its account: the last sync time and result, no run in progress, and the action needed.
 * Queued changes live with the mapping (the run's finish step clears what it applied), so `effectiveActionNeeded`
 * turns `none` into `sync` by itself while anything is still queued; only the final sync moves the account on: when
 * it succeeded with nothing left, the removal is complete (`transition` to removed, nothing more to do). Any other
 * outcome keeps `finalSync` (or `activate`). Recording the same run again changes nothing (the step may run twice).
 */
export function accountAfterRun(account: Account, run: SyncRun): Result<Account> {
  if (!isFinished(run) || run.finishedAt === null) {
    return fail('INVALID_STATE_TRANSITION', `The sync run ${run.runId} is still running.`, { from: run.status, to: 'finished' });
  }
  const runningRunId = account.runningRunId === run.runId ? null : account.runningRunId;
  const removalDone = account.state === 'removalPending' && run.status === 'Succeeded' && run.counts.left === 0;
  const recorded = account.lastSyncAt === run.finishedAt && account.lastSyncStatus === run.status;
  if (recorded && runningRunId === account.runningRunId && !removalDone) return ok(account);
  const finishedAt = new Date(run.finishedAt);
  const next: Account = {
    ...account,
    lastSyncAt: run.finishedAt,
    lastSyncStatus: run.status as FinishedStatus,
    runningRunId,
    version: account.version + 1,
    updatedAt: run.finishedAt,
  };
  if (!removalDone) return ok(next);
  const removed = transition(next, 'removed', finishedAt);
  return removed.ok ? ok({ ...removed.value, actionNeeded: 'none', version: next.version }) : removed;
}
