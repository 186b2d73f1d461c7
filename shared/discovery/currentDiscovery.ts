/**
 * An account's discovery as it stands now. A discovery still marked running that has made no progress for the stall
 * time has stopped for good (its host was killed, its instance poisoned or terminated): it is shown as failed, with
 * DISCOVERY_STALLED, so the Global Admin is offered to authorize again instead of watching a frozen count.
 */
import { Account } from '../domain/account';
import { DiscoveryStatus, DiscoveryStore } from './ports';

export interface CurrentDiscoveryDeps {
  discoveries: Pick<DiscoveryStore, 'get'>;
  now: () => Date;
  /** DISCOVERY_STALL_MINUTES in milliseconds. */
  stallMs: number;
}

export function isStalled(d: DiscoveryStatus, now: Date, stallMs: number): boolean {
  const lastProgress = Date.parse(d.progressAt ?? d.startedAt);
  return d.status === 'running' && now.getTime() - lastProgress > stallMs;
}

/**
 * A consented account whose discovery never began (its start failed after the binding was saved) would wait forever
 * with nothing to show: after the stall time it gets a failed discovery too, so the Global Admin is asked to authorize
 * again.
 */
function neverStarted(account: Pick<Account, 'state' | 'updatedAt'>, now: Date, stallMs: number): DiscoveryStatus | undefined {
  if (account.state !== 'consented' || now.getTime() - Date.parse(account.updatedAt) <= stallMs) return undefined;
  return {
    discoveryId: 'never-started',
    status: 'failed',
    startedAt: account.updatedAt,
    progressAt: null,
    finishedAt: null,
    pagesRead: 0,
    usersSeen: 0,
    counts: null,
    licences: null,
    tenant: null,
    error: { code: 'DISCOVERY_STALLED', message: 'Reading your Teams users did not start. Authorize again to start it.' },
  };
}

export function asOfNow(
  d: DiscoveryStatus | undefined,
  now: Date,
  stallMs: number,
  account?: Pick<Account, 'state' | 'updatedAt'>,
): DiscoveryStatus | undefined {
  if (!d) return account ? neverStarted(account, now, stallMs) : undefined;
  if (!isStalled(d, now, stallMs)) return d;
  const minutes = Math.round(stallMs / 60_000);
  return {
    ...d,
    status: 'failed',
    error: {
      code: 'DISCOVERY_STALLED',
      message: `Reading your Teams users stopped: it made no progress for ${minutes < 1 ? 'about a minute' : `${minutes} minutes`}. Authorize again to start it anew.`,
    },
  };
}

/** The account's discovery as it stands now; give `account` when it is at hand, to catch one that never started. */
export async function currentDiscovery(
  deps: CurrentDiscoveryDeps,
  accountId: string,
  account?: Pick<Account, 'state' | 'updatedAt'>,
): Promise<DiscoveryStatus | undefined> {
  return asOfNow(await deps.discoveries.get(accountId), deps.now(), deps.stallMs, account);
}
