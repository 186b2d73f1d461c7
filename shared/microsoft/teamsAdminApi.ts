/**
 * The Teams admin API (the "ConfigAPI" the MicrosoftTeams PowerShell module talks to; undocumented by Microsoft, its
 * provenance in docs/architecture.md), with a run's delegated token (audience 48ac35b8-…, read from the token vault
 * once per client). Every call goes to the tenant's own endpoint, named by the service discovery
 * (`GET /Teams.Tenant/tenants` → `X-MS-Target-Uri` or `serviceDiscovery.Endpoints.ConfigApiEndpoint`, with its
 * `X-MS-*` headers); only an https endpoint on the public host or its own domain is followed. Each call carries our
 * `client-request-id`; answers other than success are failure values (429/5xx/network transient). A gate (the apply
 * step's pacing) may hold calls back: those are not sent and come back throttled.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, ok, Result } from '../domain/errors';
import { RequestIds, VoiceAccess } from '../sync/teamsVoice';
import { TokenVault } from '../sync/tokenVault';
import { failure, Failure, microsoftFailure, notSent } from './graphAccess';
import { TEAMS_ADMIN_RESOURCE } from './entraSignIn';

export interface TeamsAdminSettings {
  /** The Teams admin API's public endpoint; its service discovery names the tenant's own. */
  teamsAdminBaseUrl: string;
  tokens: TokenVault;
  /** Per call. */
  timeoutMs?: number;
}

/**
 * How a client answers a 5xx or a network failure: sent again up to `times` more, after the Retry-After or a short
 * backoff (at most `maxWaitMs`). Only for callers whose every call is idempotent (the tenant configuration's reads,
 * set-adds and creates that treat 409 as done); the apply step's writes retry in their state machine instead.
 */
export interface UnavailableRetry {
  times: number;
  maxWaitMs: number;
}

