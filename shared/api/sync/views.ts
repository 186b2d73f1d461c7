/** What the API shows of sync runs. */
import { SyncRun } from '../../domain/syncRun';
import { SyncRunsPage } from '../../sync/listSyncRuns';

export const syncRunView = (r: SyncRun) => ({
  runId: r.runId,
  accountId: r.accountId,
  trigger: r.trigger,
  startedBy: r.startedBy,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  status: r.status,
  stage: r.stage,
  counts: { ...r.counts },
  deadline: r.deadline,
  error: r.error,
});

export const syncRunsPageView = (p: SyncRunsPage) => ({
  accountId: p.accountId,
  page: p.page,
  pageSize: p.pageSize,
  total: p.total,
  totalPages: p.totalPages,
  runs: p.runs.map(syncRunView),
});

export const runningRunView = (r: SyncRun | undefined) =>
  r ? { runId: r.runId, stage: r.stage, startedAt: r.startedAt, deadline: r.deadline, counts: { ...r.counts } } : null;
