/**
 * Adapts the durable-functions DurableClient to the OrchestrationStarter port. The Durable extension replaces an
 * instance that completed, failed or was terminated when the same id is started again (its default
 * overridableExistingInstanceStates), so a fixed per-account id can run again and again; only a pending or running
 * instance refuses a new start.
 */
import type { DurableClient } from 'durable-functions';
import { OrchestrationStarter } from '../discovery/startDiscovery';

const RUNNING = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];

export function durableStarter(client: Pick<DurableClient, 'getStatus' | 'startNew'>): OrchestrationStarter {
  return {
    async isRunning(instanceId) {
      try {
        const status = await client.getStatus(instanceId, { showHistory: false, showInput: false });
        return RUNNING.includes(String(status.runtimeStatus));
      } catch (err) {
        // The SDK reports an unknown instance id as an error mentioning the extension's HTTP 404.
        if (err instanceof Error && /\b404\b/.test(err.message)) return false;
        throw err;
      }
    },
    async start(name, instanceId, input) {
      await client.startNew(name, { instanceId, input });
    },
  };
}
