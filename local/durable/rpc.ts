/**
 * The Durable extension's HTTP endpoints that DurableClient (durable-functions v3) calls: the RPC surface under
 * `rpcBaseUrl` (`/durabletask/...`, served by the host on a loopback-only listener) and the public webhook form
 * (`/runtime/webhooks/durabletask/...`, behind the system key). Their answers carry management URLs with the system
 * key, so the host serves them only to the in-process client and to callers that presented the key.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { DurableEmulator, EmulatorError, Instance, RuntimeStatus } from './emulator';

const PAGE_SIZE = 100;

export interface ClientUrls {
  rpcBaseUrl: string;
  webhookBaseUrl: string;
  taskHubName: string;
  systemKey: string;
}

/** The durableClient input binding's data, as the extension hands it to a function. */
export function clientBindingData(urls: ClientUrls): unknown {
  const query = `taskHub=${urls.taskHubName}&connection=Storage&code=${urls.systemKey}`;
  const instance = `${urls.webhookBaseUrl}instances/INSTANCEID`;
  return {
    taskHubName: urls.taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${urls.webhookBaseUrl}orchestrators/{functionName}[/{instanceId}]?code=${urls.systemKey}`,
      createAndWaitOnNewInstancePostUri: `${urls.webhookBaseUrl}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${urls.systemKey}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: urls.webhookBaseUrl.replace(/\/$/, ''),
    requiredQueryStringParameters: `code=${urls.systemKey}`,
    rpcBaseUrl: urls.rpcBaseUrl,
  };
}

function statusJson(instance: Instance, showHistory: boolean, showInput: boolean): unknown {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    createdTime: instance.createdTime.toISOString(),
    lastUpdatedTime: instance.lastUpdatedTime.toISOString(),
    input: showInput ? (instance.input ?? null) : null,
    output: instance.output ?? null,
    runtimeStatus: instance.status,
    customStatus: instance.customStatus ?? null,
    history: showHistory ? instance.history : undefined,
  };
}

function statusCode(status: RuntimeStatus): number {
  if (status === 'Completed') return 200;
  if (status === 'Failed' || status === 'Terminated') return 400;
  return 202;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function parseInput(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function matchesFilter(instance: Instance, query: URLSearchParams): boolean {
  const statuses = query.get('runtimeStatus')?.split(',').filter(Boolean);
  if (statuses?.length && !statuses.includes(instance.status)) return false;
  const from = query.get('createdTimeFrom');
  if (from && instance.createdTime < new Date(from)) return false;
  const to = query.get('createdTimeTo');
  if (to && instance.createdTime > new Date(to)) return false;
  const prefix = query.get('instanceIdPrefix');
  if (prefix && !instance.instanceId.startsWith(prefix)) return false;
  return true;
}

/**
 * Handles a request under one of the durabletask prefixes; `path` is what follows the prefix
 * (e.g. `instances/abc/raiseEvent/approve`). Returns false when the path is not one of ours.
 */
export async function handleDurableRpc(
  emulator: DurableEmulator,
  urls: ClientUrls,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<boolean> {
  const method = (req.method ?? 'GET').toUpperCase();
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'orchestrators' && method === 'POST' && parts.length >= 2 && parts.length <= 3) {
      const input = parseInput(await readBody(req));
      const instance = emulator.startNew(parts[1], input, parts[2]);
      await emulator.flushed(instance.instanceId);
      const payload = managementPayload(urls, instance.instanceId);
      send(res, 202, payload, { location: payload.statusQueryGetUri });
      return true;
    }
    if (parts[0] !== 'instances') return false;
    const id = parts[1];
    if (!id) {
      const all = [...emulator.instances.values()].filter((i) => matchesFilter(i, query));
      if (method === 'GET') {
        const start = Number(req.headers['x-ms-continuation-token'] ?? 0) || 0;
        const page = all.slice(start, start + PAGE_SIZE);
        const headers: Record<string, string> =
          start + PAGE_SIZE < all.length ? { 'x-ms-continuation-token': String(start + PAGE_SIZE) } : {};
        send(
          res,
          200,
          page.map((i) => statusJson(i, false, query.get('showInput') !== 'false')),
          headers,
        );
        return true;
      }
      if (method === 'DELETE') {
        const deleted = all.reduce((n, i) => n + emulator.purge(i.instanceId), 0);
        await Promise.all(all.map((i) => emulator.flushed(i.instanceId)));
        send(res, deleted ? 200 : 404, { instancesDeleted: deleted });
        return true;
      }
      return false;
    }
    const action = parts[2];
    if (!action && method === 'GET') {
      const instance = emulator.instances.get(id);
      if (!instance) return (send(res, 404, { message: `No instance with ID '${id}' found.` }), true);
      if (query.get('showHistory') === 'true') await emulator.ensureHistory(instance);
      send(res, statusCode(instance.status), statusJson(instance, query.get('showHistory') === 'true', query.get('showInput') !== 'false'));
      return true;
    }
    if (!action && method === 'DELETE') {
      const deleted = emulator.purge(id);
      await emulator.flushed(id);
      send(res, deleted ? 200 : 404, { instancesDeleted: deleted });
      return true;
    }
    if (action === 'raiseEvent' && method === 'POST' && parts[3]) {
      const outcome = emulator.raiseEvent(id, parts[3], parseInput(await readBody(req)));
      await emulator.flushed(id);
      send(res, outcome === 'accepted' ? 202 : 410);
      return true;
    }
    if (action === 'terminate' && method === 'POST') {
      const outcome = emulator.terminate(id, query.get('reason') ?? '');
      await emulator.flushed(id);
      send(res, outcome === 'accepted' ? 202 : 410);
      return true;
    }
    if (['rewind', 'suspend', 'resume', 'restart'].includes(action) && method === 'POST') {
      send(res, 501, { message: `'${action}' is not supported by the local Durable emulator.` });
      return true;
    }
    return false;
  } catch (err) {
    if (err instanceof EmulatorError) return (send(res, err.status, { message: err.message }), true);
    throw err;
  }
}

function managementPayload(urls: ClientUrls, instanceId: string): Record<string, string> {
  const base = `${urls.webhookBaseUrl}instances/${encodeURIComponent(instanceId)}`;
  const query = `taskHub=${urls.taskHubName}&connection=Storage&code=${urls.systemKey}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?${query}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${base}/terminate?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${base}?${query}`,
  };
}
