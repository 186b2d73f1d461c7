/**
 * Use case: start an account's discovery. One orchestration instance per account at a time, with a fixed instance
 * id, so a second start while one runs (or waits to run) is a no-op rather than a second discovery.
 */
import { DISCOVER_TENANT, DiscoverTenantInput } from './contract';
import { OrchestrationClient } from './ports';

export const discoveryInstanceId = (accountId: string): string => `discovery-${accountId}`;

export interface DiscoveryStart {
  accountId: string;
  tenantId: string;
}

/** Starting discovery, as the use cases that trigger it (activation, later the sync) see it. */
export type StartDiscovery = (input: DiscoveryStart) => Promise<{ alreadyRunning: boolean }>;

export async function startDiscovery(orchestrations: OrchestrationClient, input: DiscoveryStart): Promise<{ alreadyRunning: boolean }> {
  const instanceId = discoveryInstanceId(input.accountId);
  if (await orchestrations.isRunning(instanceId)) return { alreadyRunning: true };
  // Only ids go into the orchestration's input (it is kept in its history).
  const orchestrationInput: DiscoverTenantInput = { accountId: input.accountId, tenantId: input.tenantId };
  try {
    await orchestrations.start(DISCOVER_TENANT, instanceId, orchestrationInput);
    return { alreadyRunning: false };
  } catch (err) {
    // Lost a race with another start: the runtime refuses a second instance under a running id.
    if (await orchestrations.isRunning(instanceId)) return { alreadyRunning: true };
    throw err;
  }
}
