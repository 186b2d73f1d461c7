/** Shared pieces of the simulated Graph: error bodies, routing types, $select and paging helpers. */
import * as crypto from 'node:crypto';
import type { Caller, PermissionRule } from '../auth';
import type { SimRequest, SimResponse } from '../http';
import type { SimState } from '../state';

export interface GraphCtx {
  state: SimState;
  req: SimRequest;
  caller: Caller;
  version: 'v1.0' | 'beta';
  /** normalized path after the version segment */
  path: string;
  params: string[];
  body: unknown;
}

export interface GraphRoute {
  method: string;
  re: RegExp;
  perms: PermissionRule | 'delegated-only-any';
  handler: (ctx: GraphCtx) => SimResponse | Promise<SimResponse>;
}

export function graphError(
  req: SimRequest,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SimResponse {
  const requestId = crypto.randomUUID();
  return {
    status,
    headers: { 'request-id': requestId, 'client-request-id': req.headers['client-request-id'] ?? requestId, ...headers },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': requestId,
          'client-request-id': req.headers['client-request-id'] ?? requestId,
        },
      },
    },
  };
}

export function ok(ctx: GraphCtx, body: unknown, status = 200, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    body,
    headers: {
      'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      ...headers,
    },
    tenantId: ctx.caller.tenant.id,
  };
}

export function context(ctx: GraphCtx, fragment: string): string {
  return `${ctx.req.origin}/${ctx.version}/$metadata#${fragment}`;
}

export function selectFields(obj: Record<string, unknown>, select: string | null, defaults?: string[]): Record<string, unknown> {
  const fields = select
    ? select
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : defaults;
  if (!fields) return obj;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const key = Object.keys(obj).find((k) => k.toLowerCase() === f.toLowerCase());
    if (key) out[key] = obj[key];
    else out[f] = null;
  }
  if (!('id' in out) && 'id' in obj && !select) out.id = obj.id;
  return out;
}

export function encodeSkipToken(offset: number): string {
  return 'RFNwdAoAAQAAA' + Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeSkipToken(token: string): number | undefined {
  if (!token.startsWith('RFNwdAoAAQAAA')) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token.slice(13), 'base64url').toString('utf8')) as { o?: unknown };
    return typeof v.o === 'number' && v.o >= 0 ? v.o : undefined;
  } catch {
    return undefined;
  }
}

/** Next-page link: same path and query options, with a server-issued $skiptoken. */
export function nextLink(ctx: GraphCtx, offset: number): string {
  const q = new URLSearchParams();
  for (const [k, v] of ctx.req.query) if (k.toLowerCase() !== '$skiptoken' && k.toLowerCase() !== '$skip') q.append(k, v);
  q.append('$skiptoken', encodeSkipToken(offset));
  return `${ctx.req.origin}/${ctx.version}${ctx.path}?${q.toString().replace(/%24/g, '$')}`;
}

export function queryParam(ctx: GraphCtx, name: string): string | null {
  for (const [k, v] of ctx.req.query) if (k.toLowerCase() === name.toLowerCase()) return v;
  return null;
}
