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
 *
 * A writer lives for one apply step and paces it (shared/microsoft/pacing.ts): each `$batch` and ConfigAPI call waits
 * its turn in the tenant's shared bucket, at most the step's budget; after a 429 from an API the step sends nothing
 * more to it, and what it did not send comes back TEAMS_THROTTLED with the wait (retried by the apply state machine
 * after a durable timer, never here: the Graph client's RetryHandler is off for these `$batch`es, so a write is sent
 * once per step).
 */
import { RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { randomUUID } from 'node:crypto';
import { ok, Result } from '../domain/errors';
import { NumberChange, OperationStatus, PolicyGrant, RequestIds, SubmittedChange, TeamsVoiceWriterFor } from '../sync/teamsVoice';
import {
  batchHeader,
  failure,
  Failure,
  GraphAccessSettings,
  graphClientFor,
  microsoftFailure,
  notSent,
  retryAfterSeconds,
  thrownGraphFailure,
} from './graphAccess';
import { Pacing, StepPacing } from './pacing';
import { TeamsAdminSettings, teamsAdminClient, withIds } from './teamsAdminApi';

export interface TeamsVoiceWriterSettings extends GraphAccessSettings, TeamsAdminSettings {
  /** The process's pacing of Microsoft's per-tenant limits (none: only the stop after a 429). */
  pacing?: Pacing;
  /** How long one step may wait for its turns in all (default 20 s); what would wait longer goes in a later step. */
  stepPacingMs?: number;
}

/** A step's waits for its turns stay short: activities hand long waits to a durable timer. */
const STEP_PACING_MS = 20_000;

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

const operationState = (status: unknown): OperationStatus['state'] | 'unknown' => {
  const s = String(status ?? '').toLowerCase();
  if (s === 'succeeded') return 'succeeded';
  if (s === 'failed') return 'failed';
  if (s === 'notstarted' || s === 'running') return 'running';
  return 'unknown';
};

export function graphTeamsVoiceWriter(settings: TeamsVoiceWriterSettings): TeamsVoiceWriterFor {
  const graphBase = settings.graphBaseUrl.replace(/\/$/, '');

  return (access) => {
    const graph = graphClientFor(settings, access);
    const policyIds = new Map<string, Result<string>>();
    const step = new StepPacing(settings.pacing, access.tenantId, settings.stepPacingMs ?? STEP_PACING_MS);
    const teamsAdmin = teamsAdminClient(settings, access, {
      turn: () => step.turn('teamsAdmin', 1),
      throttled: (seconds) => step.throttled('teamsAdmin', seconds),
    });
    // Retries live in the apply state machine (after Retry-After, on a durable timer): the SDK must not send again.
    const sendOnce = [new RetryHandlerOptions(0, 0)];

    /** Runs requests in `$batch`es of 20; one answer per request, in order (a failed batch answers each with it). */
    async function batch(requests: readonly Omit<BatchRequest, 'id'>[], what: string): Promise<Array<Result<Answer>>> {
      const c = await graph();
      if (!c.ok) return requests.map(() => c);
      const results: Array<Result<Answer>> = [];
      for (let i = 0; i < requests.length; i += BATCH_SIZE) {
        const slice = requests.slice(i, i + BATCH_SIZE).map((r, j) => ({ ...r, id: String(j + 1) }));
        const wait = await step.turn('graphTeams', slice.length);
        if (wait > 0) {
          results.push(...slice.map(() => notSent('Microsoft Graph', what, wait)));
          continue;
        }
        let responses: BatchResponse[];
        try {
          const answer = (await c.value.api('/$batch').middlewareOptions(sendOnce).post({ requests: slice })) as {
            responses?: BatchResponse[];
          };
          responses = answer.responses ?? [];
        } catch (err) {
          const f = thrownGraphFailure(err, { what, permanent: 'TEAMS_WRITE_REFUSED' });
          if (f.error.code === 'TEAMS_THROTTLED')
            step.throttled('graphTeams', (f.error.details as { retryAfterSeconds?: number }).retryAfterSeconds);
          results.push(...slice.map(() => f));
          continue;
        }
        const byId = new Map(responses.map((r) => [r.id, r]));
        const refused = slice.flatMap((r) => (byId.get(r.id)?.status === 429 ? [byId.get(r.id)!] : []));
        if (refused.length)
          step.throttled('graphTeams', Math.max(...refused.map((a) => retryAfterSeconds(batchHeader(a.headers, 'retry-after')) ?? 1)));
        for (const r of slice) {
          const a = byId.get(r.id) ?? { id: r.id, status: 502 };
          const ids = { clientRequestId: r.headers['client-request-id']!, requestId: batchHeader(a.headers, 'request-id') ?? null };
          if (a.status >= 200 && a.status < 300) results.push(ok({ ...ids, status: a.status, headers: a.headers ?? {}, body: a.body }));
          else results.push(withIds(graphWriteFailure(a.status, what, batchHeader(a.headers, 'retry-after')), ids));
        }
      }
      return results;
    }

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

    async function teamsGrant(g: PolicyGrant): Promise<Result<RequestIds>> {
      const what = `the ${g.policyType} of a user`;
      const a = await teamsAdmin.call(
        'PATCH',
        `/Skype.Policy/users/${encodeURIComponent(g.teamsUserId)}/policies/${g.policyType}`,
        { PolicyName: g.policyName },
        { what, permanent: 'TEAMS_WRITE_REFUSED' },
      );
      return a.ok ? ok({ clientRequestId: a.value.clientRequestId, requestId: a.value.requestId }) : a;
    }

    return {
      submitNumberChanges,
      pollNumberOperations,

      async grantPolicies(grants) {
        const results: Array<Result<RequestIds>> = new Array(grants.length);
        const viaGraph = grants.flatMap((g, i) => (g.policyType === 'TeamsCallingPolicy' ? [i] : []));
        const viaGraphDone = graphGrants(viaGraph.map((i) => grants[i]!)).then((graphResults) =>
          viaGraph.forEach((i, k) => (results[i] = graphResults[k]!)),
        );
        // The Teams admin API grants one user a call: a few at a time, alongside Graph's (each API paced on its own).
        const viaTeams = grants.flatMap((g, i) => (g.policyType === 'TeamsCallingPolicy' ? [] : [i]));
        const workers = Array.from({ length: Math.min(TEAMS_GRANTS_AT_ONCE, viaTeams.length) }, async () => {
          for (let i = viaTeams.shift(); i !== undefined; i = viaTeams.shift()) results[i] = await teamsGrant(grants[i]!);
        });
        await Promise.all([viaGraphDone, ...workers]);
        return results;
      },
    };
  };
}
