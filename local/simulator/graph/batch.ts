/** Graph JSON batching: at most 20 requests, run in order with dependsOn, each answered with its own status. */
import type { SimRequest, SimResponse } from '../http';
import { graphError } from './common';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export async function handleBatch(
  req: SimRequest,
  version: string,
  body: unknown,
  run: (inner: SimRequest) => Promise<SimResponse>,
): Promise<SimResponse> {
  const requests = (body as { requests?: unknown })?.requests;
  if (!Array.isArray(requests) || requests.length === 0) return graphError(req, 400, 'BadRequest', 'Invalid batch payload format.');
  if (requests.length > 20) return graphError(req, 400, 'BadRequest', 'Number of requests exceeds the maximum of 20.');
  const items = requests as BatchItem[];
  const ids = new Set<string>();
  for (const i of items) {
    if (!i || typeof i.id !== 'string' || typeof i.method !== 'string' || typeof i.url !== 'string')
      return graphError(req, 400, 'BadRequest', 'Each batch request needs id, method and url.');
    if (ids.has(i.id)) return graphError(req, 400, 'BadRequest', `Batch request id '${i.id}' is not unique.`);
    ids.add(i.id);
  }
  const statusById = new Map<string, number>();
  const responses: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const failedDep = (item.dependsOn ?? []).find((d) => (statusById.get(d) ?? 424) >= 400);
    if (failedDep !== undefined) {
      statusById.set(item.id, 424);
      const r = graphError(req, 424, 'FailedDependency', `Request '${failedDep}' this request depends on failed.`);
      responses.push({ id: item.id, status: 424, headers: { 'content-type': 'application/json' }, body: r.body });
      continue;
    }
    const rel = item.url.startsWith('/') ? item.url : `/${item.url}`;
    const q = rel.indexOf('?');
    const innerHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(item.headers ?? {})) innerHeaders[k.toLowerCase()] = String(v);
    if (req.headers['authorization']) innerHeaders['authorization'] = req.headers['authorization'];
    if (req.headers['client-request-id'] && !innerHeaders['client-request-id'])
      innerHeaders['client-request-id'] = req.headers['client-request-id'];
    let rawBody = '';
    if (item.body !== undefined) {
      rawBody = typeof item.body === 'string' ? item.body : JSON.stringify(item.body);
      if (!innerHeaders['content-type']) innerHeaders['content-type'] = 'application/json';
    }
    const inner: SimRequest = {
      service: 'graph',
      method: item.method.toUpperCase(),
      path: `/${version}${q >= 0 ? rel.slice(0, q) : rel}`,
      query: new URLSearchParams(q >= 0 ? rel.slice(q + 1) : ''),
      headers: innerHeaders,
      rawBody,
      origin: req.origin,
      url: `/${version}${rel}`,
    };
    const res = await run(inner);
    statusById.set(item.id, res.status);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      const lk = k.toLowerCase();
      if (lk === 'location' || lk === 'retry-after' || lk === 'content-type')
        headers[lk === 'content-type' ? 'Content-Type' : lk === 'retry-after' ? 'Retry-After' : 'Location'] = v;
    }
    const entry: Record<string, unknown> = { id: item.id, status: res.status, headers };
    if (res.body !== undefined) entry.body = res.body;
    responses.push(entry);
  }
  return { status: 200, body: { responses }, headers: { 'content-type': 'application/json' } };
}
