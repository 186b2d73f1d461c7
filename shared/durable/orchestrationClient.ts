/** The DurableClient of durable-functions as the OrchestrationClient port (see shared/discovery/ports.ts). */
import type { DurableClient } from 'durable-functions';
import { OrchestrationClient } from '../discovery/ports';

const RUNNING = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];

/**
 * The SDK (v3) answers an unknown instance id with a plain Error whose text is its own fixed sentence about the
 * extension's HTTP 404: no status property to read. Matched here, against that sentence, and nowhere else.
 */
const isUnknownInstance = (err: unknown): boolean =>
  err instanceof Error && err.message.includes('Durable Functions extension replied with HTTP 404 response');

export function durableOrchestrationClient(client: Pick<DurableClient, 'getStatus' | 'startNew'>): OrchestrationClient {
  return {
    async isRunning(instanceId) {
      try {
        const status = await client.getStatus(instanceId, { showHistory: false, showInput: false });
        return RUNNING.includes(String(status.runtimeStatus));
      } catch (err) {
        if (isUnknownInstance(err)) return false;
        throw err;
      }
    },
    async start(name, instanceId, input) {
      await client.startNew(name, { instanceId, input });
    },
  };
}
