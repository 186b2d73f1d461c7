/**
 * Use case: an admin saves mapping changes. Checked against the stored version (If-Match), the licence count and
 * eligibility, then written atomically with the version move: two admins saving at once never both win.
 */
import { refuseWhileRemovalPending } from '../domain/account';
import { staleVersion } from '../domain/version';
import { fail, ok, Result } from '../domain/errors';
import { hasLine, MappingChange, MappingEntry, MappingSummary, planSave, TeamsCandidate } from '../domain/mapping';
import { loadAccount } from '../accounts/loadAccount';
import { MappingDeps } from './deps';

export interface SaveOutcome {
  version: number;
  changed: number;
  summary: MappingSummary;
  licenseCount: number;
}

export async function saveMapping(
  deps: MappingDeps,
  accountId: string,
  changes: MappingChange[],
  ifMatch: number,
): Promise<Result<SaveOutcome>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const stored = loaded.value;
  const { account } = stored;
  const open = refuseWhileRemovalPending(account);
  if (!open.ok) return open;
  if (account.state !== 'active') {
    return fail(
      'MAPPING_NOT_AVAILABLE',
      'The integration is not active yet: the Global Admin must activate it so that Teams users are known.',
      {
        state: account.state,
      },
    );
  }

  // Only what the save names is read: its voice users (after the state row, so the commit's ETag covers all that
  // follows), who holds the Teams users it names, and those Teams users.
  const snapshot = await deps.voiceUsers.readSome(
    accountId,
    changes.map((c) => c.voiceUserId),
  );
  if (snapshot.version !== ifMatch) return staleVersion('mapping', snapshot.version);
  const entries = new Map<string, MappingEntry>(
    snapshot.users.map((u) => [
      u.id,
      {
        voiceUserId: u.id,
        desired: u.desired,
        applied: u.applied,
        inDirectory: u.inDirectory,
        hasLine: hasLine(u, account.settings.mainNumber),
      },
    ]),
  );
  const named = changes.map((c) => c.teamsUserId).filter((id): id is string => id !== null);
  const [holders, candidates] = await Promise.all([deps.voiceUsers.holders(accountId, named), deps.teamsUsers.getMany(accountId, named)]);
  const teamsUsers = new Map<string, TeamsCandidate>(
    candidates.map((t) => [t.id, { id: t.id, eligible: t.eligible, ineligibleReason: t.ineligibleReason, gone: t.gone }]),
  );
  const plan = planSave(entries, changes, {
    licenseCount: account.licenseCount,
    teamsUsers,
    stored: { summary: snapshot.summary, holders },
  });
  if (!plan.ok) return plan;
  if (plan.value.changed.length === 0) {
    return ok({ version: snapshot.version, changed: 0, summary: plan.value.after, licenseCount: account.licenseCount });
  }

  const byId = new Map(snapshot.users.map((u) => [u.id, u]));
  const rows = plan.value.changed.map((e) => ({ ...byId.get(e.voiceUserId)!, desired: e.desired }));
  const saved = await deps.voiceUsers.commit(accountId, snapshot, rows, [], plan.value.after);
  if (!saved.ok) {
    // Someone saved at the same time and won: the caller must read the new version and reapply.
    return saved.error.code === 'CONCURRENT_UPDATE' ? staleVersion('mapping', (await deps.voiceUsers.summary(accountId)).version) : saved;
  }
  return ok({ version: saved.value.version, changed: rows.length, summary: plan.value.after, licenseCount: account.licenseCount });
}
