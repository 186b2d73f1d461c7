/**
 * Use case: the mapping page of the portal — voice users page by page (by display name) with their mapped Teams
 * user and pending state, the eligible Teams users still free (the drop-down: the first ones by name, or those
 * matching a search), and the licences. At 10,000 voice and Teams users a page costs a few point and range reads.
 */
import { ok, Result } from '../domain/errors';
import { AVAILABLE_TEAMS_USERS, licenseUsage, pendingState, PendingState } from '../domain/mapping';
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
  /** Free eligible Teams users by display name (matching the search, if any), at most AVAILABLE_TEAMS_USERS. */
  availableTeamsUsers: TeamsUserRef[];
  /** More free Teams users match than are listed: search to narrow them down. */
  moreTeamsUsersAvailable: boolean;
  licenses: { total: number; held: number; available: number };
  queuedChanges: number;
}

export interface MappingQuery {
  page: number;
  pageSize: number;
  /** Case-insensitive part of the display name or UPN of the free Teams users to list. */
  teamsUserSearch?: string;
}

/**
 * Reads what the page shows and no more: the page's voice users (by the stored page order), the Teams users they
 * name, the free list's first chunk (and the desired mapping's index of held Teams users), the state row.
 */
export async function readMapping(deps: MappingDeps, accountId: string, query: MappingQuery): Promise<Result<MappingPage>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const { page, pageSize } = query;
  const search = query.teamsUserSearch?.toLocaleLowerCase('en');
  const matches = (text: string | null): boolean => search !== undefined && (text ?? '').toLocaleLowerCase('en').includes(search);
  const [slice, taken] = await Promise.all([
    deps.voiceUsers.page(accountId, (page - 1) * pageSize, pageSize),
    deps.voiceUsers.held(accountId),
  ]);
  const [named, free] = await Promise.all([
    deps.teamsUsers.getMany(accountId, [
      ...new Set(slice.users.flatMap((u) => [u.desired, u.applied]).filter((id): id is string => id !== null)),
    ]),
    deps.teamsUsers.eligibleByName(
      accountId,
      (t) => !taken.has(t.id) && (search === undefined || matches(t.displayName) || matches(t.userPrincipalName)),
      AVAILABLE_TEAMS_USERS,
    ),
  ]);
  const teamsById = new Map(named.map((t) => [t.id, t]));
  const ref = (id: string | null): TeamsUserRef | null => {
    if (id === null) return null;
    const t = teamsById.get(id);
    return { id, displayName: t?.displayName ?? null, userPrincipalName: t?.userPrincipalName ?? null };
  };

  // appliedState is the sync's own record of what it set in Teams (what unmapping reverts): not part of the page
  const rows = slice.users.map(({ desired, applied, appliedState: _appliedState, lastSync, ...voiceUser }) => ({
    voiceUser,
    teamsUser: ref(desired),
    appliedTeamsUser: ref(applied),
    pendingState: pendingState({ desired, applied }),
    lastSync: lastSync ?? null,
  }));
  return ok({
    version: slice.version,
    page,
    pageSize,
    total: slice.total,
    totalPages: Math.max(1, Math.ceil(slice.total / pageSize)),
    rows,
    availableTeamsUsers: free.users,
    moreTeamsUsersAvailable: free.more,
    licenses: licenseUsage(loaded.value.account.licenseCount, slice.summary.held),
    queuedChanges: slice.summary.queued,
  });
}
