/**
 * Use case: what the integration page shows the Global Admin who opened their link — the account, its latest
 * discovery, the queued mapping changes — and the CSRF token its "Authorize" form carries.
 */
import { Account } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { currentDiscovery, CurrentDiscoveryDeps } from '../discovery/currentDiscovery';
import { DiscoveryStatus } from '../discovery/ports';
import { VoiceUserStore } from '../mapping/ports';
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
}

export interface PageDeps extends ActivationDeps, CurrentDiscoveryDeps {
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
}

/** `csrfCookie` is the browser's CSRF cookie (the trigger makes a new one when it has none). */
export async function showIntegrationPage(deps: PageDeps, link: string, csrfCookie: string): Promise<Result<IntegrationPageView>> {
  const opened = await openIntegrationLink(deps, link);
  if (!opened.ok) return opened;
  const { account } = opened.value.stored;
  const [discovery, mapping] = await Promise.all([
    currentDiscovery(deps, account.accountId, account),
    deps.voiceUsers.summary(account.accountId),
  ]);
  return ok({
    account,
    discovery,
    link: opened.value.link,
    csrfToken: deps.csrf.tokenFor(csrfCookie, account.accountId),
    queuedChanges: mapping.summary.queued,
    readyToSync: opened.value.claims.purpose === 'sync',
  });
}
