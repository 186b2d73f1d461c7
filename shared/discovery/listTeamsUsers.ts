/**
 * Use case: the discovered Teams users of an account, filtered and paged for the portal (the mapping drop-down reads
 * the eligible ones). Sorted by display name, then UPN and id, so pages are stable between calls.
 */
import { AccountStore } from '../accounts/ports';
import { loadAccount } from '../accounts/loadAccount';
import { ok, Result } from '../domain/errors';
import { currentDiscovery, CurrentDiscoveryDeps } from './currentDiscovery';
import { DiscoveryCounts, DiscoveryStatus, TeamsUserRecord, TeamsUserStore } from './ports';

export type TeamsUserFilter = 'all' | 'eligible' | 'resourceAccounts';

export interface TeamsUsersQuery {
  filter: TeamsUserFilter;
  includeGone: boolean;
  page: number;
  pageSize: number;
}

export interface TeamsUsersPage {
  accountId: string;
  discovery: Pick<DiscoveryStatus, 'discoveryId' | 'status' | 'finishedAt'> | null;
  query: TeamsUsersQuery;
  /** Users matching the filter, over all pages. */
  total: number;
  totalPages: number;
  /** Over every stored user of the account (not only this filter); gone users are counted only in `gone`. */
  counts: DiscoveryCounts;
  users: TeamsUserRecord[];
}

export interface TeamsUsersDeps extends CurrentDiscoveryDeps {
  accounts: AccountStore;
  teamsUsers: TeamsUserStore;
}

const sortKey = (u: TeamsUserRecord): string => (u.displayName ?? u.userPrincipalName ?? '').toLowerCase();

function matches(u: TeamsUserRecord, q: TeamsUsersQuery): boolean {
  if (u.gone && !q.includeGone) return false;
  if (q.filter === 'eligible') return u.eligible;
  if (q.filter === 'resourceAccounts') return u.resourceAccount;
  return true;
}

export function countUsers(users: TeamsUserRecord[]): DiscoveryCounts {
  const counts: DiscoveryCounts = { users: 0, eligible: 0, callingPlan: 0, resourceAccounts: 0, gone: 0 };
  for (const u of users) {
    if (u.gone) {
      counts.gone++;
      continue;
    }
    counts.users++;
    if (u.eligible) counts.eligible++;
    if (u.callingPlan) counts.callingPlan++;
    if (u.resourceAccount) counts.resourceAccounts++;
  }
  return counts;
}

export async function listTeamsUsers(deps: TeamsUsersDeps, accountId: string, query: TeamsUsersQuery): Promise<Result<TeamsUsersPage>> {
  const [loaded, discovery, all] = await Promise.all([
    loadAccount(deps.accounts, accountId),
    currentDiscovery(deps, accountId),
    deps.teamsUsers.list(accountId),
  ]);
  if (!loaded.ok) return loaded;
  const selected = all
    .filter((u) => matches(u, query))
    .sort(
      (a, b) =>
        sortKey(a).localeCompare(sortKey(b)) ||
        (a.userPrincipalName ?? '').localeCompare(b.userPrincipalName ?? '') ||
        a.id.localeCompare(b.id),
    );
  const start = (query.page - 1) * query.pageSize;
  return ok({
    accountId,
    discovery: discovery ? { discoveryId: discovery.discoveryId, status: discovery.status, finishedAt: discovery.finishedAt } : null,
    query,
    total: selected.length,
    totalPages: Math.ceil(selected.length / query.pageSize),
    counts: countUsers(all),
    users: selected.slice(start, start + query.pageSize),
  });
}
