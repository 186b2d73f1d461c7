/**
 * Writes of a sync to a customer tenant's Teams voice state (TeamsVoiceWriter port), with the run's delegated tokens:
 *
 * - numbers: Graph `numberAssignments/assignNumber` and `unassignNumber`, 20 per `$batch`; each answers 202 with the
 *   long-running operation in `Location`, polled later (`operations('{id}')`, also 20 per `$batch`);
 * - calling policies: Graph `policy/userAssignments/assign` (several users per body, the policy id from
 *   `getPolicyId`, cached) and `unassign`;
 * - voice routing policies: the Teams admin API (`PATCH /Skype.Policy/users/{id}/policies/OnlineVoiceRoutingPolicy`,
 *   the grant `Grant-CsOnlineVoiceRoutingPolicy` makes; undocumented by Microsoft, provenance in docs/architecture.md),
 *   reached through its service discovery.
 *
 * Every call carries our `client-request-id`, returned with Microsoft's `request-id` for support. Failures are values:
 * 429/5xx/network are transient (Retry-After kept), 4xx permanent; the policy missing is POLICY_NOT_FOUND.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, ok, Result } from '../domain/errors';
import { NumberChange, OperationStatus, PolicyGrant, RequestIds, SubmittedChange, TeamsVoiceWriterFor } from '../sync/teamsVoice';
import { batchHeader, failure, Failure, GraphAccessSettings, graphClientFor, microsoftFailure, thrownGraphFailure } from './graphAccess';
import { TEAMS_ADMIN_RESOURCE } from './entraSignIn';

export interface TeamsVoiceWriterSettings extends GraphAccessSettings {
  /** The Teams admin API's public endpoint; its service discovery names the tenant's own. */
  teamsAdminBaseUrl: string;
  /** Per Teams admin API call. */
  timeoutMs?: number;
}

const BATCH_SIZE = 20;
/** Users per policy assign body (Microsoft's examples send several; a failed body is retried user by user). */
const ASSIGN_BODY_SIZE = 20;
/** Teams admin API grants in flight at once (it has no batch). */
const TEAMS_GRANTS_AT_ONCE = 4;
const NM = '/admin/teams/telephoneNumberManagement';
const POLICY = '/admin/teams/policy';

