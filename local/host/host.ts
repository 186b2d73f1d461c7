/**
 * Local Functions host: loads the built app, serves its HTTP triggers with the host's route prefix and auth levels,
 * runs its timers on their NCRONTAB schedules (and on demand through the admin API), its queue triggers on Azurite
 * queues (local/host/queues.ts), and its orchestrations and activities through the Durable emulator. It executes the
 * app's real registrations (app.http, app.timer, app.storageQueue, df.app.*), captured by the "@azure/functions-core"
 * stand-in.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { Cron } from 'croner';
import fg from 'fast-glob';
import { DurableEmulator, OrchestratorOutcome } from '../durable/emulator';
import { ActivityFaults, HostCrash } from './activityFaults';
import { clientBindingData, ClientUrls, handleDurableRpc } from '../durable/rpc';
import { TableDurableStore } from '../durable/store';
import { Clock, SystemClock } from './clock';
import { QueuePoller, queueSettings, startQueuePoller } from './queues';
import { compileRoute, decodedSegments, RouteMatcher } from './routes';
import {
  fromTypedData,
  invoke,
  jsonData,
  LogSink,
  registeredFunctions,
  RegisteredFunction,
  RpcHttpData,
  RpcParameterBinding,
  setLogSink,
} from './worker';

export interface HostOptions {
  /** Folder holding package.json and host.json; the app is loaded from package.json's "main" glob. */
  appRoot: string;
  port?: number;
  host?: string;
  clock?: Clock;
  /** Key for authLevel "function" (sent as x-functions-key or ?code=). */
  functionKey: string;
  /** Key for authLevel "admin" and the /admin API. */
  masterKey: string;
  /** Run timers on their schedules (tests usually trigger them on demand). */
  enableTimers?: boolean;
  /**
   * Poll the queues of queue triggers (default true, timers or not: the app's prompt paths run on them). Tests that
   * examine what a timer alone does pass false.
   */
  enableQueueTriggers?: boolean;
  log?: (line: string) => void;
  /** Load the app (default); tests that register fixture functions themselves pass false. */
  loadApp?: boolean;
  /** Sees every answer to a request that reached an HTTP function's route (the host's own 401 included). */
  onHttpResponse?: (exchange: HttpExchange) => void;
  /** Crashes armed at activity boundaries (tests' fault matrix). */
  activityFaults?: ActivityFaults;
  /**
   * Storage for the Durable emulator's task hub (default: AzureWebJobsStorage, as the extension uses). Without one
   * (fixture hosts that set none), orchestration state lives in memory only.
   */
  durableStorage?: string;
}

