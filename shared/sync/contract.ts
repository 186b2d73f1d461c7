/**
 * The sync orchestration's contract with its activities: names, inputs and outputs. Everything here goes into the
 * orchestration history, so it stays small: ids, stages, counts and error codes, never tokens (activities read those
 * from the token vault by run id). Pure (no I/O), so the deterministic orchestrator may import it.
 */
import { ActivityError } from '../domain/activityFailure';
import { FinishedStatus, SyncCounts, SyncStage } from '../domain/syncRun';
import { VerificationCounts } from '../domain/syncVerification';

export const SYNC_TENANT = 'syncTenant';

/** One run per account: a fixed instance id, so the Durable runtime itself refuses a second one while it runs. */
export const syncInstanceId = (accountId: string): string => `sync-${accountId}`;

/**
 * The run's discovery runs as a sub-orchestration under an id of its own per run: it never collides with a standalone
 * discovery (`discovery-{accountId}`, started by activation), and the newest discovery owns the discovery row (the
 * discovery steps make an older one stop with DISCOVERY_SUPERSEDED).
 */
export const syncDiscoveryInstanceId = (accountId: string, runId: string): string => `sync-${accountId}-discovery-${runId}`;

/** The resources whose delegated tokens a run needs (Microsoft Graph, the Skype and Teams Tenant Admin API). */
export const SYNC_RESOURCES = ['https://graph.microsoft.com', '48ac35b8-9aa8-4d74-927d-1f4a14a0b239'] as const;

export const SyncActivities = {
  preflight: 'syncPreflight',
  advance: 'syncAdvance',
  trunkStep: 'syncTrunkStep',
  cleanUp: 'syncCleanUp',
  tenantConfiguration: 'syncTenantConfiguration',
  plan: 'syncPlan',
  applyStep: 'syncApplyStep',
  finish: 'syncFinish',
} as const;

/** The sub-orchestration that applies one chunk of the plan (orchestrations/applySyncChunk.ts). */
export const APPLY_SYNC_CHUNK = 'applySyncChunk';

export const applyChunkInstanceId = (accountId: string, runId: string, chunk: number): string =>
  `sync-${accountId}-apply-${runId}-${chunk}`;

/** The orchestration's input: ids only. */
export interface SyncTenantInput {
  accountId: string;
  runId: string;
}

export interface RunRef {
  accountId: string;
  runId: string;
}

export interface PreflightOutput {
  /** The tenant the account is bound to (discovery reads it). */
  tenantId: string;
  /** The run's deadline (ISO), computed once at the start. */
  deadline: string;
}

export interface AdvanceInput extends RunRef {
  stage: SyncStage;
  counts?: Partial<SyncCounts>;
}

/** What the stages of the next issues answer: the counts they leave the run with. */
export type StageOutput = SyncCounts;

/** A stage that talks to the tenant. */
export interface StageInput extends RunRef {
  tenantId: string;
}

/** The plan stage's answer: its counts and the chunks to apply (numbers only: the plan itself is in the runPlans table). */
export interface PlanStageOutput {
  counts: SyncCounts;
  chunks: number[];
  /** Users the plan refused. */
  refused: number;
}

export interface ApplyChunkInput extends StageInput {
  chunk: number;
  /** The run's deadline (ISO): past it, the chunk stops what it has not sent. */
  deadline: string;
}

export interface ApplyChunkOutput {
  counts: SyncCounts;
  /** The window closed while the chunk ran: the run ends Expired. */
  expired: boolean;
}

export interface ApplyStepInput extends StageInput {
  chunk: number;
  /** Set to stop the chunk: what is not sent is left, what runs is recorded failed with this error, then committed. */
  stop: ActivityError | null;
}

export interface ApplyStepOutput {
  /** Every operation of the chunk settled and the chunk was committed. */
  settled: boolean;
  /** When not settled: seconds until the next step can move something. */
  waitSeconds: number;
  /** The chunk's operations. */
  counts: SyncCounts;
}

