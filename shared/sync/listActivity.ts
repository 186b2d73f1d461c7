/** Use case: one page of a sync run's activity log (the account's latest run when none is named). */
import { loadAccount } from '../accounts/loadAccount';
import { fail, ok, Result } from '../domain/errors';
import { ActivityEntry, ActivityLog } from './ports';
import { SyncRunsDeps } from './listSyncRuns';

export interface ActivityDeps extends SyncRunsDeps {
  activity: Pick<ActivityLog, 'list'>;
}

export interface ActivityListing {
  accountId: string;
  /** The run listed; null when the account has no run yet. */
  runId: string | null;
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
  entries: ActivityEntry[];
}

export async function listActivity(
  deps: ActivityDeps,
  accountId: string,
  query: { runId?: string; page: number; pageSize: number },
): Promise<Result<ActivityListing>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const { page, pageSize } = query;
  let runId: string | null;
  if (query.runId) {
    // Run ids are GUIDs, issued in lower case.
    runId = query.runId.toLowerCase();
    if (!(await deps.syncRuns.get(accountId, runId))) {
      return fail('SYNC_RUN_NOT_FOUND', `The account ${accountId} has no sync run ${query.runId}.`, { runId: query.runId });
    }
  } else {
    runId = (await deps.syncRuns.list(accountId, { page: 1, pageSize: 1 })).runs[0]?.runId ?? null;
  }
  if (runId === null) return ok({ accountId, runId, page, pageSize, total: 0, totalPages: 0, entries: [] });
  const { entries, total } = await deps.activity.list(accountId, runId, { page, pageSize });
  return ok({ accountId, runId, page, pageSize, total, totalPages: Math.ceil(total / pageSize), entries });
}