interface BatchRequest {
  id: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Answer extends RequestIds {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const graphWriteFailure = (status: number, what: string, retryAfter?: string | null): Failure =>
  microsoftFailure(status, { service: 'Microsoft Graph', what, permanent: 'TEAMS_WRITE_REFUSED', retryAfter });

/** The Teams admin endpoint discovery names must be the same service: https, and the public host or its own domain. */
export function sameTeamsService(base: URL, target: URL): boolean {
  if (target.protocol !== 'https:') return false;
  if (target.host === base.host) return true;
  const labels = base.hostname.split('.');
  return labels.length >= 4 && target.hostname.endsWith(`.${labels.slice(-3).join('.')}`);
}

const operationState = (status: unknown): OperationStatus['state'] | 'unknown' => {
  const s = String(status ?? '').toLowerCase();
  if (s === 'succeeded') return 'succeeded';
  if (s === 'failed') return 'failed';
  if (s === 'notstarted' || s === 'running') return 'running';
  return 'unknown';
};

export function graphTeamsVoiceWriter(settings: TeamsVoiceWriterSettings): TeamsVoiceWriterFor {
  const graphBase = settings.graphBaseUrl.replace(/\/$/, '');
  const teamsBase = new URL(settings.teamsAdminBaseUrl);
  const timeoutMs = settings.timeoutMs ?? 30_000;

  return (access) => {
    const graph = graphClientFor(settings, access);
    const policyIds = new Map<string, Result<string>>();
    let configApi: Promise<Result<{ origin: string; headers: Record<string, string> }>> | undefined;

    /** Runs requests in `$batch`es of 20; one answer per request, in order (a failed batch answers each with it). */
    async function batch(requests: readonly Omit<BatchRequest, 'id'>[], what: string): Promise<Array<Result<Answer>>> {
      const c = await graph();
      if (!c.ok) return requests.map(() => c);
      const results: Array<Result<Answer>> = [];
      for (let i = 0; i < requests.length; i += BATCH_SIZE) {
        const slice = requests.slice(i, i + BATCH_SIZE).map((r, j) => ({ ...r, id: String(j + 1) }));
        let responses: BatchResponse[];
        try {
          responses = ((await c.value.api('/$batch').post({ requests: slice })) as { responses?: BatchResponse[] }).responses ?? [];
        } catch (err) {
          const f = thrownGraphFailure(err, { what, permanent: 'TEAMS_WRITE_REFUSED' });
          results.push(...slice.map(() => f));
          continue;
        }
        const byId = new Map(responses.map((r) => [r.id, r]));
        for (const r of slice) {
          const a = byId.get(r.id) ?? { id: r.id, status: 502 };
          const ids = { clientRequestId: r.headers['client-request-id']!, requestId: batchHeader(a.headers, 'request-id') ?? null };
          if (a.status >= 200 && a.status < 300) results.push(ok({ ...ids, status: a.status, headers: a.headers ?? {}, body: a.body }));
          else results.push(withIds(graphWriteFailure(a.status, what, batchHeader(a.headers, 'retry-after')), ids));
        }
      }
      return results;
    }

    const withIds = (f: Failure, ids: RequestIds): Failure => ({
      ok: false,
      error: { ...f.error, details: { ...f.error.details, ...ids } },
    });
    const headers = (): Record<string, string> => ({ 'client-request-id': randomUUID(), 'content-type': 'application/json' });

    async function submitNumberChanges(changes: readonly NumberChange[]): Promise<Array<Result<SubmittedChange>>> {
      const answers = await batch(
        changes.map((c) => ({
          method: 'POST' as const,
          url: `${NM}/numberAssignments/${c.kind}`,
          headers: headers(),
          body:
            c.kind === 'assignNumber'
              ? {
                  telephoneNumber: c.telephoneNumber,
                  assignmentTargetId: c.teamsUserId,
                  numberType: c.numberType,
                  assignmentCategory: 'primary',
                }
              : { telephoneNumber: c.telephoneNumber, numberType: c.numberType },
        })),
        'a number change',
      );
      return answers.map((a): Result<SubmittedChange> => {
        if (!a.ok) return a;
        const location = batchHeader(a.value.headers, 'location');
        // Only Graph's own operation URL is polled later (with the run's token).
        if (a.value.status !== 202 || !location || !location.startsWith(`${graphBase}/`))
          return failure('TEAMS_WRITE_FAILED', 'Microsoft Graph accepted the number change without an operation to follow.', false, {
            clientRequestId: a.value.clientRequestId,
            requestId: a.value.requestId,
          });
        return ok({ operationUrl: location, clientRequestId: a.value.clientRequestId, requestId: a.value.requestId });
      });
    }

    async function pollNumberOperations(operationUrls: readonly string[]): Promise<Array<Result<OperationStatus>>> {
      const versioned = new RegExp(`^${graphBase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:v1\\.0|beta)(/.*)$`);
      const relative = operationUrls.map((u) => versioned.exec(u)?.[1]);
      const asked = relative.flatMap((r) => (r ? [{ method: 'GET' as const, url: r, headers: headers() }] : []));
      const answers = await batch(asked, 'the status of a number change');
      let next = 0;
      return relative.map((r): Result<OperationStatus> => {
        if (!r) return failure('TEAMS_WRITE_FAILED', 'The number change has no Microsoft Graph operation to follow.', false);
        const a = answers[next++]!;
        if (!a.ok) return a;
        const body = a.value.body as { status?: unknown; numbers?: Array<{ status?: unknown }> } | undefined;
        const state = operationState(body?.numbers?.[0]?.status ?? body?.status);
        if (state === 'unknown') return failure('TEAMS_WRITE_FAILED', 'Microsoft Graph answered with an unknown operation status.', false);
        if (state === 'failed') return ok({ state, reason: 'Microsoft Teams could not complete the number change.' });
        return ok({ state });
      });
    }

    /** The policy id Graph's assign takes, per (type, name), asked once per writer. */
    async function policyId(policyType: string, name: string, what: string): Promise<Result<string>> {
      const key = `${policyType}|${name.toLowerCase()}`;
      const known = policyIds.get(key);
      if (known) return known;
      const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const [a] = await batch(
        [
          {
            method: 'GET',
            url: `${POLICY}/getPolicyId(type=${encodeURIComponent(quote(policyType))},name=${encodeURIComponent(quote(name))})`,
            headers: headers(),
          },
        ],
        what,
      );
      let result: Result<string>;
      if (!a!.ok) {
        const status = (a!.error.details as { status?: number } | undefined)?.status;
        result = status === 404 ? failure('POLICY_NOT_FOUND', `The tenant has no ${policyType} named ${name}.`, false) : a!;
      } else {
        const id = (a!.value.body as { value?: Array<{ policyId?: string }> } | undefined)?.value?.[0]?.policyId;
        result = id ? ok(id) : failure('POLICY_NOT_FOUND', `The tenant has no ${policyType} named ${name}.`, false);
      }
      // A transient failure is asked again next time.
      if (result.ok || !result.error.transient) policyIds.set(key, result);
      return result;
    }

    /** Calling policies: Graph assign/unassign, several users a body; a refused body is retried one user at a time. */
    async function graphGrants(grants: readonly PolicyGrant[]): Promise<Array<Result<RequestIds>>> {
      const results: Array<Result<RequestIds> | undefined> = grants.map(() => undefined);
      type Item = { index: number; body: Record<string, unknown>; action: 'assign' | 'unassign' };
      const items: Item[] = [];
      for (const [index, g] of grants.entries()) {
        const what = `the ${g.policyType} of a user`;
        if (g.policyName === null) {
          items.push({ index, action: 'unassign', body: { userId: g.teamsUserId, policyType: g.policyType } });
          continue;
        }
        const id = await policyId(g.policyType, g.policyName, what);
        if (!id.ok) results[index] = id;
        else
          items.push({
            index,
            action: 'assign',
            body: {
              '@odata.type': '#microsoft.graph.teamsAdministration.teamsPolicyUserAssignment',
              userId: g.teamsUserId,
              policyType: g.policyType,
              policyId: id.value,
            },
          });
      }
      const bodies: Item[][] = [];
      for (const action of ['assign', 'unassign'] as const) {
        const of = items.filter((i) => i.action === action);
        for (let i = 0; i < of.length; i += ASSIGN_BODY_SIZE) bodies.push(of.slice(i, i + ASSIGN_BODY_SIZE));
      }
      const send = (group: Item[]) =>
        batch(
          [
            {
              method: 'POST',
              url: `${POLICY}/userAssignments/${group[0]!.action}`,
              headers: headers(),
              body: { value: group.map((g) => g.body) },
            },
          ],
          'a calling policy grant',
        ).then(([a]) => a!);
      for (const group of bodies) {
        const a = await send(group);
        if (a.ok || group.length === 1 || a.error.transient) {
          const r: Result<RequestIds> = a.ok ? ok({ clientRequestId: a.value.clientRequestId, requestId: a.value.requestId }) : a;
          for (const g of group) results[g.index] = r;
          continue;
        }
        // Microsoft refuses a whole body for one bad user: find which, so the others go on.
        for (const g of group) {
          const one = await send([g]);
          results[g.index] = one.ok ? ok({ clientRequestId: one.value.clientRequestId, requestId: one.value.requestId }) : one;
        }
      }
      return results.map((r) => r ?? failure('TEAMS_WRITE_FAILED', 'The policy grant was not sent.', false));
    }

    /** The run's Teams admin API token, read from the vault once per writer (a transient failure is asked again). */
    let teamsTokenRead: Promise<Result<string>> | undefined;
    function teamsToken(): Promise<Result<string>> {
      teamsTokenRead ??= settings.tokens.read(access.runId, TEAMS_ADMIN_RESOURCE).then((t) => (t.ok ? ok(t.value.accessToken) : t));
      return teamsTokenRead.then((r) => {
        if (!r.ok && r.error.transient) teamsTokenRead = undefined;
        return r;
      });
    }

    async function teamsFetch(url: string, init: { method: string; body?: string; headers?: Record<string, string> }, what: string) {
      const token = await teamsToken();
      if (!token.ok) return token;
      const clientRequestId = randomUUID();
      try {
        const res = await fetch(url, {
          method: init.method,
          body: init.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            ...init.headers,
            authorization: `Bearer ${token.value}`,
            accept: 'application/json',
            'x-ms-client-request-id': clientRequestId,
            'client-request-id': clientRequestId,
            ...(init.body ? { 'content-type': 'application/json' } : {}),
          },
        });
        const ids = { clientRequestId, requestId: res.headers.get('x-ms-request-id') ?? res.headers.get('request-id') };
        const text = await res.text();
        if (res.ok)
          return ok({
            ...ids,
            status: res.status,
            headers: Object.fromEntries(res.headers),
            body: text ? (JSON.parse(text) as unknown) : undefined,
          });
        let code = '';
        try {
          code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? '');
        } catch {
          // Not JSON: the status says enough.
        }
        if (res.status === 404 && code === 'PolicyNotFound')
          return withIds(failure('POLICY_NOT_FOUND', `The tenant has no such policy for ${what}.`, false), ids);
        const permanent: ErrorCode = 'TEAMS_WRITE_REFUSED';
        return withIds(
          microsoftFailure(res.status, { service: 'The Teams admin API', what, permanent, retryAfter: res.headers.get('retry-after') }),
          ids,
        );
      } catch {
        return withIds(microsoftFailure(-1, { service: 'The Teams admin API', what, permanent: 'TEAMS_WRITE_REFUSED' }), {
          clientRequestId,
          requestId: null,
        });
      }
    }

    /** The tenant's ConfigAPI endpoint and headers, from the service discovery (once per writer). */
    function discover(): Promise<Result<{ origin: string; headers: Record<string, string> }>> {
      configApi ??= teamsFetch(`${teamsBase.origin}/Teams.Tenant/tenants`, { method: 'GET' }, 'the service discovery').then((a) => {
        if (!a.ok) return a;
        const body = a.value.body as {
          serviceDiscovery?: { Endpoints?: { ConfigApiEndpoint?: string }; Headers?: Record<string, string> };
        };
        const endpoint = a.value.headers['x-ms-target-uri'] ?? body?.serviceDiscovery?.Endpoints?.ConfigApiEndpoint;
        let target: URL | undefined;
        try {
          target = endpoint ? new URL(endpoint) : undefined;
        } catch {
          target = undefined;
        }
        if (!target || !sameTeamsService(teamsBase, target))
          return failure('TEAMS_WRITE_FAILED', 'The Teams admin API named an endpoint outside Microsoft Teams.', false);
        const forest = Object.fromEntries(
          Object.entries(body?.serviceDiscovery?.Headers ?? {}).filter(([k, v]) => /^x-ms-[a-z-]+$/i.test(k) && typeof v === 'string'),
        );
        return ok({ origin: target.origin, headers: forest });
      });
      return configApi.then((r) => {
        if (!r.ok && r.error.transient) configApi = undefined;
        return r;
      });
    }

    async function teamsGrant(g: PolicyGrant): Promise<Result<RequestIds>> {
      const what = `the ${g.policyType} of a user`;
      const endpoint = await discover();
      if (!endpoint.ok) return endpoint;
      const a = await teamsFetch(
        `${endpoint.value.origin}/Skype.Policy/users/${encodeURIComponent(g.teamsUserId)}/policies/${g.policyType}`,
        { method: 'PATCH', body: JSON.stringify({ PolicyName: g.policyName }), headers: endpoint.value.headers },
        what,
      );
      return a.ok ? ok({ clientRequestId: a.value.clientRequestId, requestId: a.value.requestId }) : a;
    }

    return {
      submitNumberChanges,
      pollNumberOperations,

      async grantPolicies(grants) {
        const results: Array<Result<RequestIds>> = new Array(grants.length);
        const viaGraph = grants.flatMap((g, i) => (g.policyType === 'TeamsCallingPolicy' ? [i] : []));
        const graphResults = await graphGrants(viaGraph.map((i) => grants[i]!));
        viaGraph.forEach((i, k) => (results[i] = graphResults[k]!));
        // The Teams admin API grants one user a call: a few at a time.
        const viaTeams = grants.flatMap((g, i) => (g.policyType === 'TeamsCallingPolicy' ? [] : [i]));
        const workers = Array.from({ length: Math.min(TEAMS_GRANTS_AT_ONCE, viaTeams.length) }, async () => {
          for (let i = viaTeams.shift(); i !== undefined; i = viaTeams.shift()) results[i] = await teamsGrant(grants[i]!);
        });
        await Promise.all(workers);
        return results;
      },
    };
  };
}
