/**
 * The whole app for end-to-end tests, in this process: Azurite (in memory, free ports), the Microsoft simulator and
 * the local Functions host running the built app (dist/, as `npm start` does). Requests go through real HTTP.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RunningAzurite, startAzurite } from './azurite';
import { startTableTraffic, TableTraffic } from './bench/tableTraffic';
import { ActivityFaults } from './host/activityFaults';
import { Clock } from './host/clock';
import { HttpExchange, RunningHost, startHost } from './host/host';
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, registerLocalApp } from './appRegistration';
import { freePort } from './ports';
import { singleKey } from '../shared/security/keyRing';
import { RunningSimulator, startSimulator } from './simulator';

/** The repository root, from the sources (local/) or the build (dist/local/). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'host.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const FUNCTION_KEY = 'test-function-key';
export const MASTER_KEY = 'test-master-key';
export const LINK_SIGNING_KEY = 'test-link-signing-key-0123456789abcdef';
export const LINK_SIGNING_KEY_ID = 'test-k1';
/** The stack's key ring, for tests that sign links or seal values as the app does. */
export const LINK_KEYS = singleKey(LINK_SIGNING_KEY_ID, LINK_SIGNING_KEY);

export interface Actor {
  id: string;
  role: 'provider' | 'admin' | 'user';
  account?: string;
}

/** A response body as JSON of any shape (tests index into many). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

export const PROVIDER: Actor = { id: 'provider-ops', role: 'provider' };

export interface Stack {
  url: string;
  host: RunningHost;
  simulator: RunningSimulator;
  azurite: RunningAzurite;
  /** With `tableTraffic: true`: counts the app's Table Storage requests (a proxy between the app and Azurite). */
  tableTraffic?: TableTraffic;
  /** Calls the API with the function key and actor headers. */
  call(
    method: string,
    route: string,
    options?: { actor?: Actor | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  /**
   * Sends what the app would have sent by now: the queue-triggered fast path finishes, then the deliverOutbox timer
   * sweeps up the rest (retries, and everything when queue triggers are off).
   */
  deliverEmails(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  clock?: Clock;
  env?: Record<string, string>;
  tableTraffic?: boolean;
  /** Sees every answer of the app's HTTP functions (tests check them against the OpenAPI document). */
  onHttpResponse?: (exchange: HttpExchange) => void;
  /** Crashes to arm at activity boundaries (local/host/activityFaults.ts). */
  activityFaults?: ActivityFaults;
  /**
   * Poll the queues of queue triggers (default true, as the app runs; timers are run on demand). False leaves the
   * outbox's queue signals unread, for tests of what the deliverOutbox timer does alone.
   */
  queueTriggers?: boolean;
  /** Rewrites the storage connection string the app gets (e.g. a queue endpoint that is down). */
  appStorage?: (connectionString: string) => string;
  /** Sees every line the host logs (the functions' own logs included), e.g. for tests that scan them for secrets. */
  log?: (line: string) => void;
}

/** The app settings of a test stack's host: also those of a host forked from a test (tests/support/forkedHost.ts). */
export function stackSettings(simulator: RunningSimulator, storage: string, url: string): Record<string, string> {
  return {
    ...simulator.appSettings(),
    AzureWebJobsStorage: storage,
    DURABLE_TASK_HUB: 'TestHub',
    LINK_SIGNING_KEY,
    LINK_SIGNING_KEY_ID,
    LINK_SIGNING_KEYS_PREVIOUS: '',
    PUBLIC_BASE_URL: url,
    PROVIDER_NAME: 'Example Voice',
    PROVIDER_SUPPORT_CONTACT: 'support@voice.example',
    PROVIDER_PORTAL_URL: 'https://portal.voice.example',
    ENTRA_CLIENT_ID: LOCAL_CLIENT_ID,
    ENTRA_CLIENT_SECRET: LOCAL_CLIENT_SECRET,
    // The simulator answers number operations and domain checks within seconds: poll it often.
    SYNC_POLL_SECONDS: '1',
    SYNC_TRUNK_POLL_SECONDS: '1',
  };
}

/** Calls the app's API at `url` with the stack's function key and the actor's headers (the provider's by default). */
export function apiCaller(url: string): Stack['call'] {
  return (method, route, opts = {}) => {
    const actor = opts.actor === undefined ? PROVIDER : opts.actor;
    const headers: Record<string, string> = { 'x-functions-key': FUNCTION_KEY, ...opts.headers };
    if (actor) {
      headers['x-actor-id'] = actor.id;
      headers['x-actor-role'] = actor.role;
      if (actor.account) headers['x-actor-account'] = actor.account;
    }
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(`${url}/api/${route}`, { method, headers, body });
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const azurite = await startAzurite({ inMemory: true });
  const tableEndpoint = /TableEndpoint=([^;]+)/.exec(azurite.connectionString)?.[1] as string;
  const tableTraffic = options.tableTraffic ? await startTableTraffic(tableEndpoint) : undefined;
  const proxied = tableTraffic ? azurite.connectionString.replace(tableEndpoint, tableTraffic.endpoint) : azurite.connectionString;
  const appStorage = options.appStorage ? options.appStorage(proxied) : proxied;
  const simulator = await startSimulator({ caDir: path.join(REPO_ROOT, '.local-data', 'ca') });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  Object.assign(process.env, { ...stackSettings(simulator, appStorage, url), ...options.env });
  registerLocalApp(simulator, { clientId: LOCAL_CLIENT_ID, clientSecret: LOCAL_CLIENT_SECRET, publicBaseUrl: url });
  // A host that fails to start (e.g. the built app does not load) must not leave Azurite and the simulator running.
  const host = await startHost({
    appRoot: REPO_ROOT,
    port,
    clock: options.clock,
    functionKey: FUNCTION_KEY,
    masterKey: MASTER_KEY,
    enableTimers: false,
    onHttpResponse: options.onHttpResponse,
    activityFaults: options.activityFaults,
    enableQueueTriggers: options.queueTriggers !== false,
    log: (line: string) => {
      options.log?.(line);
      if (process.env.STACK_LOG) console.log(line);
    },
  }).catch(async (err: unknown) => {
    await Promise.all([simulator.stop(), azurite.stop(), tableTraffic?.stop()]);
    throw err;
  });

  const call = apiCaller(url);

  return {
    url,
    host,
    simulator,
    azurite,
    tableTraffic,
    call,
    deliverEmails: async () => {
      await host.queuesIdle();
      await host.runTimer('deliverOutbox');
    },
    stop: async () => {
      await host.stop();
      await Promise.all([simulator.stop(), azurite.stop(), tableTraffic?.stop()]);
    },
  };
}
