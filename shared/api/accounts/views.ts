/** What the API shows of an account. Never the GA's Microsoft object id itself: only whether one is bound. */
import { AccountOverview } from '../../accounts/getAccount';
import { Account, effectiveActionNeeded } from '../../domain/account';
import { licenseUsage, MappingSummary } from '../../domain/mapping';
import { DiscoveryStatus } from '../../discovery/ports';
import { SyncRun } from '../../domain/syncRun';
import { runningRunView } from '../sync/views';
import { discoverySummaryView } from '../discovery/views';

const NO_MAPPING: MappingSummary = { held: 0, queued: 0 };

/** `discovery` is given by the reads (GET), which then show the latest tenant discovery; writes answer without it. */
export function accountView(a: Account, discovery?: DiscoveryStatus | null, mapping: MappingSummary = NO_MAPPING) {
  return {
    accountId: a.accountId,
    name: a.name,
    licenseCount: a.licenseCount,
    globalAdmin: a.globalAdmin,
    tenantId: a.tenantId,
    settings: { ...a.settings, mainNumber: a.settings.mainNumber ?? null },
    state: a.state,
    actionNeeded: effectiveActionNeeded(a, mapping.queued, discovery?.status === 'failed'),
    version: a.version,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...(discovery === undefined ? {} : { discovery: discoverySummaryView(discovery ?? undefined) }),
  };
}

export function statusView(a: Account, discovery?: DiscoveryStatus, mapping: MappingSummary = NO_MAPPING, runningRun?: SyncRun) {
  return {
    accountId: a.accountId,
    state: a.state,
    actionNeeded: effectiveActionNeeded(a, mapping.queued, discovery?.status === 'failed'),
    lastSync: a.lastSyncAt && a.lastSyncStatus ? { at: a.lastSyncAt, status: a.lastSyncStatus } : null,
    globalAdmin: { ...a.globalAdmin, microsoftIdentityBound: !!a.globalAdminObjectId },
    licenses: licenseUsage(a.licenseCount, mapping.held),
    queuedChanges: mapping.queued,
    runningRunId: runningRun?.runId ?? null,
    runningRun: runningRunView(runningRun),
    discovery: discoverySummaryView(discovery),
  };
}

/** GET /accounts/{id}: the account with its latest discovery (null before the first one). */
export const accountOverviewView = (o: AccountOverview) => accountView(o.account, o.discovery ?? null, o.mapping);

export const statusOverviewView = (o: AccountOverview) => statusView(o.account, o.discovery, o.mapping, o.runningRun);
