/** HTTPS listeners: one per service, each serving Microsoft's real paths at its root. Applies faults and logs requests. */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerCert } from './ca';
import { sleep } from './faults';
import type { Handler, ServiceName, SimRequest, SimResponse } from './http';
import { redactUrl, SimState } from './state';

const MAX_BODY = 20 * 1024 * 1024;

function faultResponse(
  service: ServiceName,
  status: number,
  retryAfter: number | undefined,
  clientRequestId: string | undefined,
): SimResponse {
  const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
  const throttled = status === 429;
  const message = throttled ? 'Too many requests.' : 'The service is temporarily unavailable.';
  switch (service) {
    case 'graph': {
      const id = crypto.randomUUID();
      return {
        status,
        headers: { ...headers, 'request-id': id, 'client-request-id': clientRequestId ?? id },
        body: {
          error: {
            code: throttled ? 'TooManyRequests' : 'ServiceUnavailable',
            message,
            innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': id, 'client-request-id': clientRequestId ?? id },
          },
        },
      };
    }
    case 'entra':
      return {
        status,
        headers,
        body: {
          error: 'temporarily_unavailable',
          error_description: `AADSTS90033: A transient error has occurred. Please try again. Trace ID: ${crypto.randomUUID()}`,
          error_codes: [90033],
        },
      };
    case 'keyVault':
      return { status, headers, body: { error: { code: throttled ? 'Throttled' : 'ServiceUnavailable', message } } };
    default:
      return { status, headers, body: { error: { code: throttled ? 'TooManyRequests' : 'ServiceUnavailable', message } } };
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function listen(
  state: SimState,
  service: ServiceName,
  handler: Handler,
  cert: ServerCert,
  host: string,
  port: number,
): Promise<https.Server> {
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    void (async () => {
      const started = Date.now();
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      let result: SimResponse;
      let faultId: string | undefined;
      try {
        const rawBody = await readBody(req);
        const simReq: SimRequest = {
          service,
          method: (req.method ?? 'GET').toUpperCase(),
          path: q >= 0 ? rawUrl.slice(0, q) : rawUrl,
          query: new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : ''),
          headers,
          rawBody,
          origin: `https://${headers.host ?? `localhost:${port}`}`,
          url: rawUrl,
        };
        const fault = service === 'control' ? undefined : state.faults.decide(service, simReq.method, simReq.path);
        if (fault?.latencyMs) await sleep(fault.latencyMs);
        const throttled = fault?.status ? undefined : state.throttle.admit(service, simReq);
        if (fault?.status) {
          faultId = fault.ruleId;
          result = faultResponse(service, fault.status, fault.retryAfterSeconds, headers['client-request-id']);
        } else if (throttled) {
          faultId = 'throttle';
          result = faultResponse(service, 429, throttled.retryAfterSeconds, headers['client-request-id']);
          if (service === 'graph') result.headers = { ...result.headers, 'x-ms-throttle-scope': throttled.scope };
        } else {
          if (fault) faultId = fault.ruleId;
          result = await handler(simReq);
        }
      } catch (e) {
        result = { status: 500, body: { error: { code: 'InternalServerError', message: `Simulator error: ${(e as Error).message}` } } };
      }
      const outHeaders: Record<string, string> = { ...(result.headers ?? {}) };
      let payload: string | undefined;
      if (result.text !== undefined) payload = result.text;
      else if (result.body !== undefined) {
        payload = JSON.stringify(result.body);
        if (!Object.keys(outHeaders).some((k) => k.toLowerCase() === 'content-type'))
          outHeaders['content-type'] = 'application/json; charset=utf-8';
      }
      if (payload !== undefined) outHeaders['content-length'] = String(Buffer.byteLength(payload));
      else outHeaders['content-length'] = '0';
      res.writeHead(result.status, outHeaders);
      res.end(payload);
      if (service !== 'control') {
        state.log({
          service,
          method: (req.method ?? 'GET').toUpperCase(),
          url: redactUrl(rawUrl),
          status: result.status,
          durationMs: Date.now() - started,
          clientRequestId: headers['client-request-id'] ?? headers['x-ms-client-request-id'],
          fault: faultId,
        });
      }
    })();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function portOf(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}

export async function close(server: https.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
