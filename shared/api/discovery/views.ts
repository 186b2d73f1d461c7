/** What the API shows of a discovery and of the discovered Teams users. */
import { DiscoveryStatus, TeamsUserRecord } from '../../discovery/ports';
import { TeamsUsersPage } from '../../discovery/listTeamsUsers';

export function discoverySummaryView(d: DiscoveryStatus | undefined) {
  if (!d) return null;
  return {
    discoveryId: d.discoveryId,
    status: d.status,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    progress: { pagesRead: d.pagesRead, usersSeen: d.usersSeen },
    counts: d.counts,
    licences: d.licences,
    tenant: d.tenant,
    error: d.error,
  };
}

export function teamsUserView(u: TeamsUserRecord) {
  return {
    id: u.id,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    department: u.department,
    accountEnabled: u.accountEnabled,
    eligible: u.eligible,
    ineligibleReason: u.ineligibleReason,
    teamsPhoneStatus: u.teamsPhoneStatus,
    callingPlan: u.callingPlan,
    resourceAccount: u.resourceAccount,
    resourceAccountKind: u.resourceAccountKind,
    gone: u.gone,
    goneSince: u.goneSince,
    lastSeenAt: u.lastSeenAt,
  };
}

export function teamsUsersPageView(p: TeamsUsersPage) {
  return {
    accountId: p.accountId,
    discovery: p.discovery,
    filter: p.query.filter,
    includeGone: p.query.includeGone,
    page: p.query.page,
    pageSize: p.query.pageSize,
    total: p.total,
    totalPages: p.totalPages,
    counts: p.counts,
    users: p.users.map(teamsUserView),
  };
}
