/** What the API shows of sync runs. */
import { Operation } from '../../domain/syncPlan';
import { SyncRun } from '../../domain/syncRun';
import { SyncRunsPage } from '../../sync/listSyncRuns';
import { SyncPreview } from '../../sync/previewSync';
import { ActivityListing } from '../../sync/listActivity';

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
  verification: r.verification ?? null,
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

/** An operation as the sync applies it, without the user it is on (the row says) or the plan's internal ordering. */
function operationView(o: Operation) {
  switch (o.kind) {
    case 'assignNumber':
    case 'unassignNumber':
      return { kind: o.kind, telephoneNumber: o.telephoneNumber, numberType: o.numberType };
    case 'grantVoiceRoutingPolicy':
    case 'grantCallingPolicy':
      return { kind: o.kind, policyName: o.policyName, before: o.before };
    default:
      return { kind: o.kind, before: o.before };
  }
}

export const syncPlanView = (accountId: string, p: SyncPreview) => ({
  accountId,
  computedAt: p.computedAt,
  summary: { ...p.summary },
  users: p.users.map((u) => ({
    teamsUserId: u.teamsUserId,
    voiceUserIds: [...u.voiceUserIds],
    role: u.role,
    outcome: u.outcome,
    // The operations as the sync applies them (the unassigns an assign waits for stay an internal detail).
    operations: u.outcome === 'planned' ? u.operations.map(operationView) : [],
    error: u.outcome === 'refused' ? { code: u.error.code, message: u.error.message } : null,
  })),
});

export const activityView = (a: ActivityListing) => ({
  accountId: a.accountId,
  runId: a.runId,
  page: a.page,
  pageSize: a.pageSize,
  total: a.total,
  totalPages: a.totalPages,
  entries: a.entries.map((e) => ({
    entryId: e.entryId,
    at: e.at,
    teamsUserId: e.teamsUserId,
    voiceUserIds: [...e.voiceUserIds],
    kind: e.kind,
    target: e.target,
    before: e.before,
    after: e.after,
    result: e.result,
    clientRequestId: e.clientRequestId,
    requestId: e.requestId,
    error: e.error,
  })),
});