export interface TeamsAdminAnswer extends RequestIds {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface TeamsAdminClient {
  /**
   * One call to the tenant's ConfigAPI (`path` from `/Skype.Policy/…`). `what` names it in our messages; `permanent`
   * is the code of a refusal (4xx), POLICY_NOT_FOUND for Microsoft's `PolicyNotFound`.
   */
  call(method: string, path: string, body: unknown, opts: { what: string; permanent: ErrorCode }): Promise<Result<TeamsAdminAnswer>>;
}

/** The Teams admin endpoint discovery names must be the same service: https, and the public host or its own domain. */
export function sameTeamsService(base: URL, target: URL): boolean {
  if (target.protocol !== 'https:') return false;
  if (target.host === base.host) return true;
  const labels = base.hostname.split('.');
  return labels.length >= 4 && target.hostname.endsWith(`.${labels.slice(-3).join('.')}`);
}

/** Paces a client's calls (the apply step's): 0 to send now, else seconds until it may; told of every 429. */
export interface TeamsAdminGate {
  turn(): Promise<number>;
  throttled(retryAfterSeconds: number | undefined): void;
}

export const withIds = (f: Failure, ids: RequestIds): Failure => ({
  ok: false,
  error: { ...f.error, details: { ...f.error.details, ...ids } },
});

export function teamsAdminClient(
  settings: TeamsAdminSettings,
  access: Extract<VoiceAccess, { kind: 'run' }>,
  gate?: TeamsAdminGate,
  unavailable: UnavailableRetry = { times: 0, maxWaitMs: 0 },
): TeamsAdminClient {
  const base = new URL(settings.teamsAdminBaseUrl);
  const timeoutMs = settings.timeoutMs ?? 30_000;
  let tokenRead: Promise<Result<string>> | undefined;
  let endpoint: Promise<Result<{ origin: string; headers: Record<string, string> }>> | undefined;

  /** Read once per client; a transient failure is asked again next time. */
  const retryable = <T>(p: Promise<Result<T>>, forget: () => void): Promise<Result<T>> =>
    p.then((r) => {
      if (!r.ok && r.error.transient) forget();
      return r;
    });

  function token(): Promise<Result<string>> {
    tokenRead ??= settings.tokens.read(access.runId, TEAMS_ADMIN_RESOURCE).then((t) => (t.ok ? ok(t.value.accessToken) : t));
    return retryable(tokenRead, () => (tokenRead = undefined));
  }

  /** `once`, sent again while Microsoft is unavailable (5xx, network) and `unavailable` allows. */
  async function sendRetrying(...args: Parameters<typeof once>): ReturnType<typeof once> {
    for (let attempt = 0; ; attempt++) {
      const answer = await once(...args);
      if (answer.ok || answer.error.code !== 'TEAMS_UNAVAILABLE' || attempt >= unavailable.times) return answer;
      const retryAfter = (answer.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      const waitMs = Math.min(retryAfter !== undefined ? retryAfter * 1000 : 500 * 2 ** attempt, unavailable.maxWaitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  async function once(
    url: string,
    method: string,
    body: unknown,
    headers: Record<string, string>,
    opts: { what: string; permanent: ErrorCode },
  ) {
    const bearer = await token();
    if (!bearer.ok) return bearer;
    const wait = gate ? await gate.turn() : 0;
    if (wait > 0) return notSent('The Teams admin API', opts.what, wait);
    const clientRequestId = randomUUID();
    try {
      const res = await fetch(url, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          ...headers,
          authorization: `Bearer ${bearer.value}`,
          accept: 'application/json',
          'x-ms-client-request-id': clientRequestId,
          'client-request-id': clientRequestId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });
      const ids = { clientRequestId, requestId: res.headers.get('x-ms-request-id') ?? res.headers.get('request-id') };
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        parsed = undefined;
      }
      if (res.ok) return ok({ ...ids, status: res.status, headers: Object.fromEntries(res.headers), body: parsed });
      const code = String((parsed as { error?: { code?: unknown } } | undefined)?.error?.code ?? '');
      if (res.status === 404 && code === 'PolicyNotFound')
        return withIds(failure('POLICY_NOT_FOUND', `The tenant has no such policy for ${opts.what}.`, false, { status: 404 }), ids);
      const refused = microsoftFailure(res.status, { service: 'The Teams admin API', ...opts, retryAfter: res.headers.get('retry-after') });
      if (res.status === 429) gate?.throttled((refused.error.details as { retryAfterSeconds?: number }).retryAfterSeconds);
      return withIds(refused, ids);
    } catch {
      return withIds(microsoftFailure(-1, { service: 'The Teams admin API', ...opts }), { clientRequestId, requestId: null });
    }
  }

  function discover(): Promise<Result<{ origin: string; headers: Record<string, string> }>> {
    endpoint ??= sendRetrying(
      `${base.origin}/Teams.Tenant/tenants`,
      'GET',
      undefined,
      {},
      {
        what: 'the service discovery',
        permanent: 'TEAMS_WRITE_FAILED',
      },
    ).then((a) => {
      if (!a.ok) return a;
      const body = a.value.body as { serviceDiscovery?: { Endpoints?: { ConfigApiEndpoint?: string }; Headers?: Record<string, string> } };
      const named = a.value.headers['x-ms-target-uri'] ?? body?.serviceDiscovery?.Endpoints?.ConfigApiEndpoint;
      let target: URL | undefined;
      try {
        target = named ? new URL(named) : undefined;
      } catch {
        target = undefined;
      }
      if (!target || !sameTeamsService(base, target))
        return failure('TEAMS_WRITE_FAILED', 'The Teams admin API named an endpoint outside Microsoft Teams.', false);
      const forest = Object.fromEntries(
        Object.entries(body?.serviceDiscovery?.Headers ?? {}).filter(([k, v]) => /^x-ms-[a-z-]+$/i.test(k) && typeof v === 'string'),
      );
      return ok({ origin: target.origin, headers: forest });
    });
    return retryable(endpoint, () => (endpoint = undefined));
  }

  return {
    async call(method, path, body, opts) {
      const at = await discover();
      if (!at.ok) return at;
      return sendRetrying(`${at.value.origin}${path}`, method, body, at.value.headers, opts);
    },
  };
}
