/**
 * Use case: what the integration page shows the Global Admin who opened their link — the account, its latest
 * discovery, the queued mapping changes, the sync run in progress and the last finished one — and the CSRF token its
 * forms carry.
 */
import { Account } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { currentDiscovery, CurrentDiscoveryDeps } from '../discovery/currentDiscovery';
import { DiscoveryStatus } from '../discovery/ports';
import { isFinished, SyncRun } from '../domain/syncRun';
import { VoiceUserStore } from '../mapping/ports';
import { SyncRunStore } from '../sync/ports';
import { ActivationDeps } from './deps';
import { openIntegrationLink } from './openIntegrationLink';

export interface IntegrationPageView {
  account: Account;
  discovery: DiscoveryStatus | undefined;
  link: string;
  csrfToken: string;
  queuedChanges: number;
  /** Opened from a sync link (the portal's or an email's): the page leads with the sync. */
  readyToSync: boolean;
  /** The sync run in progress: the page shows its stage and counts instead of a sync button. */
  runningRun: SyncRun | undefined;
  /** The newest finished run: its result in words. */
  lastRun: SyncRun | undefined;
}

/** How many of the newest runs are looked through for the last finished one (only a running one can come first). */
const RECENT_RUNS = 5;

export interface PageDeps extends ActivationDeps, CurrentDiscoveryDeps {
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
  syncRuns: Pick<SyncRunStore, 'running' | 'list'>;
}

/** `csrfCookie` is the browser's CSRF cookie (the trigger makes a new one when it has none). */
export async function showIntegrationPage(deps: PageDeps, link: string, csrfCookie: string): Promise<Result<IntegrationPageView>> {
  const opened = await openIntegrationLink(deps, link);
  if (!opened.ok) return opened;
  const { account } = opened.value.stored;
  const [discovery, mapping, runningRun, recent] = await Promise.all([
    currentDiscovery(deps, account.accountId, account),
    deps.voiceUsers.summary(account.accountId),
    deps.syncRuns.running(account.accountId),
    deps.syncRuns.list(account.accountId, { page: 1, pageSize: RECENT_RUNS }),
  ]);
  return ok({
    account,
    discovery,
    link: opened.value.link,
    csrfToken: deps.csrf.tokenFor(csrfCookie, account.accountId),
    queuedChanges: mapping.summary.queued,
    readyToSync: opened.value.claims.purpose === 'sync',
    runningRun,
    lastRun: recent.runs.find(isFinished),
  });
}
