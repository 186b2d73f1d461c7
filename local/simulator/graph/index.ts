/**
 * Simulated Microsoft Graph (v1.0 and beta share one implementation): authentication, contract checks against
 * Microsoft's subset, permission checks (app roles for app-only tokens, scopes for delegated), routing.
 */
import { authenticate, permitted } from '../auth';
import type { SimRequest, SimResponse } from '../http';
import { RESOURCE_GRAPH, GRAPH_APP_ID, SimState, redactUrl } from '../state';
import { handleBatch } from './batch';
import { graphError, GraphCtx, GraphRoute } from './common';
import type { GraphContract } from './contract';
import { normalizeGraphPath } from './contract';
import { domainRoutes } from './domains';
import { numberRoutes } from './numbers';
import { policyRoutes } from './policies';
import { userRoutes } from './users';
import { userWriteRoutes } from './userWrites';

const ROUTES: GraphRoute[] = [...userRoutes, ...userWriteRoutes, ...domainRoutes, ...numberRoutes, ...policyRoutes];
/**
 * Served, but outside the contract subset (Microsoft documents them; the subset does not list them). Empty: every path
 * the simulator serves is in the subset (add missing ones to contract/operations.json and run npm run contract:graph).
 */
export const UNCONTRACTED: RegExp[] = [];

export function createGraph(state: SimState, contract: GraphContract) {
  async function handle(req: SimRequest, inner: boolean): Promise<SimResponse> {
    if (inner) {
      const fault = state.faults.decide('graph', req.method, req.path);
      if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault?.status) {
        state.log({
          service: 'graph',
          method: req.method,
          url: `$batch>${redactUrl(req.url)}`,
          status: fault.status,
          durationMs: 0,
          fault: fault.ruleId,
        });
        const headers: Record<string, string> =
          fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
        return graphError(
          req,
          fault.status,
          fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
          fault.status === 429 ? 'Too many requests.' : 'The service is temporarily unavailable.',
          headers,
        );
      }
      // Each request of a $batch is throttled on its own: a 429 inside, the $batch itself 200.
      const throttled = state.throttle.admit('graph', req);
      if (throttled) {
        state.log({
          service: 'graph',
          method: req.method,
          url: `$batch>${redactUrl(req.url)}`,
          status: 429,
          durationMs: 0,
          fault: 'throttle',
        });
        return graphError(req, 429, 'TooManyRequests', 'Too many requests.', {
          'retry-after': String(throttled.retryAfterSeconds),
          'x-ms-throttle-scope': throttled.scope,
        });
      }
    }
    const m = /^\/(v1\.0|beta)(\/.*)?$/i.exec(req.path);
    if (!m) return graphError(req, 400, 'BadRequest', `Invalid version: ${req.path.split('/')[1] ?? ''}`);
    const version = m[1]!.toLowerCase() === 'beta' ? 'beta' : 'v1.0';
    let rel: string;
    try {
      rel = normalizeGraphPath(decodeURIComponent(m[2] ?? '/'));
    } catch {
      rel = normalizeGraphPath(m[2] ?? '/');
    }

    const auth = authenticate(state, req, [RESOURCE_GRAPH, GRAPH_APP_ID]);
    if (!auth.ok)
      return graphError(req, 401, 'InvalidAuthenticationToken', auth.message, {
        'www-authenticate': `Bearer realm="", authorization_uri="${state.urls.entra}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      });
    const caller = auth.caller;

    const isBatch = rel === '/$batch' && req.method === 'POST';
    const match = contract.match(version, req.method, rel);
    if (match.kind === 'match') {
      const problems = contract.check(match.op, req.query, req.headers, req.rawBody);
      if (problems.length) {
        for (const p of problems) state.violation({ method: req.method, url: req.url, rule: p.rule, message: p.message });
        return graphError(req, 400, 'BadRequest', problems.map((p) => p.message).join(' '));
      }
    } else if (!UNCONTRACTED.some((re) => re.test(rel))) {
      const message =
        match.kind === 'wrong-method'
          ? `${req.method} is not supported on ${rel} (allowed: ${match.allowed.join(', ')}).`
          : `Resource not found for the segment '${rel.split('/').filter(Boolean).pop() ?? ''}'.`;
      state.violation({ method: req.method, url: req.url, rule: match.kind, message });
      return graphError(
        req,
        match.kind === 'wrong-method' ? 405 : 400,
        match.kind === 'wrong-method' ? 'Request_BadRequest' : 'BadRequest',
        message,
      );
    }

    let body: unknown;
    if (req.rawBody) {
      try {
        body = JSON.parse(req.rawBody);
      } catch {
        return graphError(req, 400, 'BadRequest', 'The request body is not valid JSON.');
      }
    }
    if (isBatch) return handleBatch(req, version, body, (innerReq) => handle(innerReq, true));

    for (const route of ROUTES) {
      if (route.method !== req.method) continue;
      const rm = route.re.exec(rel);
      if (!rm) continue;
      if (/^\/me(\/|$)/i.test(rel) && caller.appOnly)
        return graphError(req, 400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
      if (route.perms !== 'delegated-only-any' && !permitted(caller, route.perms)) {
        return graphError(req, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      }
      const ctx: GraphCtx = { state, req, caller, version, path: rel, params: rm.slice(1), body };
      const res = await route.handler(ctx);
      if (inner)
        state.log({ service: 'graph', method: req.method, url: `$batch>${redactUrl(req.url)}`, status: res.status, durationMs: 0 });
      return res;
    }
    return graphError(req, 400, 'BadRequest', `Resource not found for the segment '${rel.split('/').filter(Boolean).pop() ?? ''}'.`);
  }
  return (req: SimRequest) => handle(req, false);
}
