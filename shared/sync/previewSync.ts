/**
 * Use case: what the next sync would change (GET /sync-plan), before the Global Admin signs in. The same plan the run
 * makes (stored mapping → planner input, the tenant's actual Teams voice state, shared/domain/syncPlan.ts), read with
 * the app's own application permissions instead of the run's delegated tokens. Nothing is written.
 */
import { loadAccount } from '../accounts/loadAccount';
import { canSync } from '../domain/syncStart';
import { AccountStore } from '../accounts/ports';
import { ok, Result } from '../domain/errors';
import { OperationKind, planSync, SyncPlan } from '../domain/syncPlan';
import { VoiceUserStore } from '../mapping/ports';
import { planInputsOf } from './planInput';
import { TeamsVoiceReaderFor } from './teamsVoice';

export interface PreviewSyncDeps {
  accounts: AccountStore;
  voiceUsers: VoiceUserStore;
  teamsVoice: TeamsVoiceReaderFor;
  now: () => Date;
}

export interface SyncPreview {
  computedAt: string;
  summary: {
    /** Teams users the sync would change. */
    usersChanged: number;
    /** Teams users it would refuse (with their codes below). */
    usersRefused: number;
    operations: Partial<Record<OperationKind, number>>;
    refusals: Partial<Record<string, number>>;
  };
  /** Users with something to do or a refusal, in the order the sync applies them. */
  users: SyncPlan['users'];
}

export async function previewSync(deps: PreviewSyncDeps, accountId: string): Promise<Result<SyncPreview>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const account = loaded.value.account;
  const syncable = canSync(account);
  if (!syncable.ok) return syncable;
  // canSync checked the account is bound to its tenant.
  const tenantId = account.tenantId as string;
  const settings = account.settings;
  const inputs = planInputsOf((await deps.voiceUsers.read(accountId)).users, settings, account.state === 'removalPending');
  const reader = deps.teamsVoice({ kind: 'app', tenantId });
  const actual = inputs.teamsUserIds.length ? await reader.users(inputs.teamsUserIds) : ok([]);
  if (!actual.ok) return actual;
  const assignments = inputs.telephoneNumbers.length ? await reader.numberAssignments(inputs.telephoneNumbers) : ok([]);
  if (!assignments.ok) return assignments;
  const plan = planSync({
    ...inputs,
    settings,
    actual: new Map(actual.value.map((u) => [u.teamsUserId, u])),
    assignments: assignments.value,
  });

  const users = plan.users.filter((u) => u.outcome === 'refused' || u.operations.length > 0);
  const operations: Partial<Record<OperationKind, number>> = {};
  const refusals: Partial<Record<string, number>> = {};
  for (const u of users) {
    if (u.outcome === 'refused') refusals[u.error.code] = (refusals[u.error.code] ?? 0) + 1;
    else for (const o of u.operations) operations[o.kind] = (operations[o.kind] ?? 0) + 1;
  }
  return ok({
    computedAt: deps.now().toISOString(),
    summary: {
      usersChanged: users.filter((u) => u.outcome === 'planned').length,
      usersRefused: users.filter((u) => u.outcome === 'refused').length,
      operations,
      refusals,
    },
    users,
  });
}
