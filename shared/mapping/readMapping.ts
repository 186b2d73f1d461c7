/**
 * Use case: the mapping page of the portal — voice users page by page (by display name) with their mapped Teams
 * user and pending state, the eligible Teams users still free (the drop-down), and the licences.
 */
import { ok, Result } from '../domain/errors';
import { licenseUsage, pendingState, PendingState } from '../domain/mapping';
import { VoiceUser } from '../domain/voiceUser';
import { loadAccount } from '../accounts/loadAccount';
import { MappingDeps } from './deps';
import { LastSyncResult } from './ports';

export interface TeamsUserRef {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
}

export interface MappingRow {
  voiceUser: VoiceUser & { inDirectory: boolean };
  teamsUser: TeamsUserRef | null;
  appliedTeamsUser: TeamsUserRef | null;
  pendingState: PendingState;
  /** The last sync's outcome for this voice user; null until a sync has handled them. */
  lastSync: LastSyncResult | null;
}

export interface MappingPage {
  version: number;
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
  rows: MappingRow[];
  availableTeamsUsers: TeamsUserRef[];
  licenses: { total: number; held: number; available: number };
  queuedChanges: number;
}

const byName = (a: { displayName: string | null; id: string }, b: { displayName: string | null; id: string }): number =>
  (a.displayName ?? '').localeCompare(b.displayName ?? '', 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id);

export async function readMapping(deps: MappingDeps, accountId: string, page: number, pageSize: number): Promise<Result<MappingPage>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const stored = loaded.value;
  const [snapshot, teams] = await Promise.all([deps.voiceUsers.read(accountId), deps.teamsUsers.listForMapping(accountId)]);
  const teamsById = new Map(teams.map((t) => [t.id, t]));
  const ref = (id: string | null): TeamsUserRef | null => {
    if (id === null) return null;
    const t = teamsById.get(id);
    return { id, displayName: t?.displayName ?? null, userPrincipalName: t?.userPrincipalName ?? null };
  };

  const users = [...snapshot.users].sort(byName);
  const taken = new Set(users.map((u) => u.desired).filter((d): d is string => d !== null));
  const total = users.length;
  // appliedState is the sync's own record of what it set in Teams (what unmapping reverts): not part of the page
  const rows = users
    .slice((page - 1) * pageSize, page * pageSize)
    .map(({ desired, applied, appliedState: _appliedState, lastSync, ...voiceUser }) => ({
      voiceUser,
      teamsUser: ref(desired),
      appliedTeamsUser: ref(applied),
      pendingState: pendingState({ desired, applied }),
      lastSync: lastSync ?? null,
    }));
  const licenseCount = stored.account.licenseCount;
  return ok({
    version: snapshot.version,
    page,
    pageSize,
    total,
    totalPages: Math.max(1, Math.ceil(total / pageSize)),
    rows,
    availableTeamsUsers: teams
      .filter((t) => t.eligible && !t.gone && !taken.has(t.id))
      .sort(byName)
      .map((t) => ({ id: t.id, displayName: t.displayName, userPrincipalName: t.userPrincipalName })),
    licenses: licenseUsage(licenseCount, snapshot.summary.held),
    queuedChanges: snapshot.summary.queued,
  });
}
