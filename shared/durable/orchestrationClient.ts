/** The DurableClient of durable-functions as the OrchestrationClient port (see shared/discovery/ports.ts). */
import type { DurableClient } from 'durable-functions';
import { OrchestrationClient } from '../discovery/ports';

const RUNNING = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];
const TERMINATE_WAIT_MS = 10_000;
const TERMINATE_POLL_MS = 250;

/**
 * The SDK (v3) answers an unknown instance id with a plain Error whose text is one of its own fixed sentences (about
 * the extension's HTTP 404): no status property to read. Matched here, against those sentences, and nowhere else.
 */
const isUnknownInstance = (err: unknown): boolean =>
  err instanceof Error &&
  (err.message.includes('Durable Functions extension replied with HTTP 404 response') ||
    /^No instance with ID '.*' found\.$/.test(err.message));

export function durableOrchestrationClient(client: Pick<DurableClient, 'getStatus' | 'startNew' | 'terminate'>): OrchestrationClient {
  async function isRunning(instanceId: string): Promise<boolean> {
    try {
      const status = await client.getStatus(instanceId, { showHistory: false, showInput: false });
      return RUNNING.includes(String(status.runtimeStatus));
    } catch (err) {
      if (isUnknownInstance(err)) return false;
      throw err;
    }
  }
  return {
    isRunning,
    async start(name, instanceId, input) {
      await client.startNew(name, { instanceId, input });
    },
    /**
     * In Azure a terminate is queued and seen a moment later: wait (up to TERMINATE_WAIT_MS) until the instance no
     * longer reads as running, so that a start right after it is not refused. `reason` goes into the URL as given by
     * the SDK: keep it to a plain token.
     */
    async terminate(instanceId, reason) {
      try {
        await client.terminate(instanceId, reason);
      } catch (err) {
        // Already gone: nothing left to end.
        if (!isUnknownInstance(err)) throw err;
        return;
      }
      for (let waited = 0; waited < TERMINATE_WAIT_MS && (await isRunning(instanceId)); waited += TERMINATE_POLL_MS) {
        await new Promise((resolve) => setTimeout(resolve, TERMINATE_POLL_MS));
      }
    },
  };
}
