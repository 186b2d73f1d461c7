/**
 * Counts Table Storage traffic from outside the app: a plain HTTP proxy in front of Azurite's table endpoint. The app
 * is given the proxy's endpoint as its TableEndpoint (see startStack's `tableTraffic` option); every request is
 * forwarded unchanged (method, path, headers, body) and every answer piped back unchanged, and each one is counted
 * under its table: requests, transactions (`$batch`) and the time from the request's arrival to the answer's end.
 *
 * The SDK signs for the proxy's URL, and Azurite checks that signature; it covers the account and the URL path (the
 * same on both sides), not the host. So the Host header is rewritten to Azurite's own host:port, as a reverse proxy
 * does, and Azurite accepts the requests (tried with entities, transactions, paged queries, conflicts, a wrong key).
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

export interface TableCounts {
  requests: number;
  /** `$batch` requests (entity group transactions). */
  transactions: number;
  /** Time from the request's arrival at the proxy to the end of Azurite's answer, summed. */
  ms: number;
}

export interface TableTraffic {
  /** The table endpoint to give the app, e.g. http://127.0.0.1:PORT/devstoreaccount1. */
  endpoint: string;
  /** Per table name, since the start or the last clear(). */
  counts(): Map<string, TableCounts>;
  clear(): void;
  /**
   * Fault injection for tests: the `nth` write (POST/PUT/PATCH/MERGE/DELETE, from now on, counting 1, 2, …) to `table`
   * is answered 400 without reaching Azurite, as if the process had died before storage recorded it (400: the SDK does
   * not retry it itself, so the failure reaches the caller at once).
   */
  failWrite(table: string, nth: number): void;
  /** Each request to `table` since the start or the last clear(): method and decoded URL path with its query. */
  requests(table: string): Array<{ method: string; url: string }>;
  /** Writes seen per table since the start (failed ones included). */
  writes(table: string): number;
  /** Writes failed by failWrite so far. */
  injected(): number;
  stop(): Promise<void>;
}

/** Headers that describe one connection, not the message: not forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/**
 * The table a request is about, from its path (path style: /<account>/<table>(...), /<account>/<table>(),
 * /<account>/Tables('<table>')) or its body: POST /<account>/Tables carries {"TableName": …}, and a `$batch` is
 * named after its first sub-request (all of a transaction's operations are on one table).
 */
export function tableOf(method: string, path: string, body: Buffer): string {
  const segment = decodeURIComponent(path.split('?')[0]!.split('/')[2] ?? '');
  if (segment === '$batch') {
    const line = /^(?:GET|POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP\/1\.1\r?$/m.exec(body.toString('utf8'));
    return line ? tableOf('', new URL(line[1]!, 'http://x').pathname, Buffer.alloc(0)) : '$batch';
  }
  const management = /^Tables(?:\('(.*)'\))?$/.exec(segment);
  if (management) {
    if (management[1] !== undefined) return management[1].replace(/''/g, "'");
    if (method === 'POST') {
      try {
        const name = (JSON.parse(body.toString('utf8')) as { TableName?: unknown }).TableName;
        if (typeof name === 'string') return name;
      } catch {
        // not JSON: counted under Tables
      }
    }
    return 'Tables';
  }
  return segment.replace(/\(.*$/, '') || '(account)';
}

export async function startTableTraffic(targetTableEndpoint: string): Promise<TableTraffic> {
  const target = new URL(targetTableEndpoint);
  const agent = new http.Agent({ keepAlive: true });
  const counts = new Map<string, TableCounts>();

  const seen = new Map<string, Array<{ method: string; url: string }>>();
  const count = (name: string, batch: boolean, started: number): void => {
    const entry = counts.get(name) ?? { requests: 0, transactions: 0, ms: 0 };
    entry.requests++;
    if (batch) entry.transactions++;
    entry.ms += performance.now() - started;
    counts.set(name, entry);
  };

  let failing: { table: string; nth: number; seen: number } | undefined;
  const writes = new Map<string, number>();
  let injected = 0;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const method = req.method ?? 'GET';
      const name = tableOf(method, path, body);
      const batch = /\/\$batch(\?|$)/.test(path);
      const write = method !== 'GET' && method !== 'HEAD';
      (seen.get(name) ?? seen.set(name, []).get(name)!).push({ method, url: decodeURIComponent(path) });
      if (write) writes.set(name, (writes.get(name) ?? 0) + 1);
      if (failing && write && name === failing.table && ++failing.seen === failing.nth) {
        failing = undefined;
        injected++;
        count(name, batch, started);
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"odata.error":{"code":"InjectedFault","message":{"value":"injected"}}}');
        return;
      }
      const headers = { ...forwardable(req.headers), host: target.host };
      if (body.length || req.headers['content-length'] !== undefined) headers['content-length'] = body.length;
      const upstream = http.request({ hostname: target.hostname, port: target.port, method, path, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
        answer.pipe(res);
        answer.on('end', () => count(name, batch, started));
        answer.on('error', () => res.destroy());
      });
      upstream.on('error', (err) => {
        count(name, batch, started);
        if (res.headersSent) return void res.destroy(err);
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`table traffic proxy: ${err.message}`);
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    counts: () => new Map([...counts].map(([name, c]) => [name, { ...c }])),
    clear: () => {
      counts.clear();
      seen.clear();
    },
    requests: (table) => [...(seen.get(table) ?? [])],
    failWrite: (table, nth) => void (failing = { table, nth, seen: 0 }),
    writes: (table) => writes.get(table) ?? 0,
    injected: () => injected,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
