/**
 * An account's discovery as it stands now. A discovery still marked running that has made no progress for the stall
 * time has stopped for good (its host was killed, its instance poisoned or terminated): it is shown as failed, with
 * DISCOVERY_STALLED, so the Global Admin is offered to authorize again instead of watching a frozen count.
 */
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

export function asOfNow(d: DiscoveryStatus | undefined, now: Date, stallMs: number): DiscoveryStatus | undefined {
  if (!d || !isStalled(d, now, stallMs)) return d;
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

export async function currentDiscovery(deps: CurrentDiscoveryDeps, accountId: string): Promise<DiscoveryStatus | undefined> {
  return asOfNow(await deps.discoveries.get(accountId), deps.now(), deps.stallMs);
}
