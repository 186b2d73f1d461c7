/**
 * Use case: what the integration page shows the Global Admin who opened their link — the account, its latest
 * discovery, the queued mapping changes, the sync run in progress and the last finished one, what a sync would change
 * (the preview, when a sync can start) — and the CSRF token its forms carry.
 */
import { Account } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { canSync } from '../domain/syncStart';
import { currentDiscovery, CurrentDiscoveryDeps } from '../discovery/currentDiscovery';
import { DiscoveryStatus } from '../discovery/ports';
import { isFinished, SyncRun } from '../domain/syncRun';
import { VoiceUserStore } from '../mapping/ports';
import { SyncRunStore } from '../sync/ports';
import { SyncPreview } from '../sync/previewSync';
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
  /** What a sync would change now, when one can start; undefined when the preview failed or took too long. */
  syncPreview: SyncPreview['summary'] | undefined;
}

/** How many of the newest runs are looked through for the last finished one (only a running one can come first). */
const RECENT_RUNS = 5;

/** How long the page waits for the preview (a Microsoft read) before it is shown without it. */
export const PREVIEW_WAIT_MS = 5000;

export interface PageDeps extends ActivationDeps, CurrentDiscoveryDeps {
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
  syncRuns: Pick<SyncRunStore, 'running' | 'list'>;
  /** The sync preview (GET /sync-plan's use case). */
  previewSync: (accountId: string) => Promise<Result<SyncPreview>>;
}

/** The preview's summary, or undefined: the page must work when Microsoft is slow, unreachable or refuses. */
async function previewIfSyncable(
  deps: PageDeps,
  account: Account,
  discovery: DiscoveryStatus | undefined,
  runningRun: SyncRun | undefined,
): Promise<SyncPreview['summary'] | undefined> {
  // Only where the page offers a sync (as its view decides); a discovery or a run in progress refreshes the page.
  const discoveryFirst = account.state !== 'removalPending' && (discovery?.status === 'running' || discovery?.status === 'failed');
  if (runningRun || discoveryFirst || !canSync(account).ok) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PREVIEW_WAIT_MS)));
  const preview = deps
    .previewSync(account.accountId)
    .then((r) => (r.ok ? r.value.summary : undefined))
    .catch(() => undefined);
  try {
    return await Promise.race([preview, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
  const syncPreview = await previewIfSyncable(deps, account, discovery, runningRun);
  return ok({
    account,
    discovery,
    link: opened.value.link,
    csrfToken: deps.csrf.tokenFor(csrfCookie, account.accountId),
    queuedChanges: mapping.summary.queued,
    readyToSync: opened.value.claims.purpose === 'sync',
    runningRun,
    lastRun: recent.runs.find(isFinished),
    syncPreview,
  });
}
