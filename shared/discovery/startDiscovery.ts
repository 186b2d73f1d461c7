/**
 * Use case: start an account's discovery. One orchestration instance per account at a time, with a fixed instance
 * id, so a second start while one runs (or waits to run) is a no-op rather than a second discovery. An instance
 * whose discovery has stalled (see currentDiscovery.ts) is ended first and replaced: otherwise a run that stopped
 * for good would keep its place forever.
 */
import { DISCOVER_TENANT, DiscoverTenantInput } from './contract';
import { CurrentDiscoveryDeps, isStalled } from './currentDiscovery';
import { OrchestrationClient } from './ports';

export const discoveryInstanceId = (accountId: string): string => `discovery-${accountId}`;

export interface DiscoveryTarget {
  accountId: string;
  tenantId: string;
}

/** Starting discovery, as the use cases that trigger it (activation, later the sync) see it. */
export type StartDiscovery = (input: DiscoveryTarget) => Promise<{ alreadyRunning: boolean }>;

export interface StartDiscoveryDeps extends CurrentDiscoveryDeps {
  orchestrations: OrchestrationClient;
}

export async function startDiscovery(deps: StartDiscoveryDeps, input: DiscoveryTarget): Promise<{ alreadyRunning: boolean }> {
  const { orchestrations } = deps;
  const instanceId = discoveryInstanceId(input.accountId);
  if (await orchestrations.isRunning(instanceId)) {
    const current = await deps.discoveries.get(input.accountId);
    if (!current || !isStalled(current, deps.now(), deps.stallMs)) return { alreadyRunning: true };
    await orchestrations.terminate(instanceId, 'discovery-stalled');
  }
  // Only ids go into the orchestration's input (it is kept in its history).
  const orchestrationInput: DiscoverTenantInput = { accountId: input.accountId, tenantId: input.tenantId };
  try {
    await orchestrations.start(DISCOVER_TENANT, instanceId, orchestrationInput);
    return { alreadyRunning: false };
  } catch (err) {
    // Lost a race with another start (or the ended instance is not yet seen as ended): one is running.
    if (await orchestrations.isRunning(instanceId)) return { alreadyRunning: true };
    throw err;
  }
}
