/**
 * The sync orchestration's contract with its activities: names, inputs and outputs. Everything here goes into the
 * orchestration history, so it stays small: ids, stages, counts and error codes, never tokens (activities read those
 * from the token vault by run id). Pure (no I/O), so the deterministic orchestrator may import it.
 */
import { ActivityError } from '../domain/activityFailure';
import { FinishedStatus, SyncCounts, SyncStage } from '../domain/syncRun';

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
  tenantConfiguration: 'syncTenantConfiguration',
  plan: 'syncPlan',
  apply: 'syncApply',
  finish: 'syncFinish',
} as const;

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
