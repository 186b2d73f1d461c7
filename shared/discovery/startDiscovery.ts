/**
 * Starts an account's discovery: one orchestration instance per account at a time, with a fixed instance id, so a
 * second start while one runs (or waits to run) is a no-op rather than a second discovery.
 */
import { DISCOVER_TENANT, DiscoverTenantInput } from './orchestration';

export const discoveryInstanceId = (accountId: string): string => `discovery-${accountId}`;

/** The part of the Durable client that starting needs (adapter: shared/durable/starter.ts). */
export interface OrchestrationStarter {
  /** True while the instance is pending or running. */
  isRunning(instanceId: string): Promise<boolean>;
  /** Starts (or restarts, when the instance finished) `name` under `instanceId`. */
  start(name: string, instanceId: string, input: unknown): Promise<void>;
}

export async function startDiscovery(
  starter: OrchestrationStarter,
  input: { accountId: string; tenantId: string },
): Promise<{ alreadyRunning: boolean }> {
  const instanceId = discoveryInstanceId(input.accountId);
  if (await starter.isRunning(instanceId)) return { alreadyRunning: true };
  // Only ids go into the orchestration's input (it is kept in its history).
  const orchestrationInput: DiscoverTenantInput = { accountId: input.accountId, tenantId: input.tenantId };
  try {
    await starter.start(DISCOVER_TENANT, instanceId, orchestrationInput);
    return { alreadyRunning: false };
  } catch (err) {
    // Lost a race with another start: the runtime refuses a second instance under a running id.
    if (await starter.isRunning(instanceId)) return { alreadyRunning: true };
    throw err;
  }
}
