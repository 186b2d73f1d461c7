/**
 * Use case: the portal replaces an account's voice-user directory (already parsed and validated as a whole). Voice
 * users that left while mapped become queued unmappings; mappings of the others are kept.
 */
import { isDeepStrictEqual } from 'node:util';
import { refuseWhileRemovalPending } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { hasLine, reconcileDirectory, summarize } from '../domain/mapping';
import { VoiceUser } from '../domain/voiceUser';
import { loadAccount } from '../accounts/loadAccount';
import { MappingDeps } from './deps';
import { StoredVoiceUser } from './ports';

export interface ImportOutcome {
  added: number;
  updated: number;
  unchanged: number;
  /** Removed at once (they held no licence). */
  removed: number;
  /** Removed from the directory but still mapped in Teams: unmapped by the next sync. */
  pendingRemoval: number;
  version: number;
  licensesHeld: number;
  queuedChanges: number;
}

const sameUser = (a: StoredVoiceUser, b: StoredVoiceUser): boolean => isDeepStrictEqual(a, b);

export async function importDirectory(deps: MappingDeps, accountId: string, directory: VoiceUser[]): Promise<Result<ImportOutcome>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const open = refuseWhileRemovalPending(loaded.value.account);
  if (!open.ok) return open;
  const { mainNumber } = loaded.value.account.settings;

  // A mapping saved meanwhile makes the commit fail; the import is recomputed from what is then stored.
  return retryOnConflict(async () => {
    const snapshot = await deps.voiceUsers.read(accountId);
    const current = new Map(snapshot.users.map((u) => [u.id, u]));
    const incoming = new Map(directory.map((v) => [v.id, v]));
    const plan = reconcileDirectory(
      snapshot.users.map((u) => ({
        voiceUserId: u.id,
        desired: u.desired,
        applied: u.applied,
        inDirectory: u.inDirectory,
        hasLine: hasLine(u, mainNumber),
      })),
      new Map(directory.map((v) => [v.id, { hasLine: hasLine(v, mainNumber) }])),
    );
    const next: StoredVoiceUser[] = plan.upserts.map((e) => {
      const stored = current.get(e.voiceUserId);
      const fields = incoming.get(e.voiceUserId) ?? (stored as StoredVoiceUser);
      // What the sync recorded stays with the row: a new directory does not change what is in Teams.
      const synced = { appliedState: stored?.appliedState ?? null, lastSync: stored?.lastSync ?? null };
      return { ...fields, ...synced, desired: e.desired, applied: e.applied, inDirectory: e.inDirectory };
    });
    const changed = next.filter((u) => !current.has(u.id) || !sameUser(current.get(u.id) as StoredVoiceUser, u));
    const summary = summarize(next);
    const outcome: ImportOutcome = {
      added: next.filter((u) => !current.has(u.id) || (u.inDirectory && !current.get(u.id)?.inDirectory)).length,
      updated: changed.filter((u) => u.inDirectory && current.get(u.id)?.inDirectory).length,
      unchanged: next.filter((u) => u.inDirectory).length - changed.filter((u) => u.inDirectory).length,
      removed: plan.deletions.length,
      pendingRemoval: next.filter((u) => !u.inDirectory).length,
      version: snapshot.version,
      licensesHeld: summary.held,
      queuedChanges: summary.queued,
    };
    if (changed.length === 0 && plan.deletions.length === 0) return ok(outcome);
    const saved = await deps.voiceUsers.commit(accountId, snapshot, changed, plan.deletions, summary);
    return saved.ok ? ok({ ...outcome, version: saved.value.version }) : saved;
  }, 'The voice users are being changed by someone else; retry shortly.');
}