/**
 * Chunks applied at once. Each spends most of its life waiting for Microsoft's long-running number changes; four keep
 * the calls in flight well under Microsoft's per-tenant limits (at most 4 × 20 requests a `$batch` at a time) and the
 * commits of the chunks (one mapping write each, ETag-guarded) rarely collide.
 */
export const APPLY_PARALLEL_CHUNKS = 4;

/** Steps one chunk may take before it stops what is left (a long-running number change that never ends). */
export const APPLY_MAX_STEPS = 60;

export const APPLY_STEPS_EXHAUSTED: ActivityError = {
  code: 'TEAMS_WRITE_FAILED',
  message: 'Microsoft Teams did not finish these changes in time; the next sync checks them again.',
};

export interface FinishInput extends RunRef {
  status: FinishedStatus;
  counts: SyncCounts;
  error: ActivityError | null;
  finishedAt: string;
}

export interface SyncTenantOutput {
  runId: string;
  status: FinishedStatus;
  counts: SyncCounts;
  error: ActivityError | null;
}

/** The custom status while the run runs. */
export interface SyncProgress {
  runId: string;
  stage: SyncStage;
  counts: SyncCounts;
}

/** Activity retries for transient faults (the discovery's). */
export { DISCOVERY_RETRY as SYNC_RETRY } from '../discovery/contract';

/** Recorded when a step failed for good with anything but one of our transient failures (details are in the logs). */
export const SYNC_GAVE_UP: ActivityError = {
  code: 'SYNC_FAILED',
  message: 'The sync run stopped after repeated unexpected errors; the logs have the details.',
};

export const SYNC_WINDOW_PASSED: ActivityError = {
  code: 'SYNC_EXPIRED',
  message: "The sync run's token window ran out before it finished; what is left waits for the next sync.",
};

/** A run whose users all failed (nothing reached Teams). */
export const NOTHING_APPLIED: ActivityError = {
  code: 'TEAMS_WRITE_FAILED',
  message: 'No change reached Teams; the activity log says why for each user.',
};

/** A run where some users failed or were refused: they stay queued for the next sync. */
export const SOME_USERS_FAILED: ActivityError = {
  code: 'SYNC_PARTIAL',
  message: 'Some users could not be synced; the activity log and the mapping say why for each.',
};

/** One step of the derived trunk's set-up (shared/sync/setUpTrunk.ts). */
export interface TrunkStepOutput {
  state: 'ready' | 'waiting';
  /** When waiting: seconds until the next step. */
  waitSeconds: number;
  /** What Microsoft is doing meanwhile. */
  reason?: 'verifying' | 'activating';
}

/** Steps the trunk set-up may take (each waits SYNC_TRUNK_POLL_SECONDS) before the run gives up on it. */
export const TRUNK_MAX_STEPS = 40;

export const TRUNK_NOT_READY: ActivityError = {
  code: 'TRUNK_DOMAIN_FAILED',
  message: "Microsoft did not verify or activate the provider's trunk domain in time; the next sync goes on from there.",
};

/**
 * The post-sync verification (orchestrations/verifySyncRun.ts): an orchestration of its own per run, started by the
 * run's last activity, so the account's next sync is not held up by its two hours of waiting.
 */
export const VERIFY_SYNC_RUN = 'verifySyncRun';

export const verifyInstanceId = (accountId: string, runId: string): string => `sync-${accountId}-verify-${runId}`;

export const VerifyActivities = {
  start: 'syncStartVerification',
  checkChunk: 'syncVerifyChunk',
  record: 'syncRecordVerification',
} as const;

/** What the run hands its verification: which chunks hold applied users. */
export interface StartVerificationInput extends StageInput {
  chunks: number[];
}

export interface VerifySyncRunInput extends StageInput {
  chunks: number[];
  /** When to give up on the users not effective yet (ISO). */
  until: string;
  /** Seconds between checks. */
  pollSeconds: number;
}

export interface VerifyChunkInput extends StageInput {
  chunk: number;
  /** The last check: users still not effective are flagged NOT_EFFECTIVE_AFTER_2H. */
  final: boolean;
}

export interface RecordVerificationInput extends RunRef {
  counts: VerificationCounts;
  until: string;
  final: boolean;
}
