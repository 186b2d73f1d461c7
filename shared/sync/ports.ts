/** What the sync needs from the outside world. */
import { Result } from '../domain/errors';
import { PlannedUser } from '../domain/syncApply';
import { SyncCounts, SyncRun } from '../domain/syncRun';

export interface StoredSyncRun {
  run: SyncRun;
  /** Storage concurrency token of the row as read. */
  etag: string;
}

export interface SyncRunPage {
  /** Newest first. */
  runs: SyncRun[];
  /** Runs of the account over all pages. */
  total: number;
}

/** What an update may change: everything but the run's identity and its start. */
export type SyncRunPatch = Partial<Omit<SyncRun, 'runId' | 'accountId' | 'trigger' | 'startedBy' | 'startedAt'>>;

/**
 * The syncRuns table: one partition per account, one row per run. The store keeps no rules of its own: callers work
 * out the next run with shared/domain/syncRun.ts and write it under the ETag they read, in `retryOnConflict`.
 */
export interface SyncRunStore {
  /** Records a new run; CONCURRENT_UPDATE when a run with this id exists already. */
  create(run: SyncRun): Promise<Result<StoredSyncRun>>;
  get(accountId: string, runId: string): Promise<StoredSyncRun | undefined>;
  /** One page (from 1) of the account's runs, newest first. */
  list(accountId: string, options: { page: number; pageSize: number }): Promise<SyncRunPage>;
  /**
   * Applies `patch`; with `etag` only when the row is still as read (CONCURRENT_UPDATE otherwise).
   * SYNC_RUN_NOT_FOUND when there is no such run.
   */
  update(accountId: string, runId: string, patch: SyncRunPatch, etag?: string): Promise<Result<StoredSyncRun>>;
  /** The account's run in progress (the newest, should there be more than one), if any. */
  running(accountId: string): Promise<SyncRun | undefined>;
}

/** One line of the activity log: one operation of a run on one Teams user, or a user the plan refused. */
export interface ActivityEntry {
  accountId: string;
  runId: string;
  /** Stable within the run (the user's and the operation's place in the plan): writing an entry twice keeps one. */
  entryId: string;
  at: string;
  teamsUserId: string;
  voiceUserIds: string[];
  /** An operation kind (shared/domain/syncPlan.ts), or `refused` for a user the plan did not touch. */
  kind: string;
  /** The telephone number (`+E164[;ext=N]`) or policy name the operation is about. */
  target: string | null;
  before: string | null;
  after: string | null;
  result: 'succeeded' | 'failed' | 'refused' | 'notAttempted';
  /** Our client-request-id and Microsoft's request-id of the last call for this operation. */
  clientRequestId: string | null;
  requestId: string | null;
  error: { code: string; message: string } | null;
}

export interface ActivityPage {
  entries: ActivityEntry[];
  total: number;
}

/** The activity table: one partition per account, rows keyed by run and entry id (so recording twice is harmless). */
export interface ActivityLog {
  /** Upserts the entries (any number: the store splits them into transactions). */
  record(entries: readonly ActivityEntry[]): Promise<void>;
  /** One page (from 1) of a run's entries, in plan order. */
  list(accountId: string, runId: string, options: { page: number; pageSize: number }): Promise<ActivityPage>;
}

/** What the plan stage leaves for the apply stage (its summary row, written after every plan row). */
export interface RunPlanSummary {
  /** The chunks with something to apply or to commit, in order (the rest need nothing). */
  chunks: number[];
  counts: SyncCounts;
  users: number;
  /** Users the plan refused (NUMBER_IN_USE, USER_NOT_ELIGIBLE, …): the run cannot end Succeeded with any. */
  refused: number;
}

/**
 * The run's plan as rows (the runPlans table): one per planned Teams user, in chunks, with its actual state as read and
 * its operations' progress. Rows are written whole (upsert): writing the same row again is harmless.
 */
export interface RunPlanStore {
  /** Upserts the rows (one storage transaction per chunk, in the account's partition). */
  save(accountId: string, runId: string, users: readonly PlannedUser[]): Promise<void>;
  /** A chunk's rows, in plan order. */
  chunk(accountId: string, runId: string, chunk: number): Promise<PlannedUser[]>;
  saveSummary(accountId: string, runId: string, summary: RunPlanSummary): Promise<void>;
  /** The plan's summary; undefined until the whole plan is stored. */
  summary(accountId: string, runId: string): Promise<RunPlanSummary | undefined>;
}
