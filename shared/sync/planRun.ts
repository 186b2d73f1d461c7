/**
 * The run's plan stage: the stored mapping → planner input, the tenant's actual Teams voice state read once with the
 * run's delegated tokens, the plan (shared/domain/syncPlan.ts) → one row per Teams user in the runPlans table, chunked,
 * with the actual state as read; refused users go to the activity log. Idempotent: once the plan's summary row is
 * stored (written last), running again returns it and reads nothing from Microsoft.
 */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { committedVoiceUsers, countsOf, PlannedUser, plannedUsers } from '../domain/syncApply';
import { callingPolicyName, desiredLine, planSync, telephoneNumberOf, voiceRoutingPolicyName } from '../domain/syncPlan';
import { VoiceUserStore } from '../mapping/ports';
import { PlanStageOutput, StageInput } from './contract';
import { planInputsOf } from './planInput';
import { ActivityEntry, ActivityLog, RunPlanStore } from './ports';
import { TeamsVoiceReaderFor } from './teamsVoice';

export interface PlanRunDeps {
  accounts: AccountStore;
  voiceUsers: VoiceUserStore;
  runPlans: RunPlanStore;
  activity: ActivityLog;
  teamsVoice: TeamsVoiceReaderFor;
  now: () => Date;
}

/** The activity log's entry of a refused user. */
export const refusalEntry = (accountId: string, runId: string, u: PlannedUser, at: string): ActivityEntry => ({
  accountId,
  runId,
  entryId: `${String(u.order).padStart(6, '0')}-refused`,
  at,
  teamsUserId: u.teamsUserId,
  voiceUserIds: u.voiceUserIds,
  kind: 'refused',
  target: null,
  before: null,
  after: null,
  result: 'refused',
  clientRequestId: null,
  requestId: null,
  error: u.refusal,
});

export async function planRun(deps: PlanRunDeps, { accountId, runId, tenantId }: StageInput): Promise<Result<PlanStageOutput>> {
  const stored = await deps.runPlans.summary(accountId, runId);
  if (stored) return ok({ counts: stored.counts, chunks: stored.chunks, refused: stored.refused });

  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this sync run no longer exists.');
  const settings = loaded.value.account.settings;
  const snapshot = await deps.voiceUsers.read(accountId);
  const inputs = planInputsOf(snapshot.users, settings, loaded.value.account.state === 'removalPending');
  const reader = deps.teamsVoice({ kind: 'run', runId, tenantId });
  const actual = inputs.teamsUserIds.length ? await reader.users(inputs.teamsUserIds) : ok([]);
  if (!actual.ok) return actual;
  const assignments = inputs.telephoneNumbers.length ? await reader.numberAssignments(inputs.telephoneNumbers) : ok([]);
  if (!assignments.ok) return assignments;
  const actualById = new Map(actual.value.map((u) => [u.teamsUserId, u]));
  const plan = planSync({ ...inputs, settings, actual: actualById, assignments: assignments.value });

  const desiredById = new Map(inputs.desired.map((d) => [d.voiceUserId, d]));
  const users = plannedUsers(plan, {
    actual: actualById,
    mappedState: (voiceUserId) => {
      const d = desiredById.get(voiceUserId);
      if (!d) return null;
      const line = desiredLine(d, settings.mainNumber);
      return {
        telephoneNumber: line ? telephoneNumberOf(line) : null,
        numberType: line ? settings.numberType : null,
        voiceRoutingPolicy: voiceRoutingPolicyName(settings.policyPrefix),
        callingPolicy: callingPolicyName(settings.policyPrefix, d),
      };
    },
  });

  // A chunk has work when it has operations, or when committing it as it stands changes a voice user (a user already
  // right in Teams whose applied mapping still lags, or a refusal to record): the others are not applied at all.
  const storedById = new Map(snapshot.users.map((u) => [u.id, u]));
  const at = deps.now().toISOString();
  const byChunk = new Map<number, PlannedUser[]>();
  for (const u of users) byChunk.set(u.chunk, [...(byChunk.get(u.chunk) ?? []), u]);
  const chunks = [...byChunk.entries()]
    .filter(([, rows]) => {
      if (rows.some((u) => u.operations.length > 0)) return true;
      const commit = committedVoiceUsers(rows, storedById, { runId, at });
      return commit.upserts.length + commit.deletions.length > 0;
    })
    .map(([chunk]) => chunk);

  await deps.runPlans.save(accountId, runId, users);
  const refused = users.filter((u) => u.refusal !== null);
  await deps.activity.record(refused.map((u) => refusalEntry(accountId, runId, u, at)));
  const summary = { chunks, counts: countsOf(users), users: users.length, refused: refused.length };
  await deps.runPlans.saveSummary(accountId, runId, summary);
  return ok({ counts: summary.counts, chunks, refused: summary.refused });
}
