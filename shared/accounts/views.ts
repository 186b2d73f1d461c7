/** What the API shows of an account. Never the GA's Microsoft object id itself: only whether one is bound. */
import { DiscoveryStatus } from '../discovery/ports';
import { discoverySummaryView } from '../discovery/views';
import { Account, effectiveActionNeeded } from '../domain/account';
import { MappingSummary } from '../domain/mapping';

const NO_MAPPING: MappingSummary = { held: 0, queued: 0 };

/** `discovery` is given by the reads (GET), which then show the latest tenant discovery; writes answer without it. */
export function accountView(a: Account, discovery?: DiscoveryStatus | null, mapping: MappingSummary = NO_MAPPING) {
  return {
    accountId: a.accountId,
    name: a.name,
    licenseCount: a.licenseCount,
    globalAdmin: a.globalAdmin,
    tenantId: a.tenantId,
    settings: a.settings,
    state: a.state,
    actionNeeded: effectiveActionNeeded(a, mapping.queued, discovery?.status === 'failed'),
    version: a.version,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...(discovery === undefined ? {} : { discovery: discoverySummaryView(discovery ?? undefined) }),
  };
}

export function statusView(a: Account, discovery?: DiscoveryStatus, mapping: MappingSummary = NO_MAPPING) {
  return {
    accountId: a.accountId,
    state: a.state,
    actionNeeded: effectiveActionNeeded(a, mapping.queued, discovery?.status === 'failed'),
    lastSync: a.lastSyncAt && a.lastSyncStatus ? { at: a.lastSyncAt, status: a.lastSyncStatus } : null,
    globalAdmin: { ...a.globalAdmin, microsoftIdentityBound: !!a.globalAdminObjectId },
    licenses: { total: a.licenseCount, held: mapping.held, available: Math.max(0, a.licenseCount - mapping.held) },
    queuedChanges: mapping.queued,
    runningRunId: a.runningRunId,
    discovery: discoverySummaryView(discovery),
  };
}

export const etagOf = (a: Account): string => `"${a.version}"`;

/** An If-Match precondition: a version, `any` ("*": the account must exist), or none. */
export type IfMatch = number | 'any' | undefined;

/** Reads an If-Match header ("3", W/"3" or *). */
export function versionFromIfMatch(header: string | null): IfMatch | 'invalid' {
  if (header === null) return undefined;
  if (header.trim() === '*') return 'any';
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  return m ? Number(m[1]) : 'invalid';
}
