/** What the sync needs from the outside world. */
import { Result } from '../domain/errors';
import { SyncRun } from '../domain/syncRun';

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