export interface HttpExchange {
  functionName: string;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface RunningHost {
  url: string;
  functions: RegisteredFunction[];
  durable: DurableEmulator;
  /**
   * The durableClient binding data the app's functions receive: its `rpcBaseUrl` is the loopback-only RPC listener
   * (tests in this process build a DurableClient from it, as the app does).
   */
  durableClientData: unknown;
  /** Runs a timer function now, as `POST /admin/functions/{name}` does. */
  runTimer(name: string): Promise<void>;
  /** Resolves once every queue-trigger queue has no visible message and no queue-triggered run is in flight. */
  queuesIdle(): Promise<void>;
  stop(): Promise<void>;
}

interface HttpRoute {
  fn: RegisteredFunction;
  matcher: RouteMatcher;
  methods: string[];
  authLevel: string;
}

export function loadApp(appRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no "main": the host cannot find the app.');
  const files = fg.sync(pkg.main, { cwd: appRoot, absolute: true }).sort();
  if (files.length === 0) throw new Error(`package.json "main" (${pkg.main}) matches no file; run "npm run build" first.`);
  for (const file of files) require(file);
  return files;
}

interface HostJson {
  extensions?: { http?: { routePrefix?: string }; queues?: Record<string, unknown> };
}

function readHostJson(appRoot: string): HostJson {
  try {
    return JSON.parse(readFileSync(path.join(appRoot, 'host.json'), 'utf8')) as HostJson;
  } catch {
    return {};
  }
}

function keyMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function cookieHeader(cookie: Record<string, unknown>): string {
  const value = (field: string): unknown => (cookie[field] as { value?: unknown } | undefined)?.value;
  let text = `${cookie.name}=${cookie.value}`;
  if (value('path')) text += `; Path=${value('path')}`;
  if (value('domain')) text += `; Domain=${value('domain')}`;
  const expires = value('expires') as { seconds?: number } | undefined;
  if (expires?.seconds) text += `; Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`;
  if (value('maxAge') !== undefined) text += `; Max-Age=${value('maxAge')}`;
  if (value('secure')) text += '; Secure';
  if (value('httpOnly')) text += '; HttpOnly';
  const sameSite = cookie.sameSite as string | undefined;
  if (sameSite && sameSite !== 'none')
    text += `; SameSite=${sameSite === 'explicitNone' ? 'None' : sameSite[0].toUpperCase() + sameSite.slice(1)}`;
  return text;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const clock = options.clock ?? new SystemClock();
  const log = options.log ?? ((line: string) => console.log(line));
  const sink: LogSink = (entry) => {
    const where = entry.functionName ? ` [${entry.functionName}${entry.invocationId ? ` ${entry.invocationId}` : ''}]` : '';
    log(`${entry.level}${where} ${entry.message}`);
  };
  setLogSink(sink);
  if (options.loadApp !== false) loadApp(options.appRoot);
  const functions = registeredFunctions();
  const hostJson = readHostJson(options.appRoot);
  const routePrefix = hostJson.extensions?.http?.routePrefix ?? 'api';
  const byName = new Map(functions.map((f) => [f.name.toLowerCase(), f]));

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  // DurableClient rewrites management URLs to localhost:7071 unless WEBSITE_HOSTNAME names this host.
  process.env.WEBSITE_HOSTNAME ??= `127.0.0.1:${address.port}`;

  // The Durable RPC surface is not on the public port: as the extension's LocalHttpListener, it listens on loopback
  // only, on a port of its own that only the durableClient binding data names. The public port has the webhook form,
  // which needs the system (here: master) key.
  const rpcServer: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    rpcServer.once('error', reject);
    rpcServer.listen(0, '127.0.0.1', () => resolve());
  });
  const rpcUrl = `http://127.0.0.1:${(rpcServer.address() as AddressInfo).port}`;

  const urls: ClientUrls = {
    rpcBaseUrl: `${rpcUrl}/durabletask/`,
    webhookBaseUrl: `${url}/runtime/webhooks/durabletask/`,
    taskHubName: process.env.DURABLE_TASK_HUB ?? 'TeamsVoiceSyncLocal',
    systemKey: options.masterKey,
  };

  /** Input data for a function's non-trigger input bindings (only durableClient is supported locally). */
  const extraInputs = (fn: RegisteredFunction): RpcParameterBinding[] =>
    Object.entries(fn.metadata.bindings)
      .filter(([name, b]) => name !== fn.triggerName && b.direction === 'in')
      .map(([name, b]) => {
        if (b.type === 'durableClient' || b.type === 'orchestrationClient') return { name, data: jsonData(clientBindingData(urls)) };
        throw new Error(`Function "${fn.name}": input binding type "${b.type}" is not supported by the local host.`);
      });

  const call = async (fn: RegisteredFunction, triggerData: RpcParameterBinding['data']): Promise<unknown> => {
    const result = await invoke(fn.name, { inputData: [{ name: fn.triggerName, data: triggerData }, ...extraInputs(fn)], log: sink });
    if (result.error) throw result.error;
    return fromTypedData(result.response?.returnValue);
  };

  const durableStorage = options.durableStorage ?? process.env.AzureWebJobsStorage;
  const durable = new DurableEmulator({
    clock,
    taskHubName: urls.taskHubName,
    log: (line) => log(`durable ${line}`),
    store: durableStorage ? new TableDurableStore(durableStorage, urls.taskHubName, (line) => log(`durable ${line}`)) : undefined,
    runner: {
      hasFunction: (name, triggerType) => byName.get(name.toLowerCase())?.trigger.type === triggerType,
      runActivity: async (name, input) => {
        const fn = byName.get(name.toLowerCase()) as RegisteredFunction;
        const crash = options.activityFaults?.take(name);
        if (crash) options.activityFaults?.record(name, crash);
        if (crash === 'before') throw new HostCrash(`The host died before activity ${name} ran.`);
        const result = await call(fn, jsonData(input));
        if (crash === 'after') throw new HostCrash(`The host died after activity ${name} ran, before its result was recorded.`);
        return result;
      },
      runOrchestrator: async (name, bindingInfo): Promise<OrchestratorOutcome> => {
        const fn = byName.get(name.toLowerCase()) as RegisteredFunction;
        const result = await invoke(fn.name, {
          inputData: [{ name: fn.triggerName, data: { string: JSON.stringify(bindingInfo) } }],
          log: sink,
        });
        if (result.error) {
          const marker = result.error.message.indexOf('$OutOfProcData$:');
          const state = marker >= 0 ? JSON.parse(result.error.message.slice(marker + '$OutOfProcData$:'.length)) : undefined;
          return { error: result.error, state };
        }
        return { state: fromTypedData(result.response?.returnValue) as never };
      },
    },
  });

  // Before any request or timer can start an orchestration: what ran before a restart resumes first.
  await durable.load();

  const httpRoutes: HttpRoute[] = functions
    .filter((f) => f.trigger.type === 'httpTrigger')
    .map((fn) => ({
      fn,
      matcher: compileRoute([routePrefix, (fn.trigger.route as string | undefined) ?? fn.name].filter(Boolean).join('/')),
      methods: ((fn.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      authLevel: String(fn.trigger.authLevel ?? 'function').toLowerCase(),
    }))
    .sort((a, b) => b.matcher.specificity - a.matcher.specificity);

  const runTimer = async (name: string): Promise<void> => {
    const fn = byName.get(name.toLowerCase());
    if (!fn || fn.trigger.type !== 'timerTrigger') throw new Error(`No timer function named "${name}".`);
    const now = clock.now();
    const next = new Cron(String(fn.trigger.schedule), { paused: true, timezone: 'Etc/UTC' }).nextRun(now);
    await call(
      fn,
      jsonData({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: { Last: now.toISOString(), Next: next?.toISOString(), LastUpdated: now.toISOString() },
        IsPastDue: false,
      }),
    );
  };

  const cancelTimers: (() => void)[] = [];
  if (options.enableTimers !== false) {
    for (const fn of functions.filter((f) => f.trigger.type === 'timerTrigger')) {
      const cron = new Cron(String(fn.trigger.schedule), { paused: true, timezone: 'Etc/UTC' });
      const arm = (): void => {
        const next = cron.nextRun(clock.now());
        if (!next) return;
        cancelTimers.push(
          clock.at(next, () => {
            runTimer(fn.name).catch((err: Error) => log(`error [${fn.name}] ${err.message}`));
            arm();
          }),
        );
      };
      arm();
      if (fn.trigger.runOnStartup) void runTimer(fn.name).catch((err: Error) => log(`error [${fn.name}] ${err.message}`));
    }
  }

  const queuePollers: QueuePoller[] = [];
  if (options.enableQueueTriggers !== false) {
    const settings = queueSettings(hostJson);
    for (const fn of functions.filter((f) => f.trigger.type === 'queueTrigger')) {
      const setting = String(fn.trigger.connection ?? 'AzureWebJobsStorage');
      // As the host resolves it: the setting itself, or with the AzureWebJobs prefix.
      const connectionString = process.env[setting] ?? process.env[`AzureWebJobs${setting}`];
      if (!connectionString) throw new Error(`Function "${fn.name}": the connection setting "${setting}" is not set.`);
      queuePollers.push(
        startQueuePoller({
          functionName: fn.name,
          queueName: String(fn.trigger.queueName),
          connectionString,
          settings,
          log,
          run: async (text, triggerMetadata) => {
            const result = await invoke(fn.name, {
              inputData: [{ name: fn.triggerName, data: { string: text } }, ...extraInputs(fn)],
              triggerMetadata,
              log: sink,
            });
            return result.error;
          },
        }),
      );
    }
  }

  const authorised = (req: IncomingMessage, query: URLSearchParams, level: string): boolean => {
    if (level === 'anonymous') return true;
    const given = (req.headers['x-functions-key'] as string | undefined) ?? query.get('code') ?? undefined;
    if (keyMatches(given, options.masterKey)) return true;
    return level === 'function' && keyMatches(given, options.functionKey);
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams): Promise<void> => {
    if (!authorised(req, query, 'admin')) return sendJson(res, 401, { message: 'The master key is required for the admin API.' });
    if (parts.length === 1 && req.method === 'GET') {
      return sendJson(
        res,
        200,
        functions.map((f) => ({ name: f.name, trigger: f.trigger.type, bindings: f.metadata.bindings })),
      );
    }
    const fn = parts[1] && byName.get(parts[1].toLowerCase());
    if (!fn) return sendJson(res, 404, { message: `No function named "${parts[1]}".` });
    if (req.method !== 'POST') return sendJson(res, 405, { message: 'Use POST to run a function.' });
    if (fn.trigger.type !== 'timerTrigger')
      return sendJson(res, 400, { message: 'Only timer functions can be run through the admin API locally.' });
    await readBody(req);
    res.writeHead(202).end();
    runTimer(fn.name).catch((err: Error) => log(`error [${fn.name}] ${err.message}`));
  };

  const handleHttpTrigger = async (req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = httpRoutes.map((r) => ({ r, params: r.matcher.match(pathname) })).filter((c) => c.params);
    if (candidates.length === 0) return void res.writeHead(404).end();
    const found = candidates.find((c) => c.r.methods.includes(method));
    if (!found) return void res.writeHead(405, { allow: candidates.flatMap((c) => c.r.methods).join(', ') }).end();
    const { r, params } = found;
    const answer = (status: number, outHeaders: Record<string, string | string[]> = {}, payload = Buffer.alloc(0)): void => {
      options.onHttpResponse?.({ functionName: r.fn.name, method, path: pathname, status, headers: outHeaders, body: payload });
      res.writeHead(status, outHeaders);
      res.end(payload);
    };
    if (!authorised(req, query, r.authLevel)) return answer(401);
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers))
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    const httpData: RpcHttpData = {
      method,
      url: `${url}${req.url}`,
      headers,
      query: Object.fromEntries(query.entries()),
      params: params as Record<string, string>,
      body: body.length ? { bytes: body } : undefined,
    };
    const result = await invoke(r.fn.name, {
      inputData: [{ name: r.fn.triggerName, data: { http: httpData } }, ...extraInputs(r.fn)],
      log: sink,
    });
    if (result.error) {
      log(`error [${r.fn.name} ${result.invocationId}] ${result.error.stack ?? result.error.message}`);
      return answer(500);
    }
    const response = result.response;
    const out = (response?.returnValue?.http ?? response?.outputData?.find((o) => o.data?.http)?.data?.http) as RpcHttpData | undefined;
    if (!out) return answer(204);
    const outHeaders: Record<string, string | string[]> = { ...(out.headers ?? {}) };
    const cookies = (out.cookies ?? []) as Record<string, unknown>[];
    if (cookies.length) outHeaders['set-cookie'] = cookies.map(cookieHeader);
    const bodyData = out.body;
    const payload = bodyData?.bytes
      ? Buffer.from(bodyData.bytes)
      : bodyData?.string != null
        ? Buffer.from(bodyData.string)
        : Buffer.alloc(0);
    answer(Number(out.statusCode ?? 200), outHeaders, payload);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const parsed = new URL(req.url ?? '/', url);
    const pathname = parsed.pathname;
    const parts = pathname.split('/').filter(Boolean);
    const done = (): void => log(`${req.method} ${pathname} -> ${res.statusCode} (${Date.now() - started} ms)`);
    res.on('finish', done);
    (async () => {
      // Before routing and before the key check: a path that does not decode names no function at all.
      if (!decodedSegments(pathname)) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad Request: malformed percent-encoding in the URL path.');
        return;
      }
      if (parts[0] === 'runtime' && parts[1] === 'webhooks' && parts[2] === 'durabletask') {
        if (!authorised(req, parsed.searchParams, 'admin')) return void res.writeHead(401).end();
        if (!(await handleDurableRpc(durable, urls, req, res, parts.slice(3).join('/'), parsed.searchParams))) res.writeHead(404).end();
        return;
      }
      if (parts[0] === 'admin' && parts[1] === 'functions') return handleAdmin(req, res, parts.slice(1), parsed.searchParams);
      if (parts[0] === 'admin' && parts[1] === 'host' && parts[2] === 'status' && parts.length === 3) {
        // As in Azure, /admin/* is for the master key only.
        if (!authorised(req, parsed.searchParams, 'admin')) return void res.writeHead(401).end();
        return sendJson(res, 200, { state: 'Running', version: '4-local', functions: functions.length });
      }
      await handleHttpTrigger(req, res, pathname, parsed.searchParams);
    })().catch((err: Error) => {
      log(`error host ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  rpcServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parsed = new URL(req.url ?? '/', rpcUrl);
    const parts = parsed.pathname.split('/').filter(Boolean);
    (async () => {
      if (!decodedSegments(parsed.pathname)) return void res.writeHead(400).end();
      if (parts[0] !== 'durabletask') return void res.writeHead(404).end();
      if (!(await handleDurableRpc(durable, urls, req, res, parts.slice(1).join('/'), parsed.searchParams))) res.writeHead(404).end();
    })().catch((err: Error) => {
      log(`error durable rpc ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  log(`Functions (${functions.length}):`);
  for (const fn of functions) {
    const route = httpRoutes.find((r) => r.fn === fn);
    const detail = route
      ? `[${route.methods.join(',')}] ${url}/${route.matcher.template} (${route.authLevel})`
      : fn.trigger.type === 'timerTrigger'
        ? `timer ${fn.trigger.schedule}`
        : fn.trigger.type === 'queueTrigger'
          ? `queue ${fn.trigger.queueName}${options.enableQueueTriggers === false ? ' (not polled)' : ''}`
          : String(fn.trigger.type);
    log(`  ${fn.name}: ${detail}`);
  }

  return {
    url,
    functions,
    durable,
    durableClientData: clientBindingData(urls),
    runTimer,
    queuesIdle: async () => {
      await Promise.all(queuePollers.map((p) => p.idle()));
    },
    stop: async () => {
      cancelTimers.forEach((cancel) => cancel());
      await Promise.all(queuePollers.map((p) => p.stop()));
      await durable.close();
      await Promise.all(
        [server, rpcServer].map((s) => {
          s.closeAllConnections?.();
          return new Promise<void>((resolve) => s.close(() => resolve()));
        }),
      );
    },
  };
}
