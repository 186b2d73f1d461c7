/**
 * Reads of a customer tenant's Teams voice state (TeamsVoiceReader port) over Microsoft Graph: the users' Teams
 * configuration (`/admin/teams/userConfigurations`) and the number assignments of the lines involved
 * (`/admin/teams/telephoneNumberManagement/numberAssignments`, `$filter` on telephoneNumber). Requests by id go
 * 20 at a time in one `$batch`; more users than `listAbove` are read as the whole (paged) list instead, which costs
 * fewer calls once most of the tenant is involved. Tokens: the run's delegated Graph token from the vault, or the app's
 * own (app-only, for the preview). Failures are values with our codes; 429/5xx/network are transient. Requests wait
 * their turn in the tenant's pacing (shared/microsoft/pacing.ts) like the writes, at most READ_WAIT_MS each; a page
 * GET the Graph client's RetryHandler retries after a 429 (a read sent again changes nothing).
 */
import { NumberType } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { ActualUser, lineOf, NumberAssignment } from '../domain/syncPlan';
import { TeamsVoiceReader, VoiceAccess } from '../sync/teamsVoice';
import {
  batchHeader,
  failure,
  GraphAccessSettings,
  graphClientFor,
  microsoftFailure,
  notSent,
  retryAfterSeconds,
  thrownGraphFailure,
} from './graphAccess';
import { Pacing } from './pacing';

export interface TeamsVoiceSettings extends GraphAccessSettings {
  /** Read users one by one ($batch) up to this many; above it, the whole userConfigurations list. */
  listAbove?: number;
  /** The process's pacing of Microsoft's per-tenant limits (none: unpaced). */
  pacing?: Pacing;
}

/** The longest a read waits for its turn; past it, the read fails throttled (transient) and is asked again later. */
const READ_WAIT_MS = 20_000;

const BATCH_SIZE = 20;
/** Telephone numbers per numberAssignments `$filter` (an `or` of `eq`s; keeps the URL short). */
const NUMBERS_PER_FILTER = 10;
const USER_CONFIGURATIONS = '/admin/teams/userConfigurations';
const NUMBER_ASSIGNMENTS = '/admin/teams/telephoneNumberManagement/numberAssignments';

interface UserConfiguration {
  id: string;
  accountType?: string | null;
  isEnterpriseVoiceEnabled?: boolean | null;
  featureTypes?: string[] | null;
  telephoneNumbers?: Array<{ telephoneNumber?: string | null; assignmentCategory?: string | null }> | null;
  effectivePolicyAssignments?: Array<{
    policyType?: string | null;
    policyAssignment?: { displayName?: string | null; assignmentType?: string | null } | null;
  }> | null;
}

interface GraphNumberAssignment {
  telephoneNumber?: string | null;
  numberType?: string | null;
  assignmentTargetId?: string | null;
  assignmentStatus?: string | null;
}

interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const readFailure = (status: number, what: string, retryAfter?: string | null) =>
  microsoftFailure(status, { service: 'Microsoft Graph', what: `the reads of ${what}`, permanent: 'TEAMS_READ_FAILED', retryAfter });

const thrown = (err: unknown, what: string) => thrownGraphFailure(err, { what: `the reads of ${what}`, permanent: 'TEAMS_READ_FAILED' });

/** The directly granted policy of a type (a group or org-wide policy is not a grant we made). */
function directPolicy(c: UserConfiguration, policyType: string): string | null {
  const a = (c.effectivePolicyAssignments ?? []).find((p) => p.policyType?.toLowerCase() === policyType.toLowerCase());
  if (!a?.policyAssignment || a.policyAssignment.assignmentType !== 'direct') return null;
  const name = (a.policyAssignment.displayName ?? '').replace(/^Tag:/i, '');
  return name === '' || /^global$/i.test(name) ? null : name;
}

const primaryNumberOf = (c: UserConfiguration): string | null =>
  (c.telephoneNumbers ?? []).find((n) => (n.assignmentCategory ?? 'primary') === 'primary' && n.telephoneNumber)?.telephoneNumber ?? null;

/** Graph's number types beyond ours (a Calling Plan number) still tell who holds a line; they are never ours to move. */
const numberTypeOf = (n: GraphNumberAssignment): NumberType => (n.numberType === 'operatorConnect' ? 'operatorConnect' : 'directRouting');

function toAssignment(n: GraphNumberAssignment): NumberAssignment | null {
  const line = n.telephoneNumber ? lineOf(n.telephoneNumber) : null;
  if (!line || !n.assignmentTargetId) return null;
  return {
    ...line,
    numberType: numberTypeOf(n),
    targetId: n.assignmentTargetId,
    targetKind: n.assignmentStatus === 'voiceApplicationAssigned' ? 'resourceAccount' : 'user',
  };
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function graphTeamsVoiceReader(settings: TeamsVoiceSettings): (access: VoiceAccess) => TeamsVoiceReader {
  const graphBase = settings.graphBaseUrl.replace(/\/$/, '');
  const listAbove = settings.listAbove ?? 200;

  return (access) => {
    const graph = graphClientFor(settings, access);
    const turn = async (count: number) => (settings.pacing ? settings.pacing.take(access.tenantId, 'graphTeams', count, READ_WAIT_MS) : 0);

    /** GETs in `$batch`es of 20; one answer per url, in order. A transient inner answer fails the whole read. */
    async function batchGet(urls: readonly string[], what: string): Promise<Result<BatchResponse[]>> {
      const c = await graph();
      if (!c.ok) return c;
      const answers: BatchResponse[] = [];
      for (let i = 0; i < urls.length; i += BATCH_SIZE) {
        const requests = urls.slice(i, i + BATCH_SIZE).map((url, j) => ({ id: String(j + 1), method: 'GET', url }));
        const wait = await turn(requests.length);
        if (wait > 0) return notSent('Microsoft Graph', `the reads of ${what}`, wait);
        let responses: BatchResponse[];
        try {
          responses = ((await c.value.api('/$batch').post({ requests })) as { responses?: BatchResponse[] }).responses ?? [];
        } catch (err) {
          return thrown(err, what);
        }
        const byId = new Map(responses.map((r) => [r.id, r]));
        for (const r of requests) {
          const answer = byId.get(r.id) ?? { id: r.id, status: 500 };
          if (answer.status === 429)
            settings.pacing?.pause(access.tenantId, 'graphTeams', retryAfterSeconds(batchHeader(answer.headers, 'retry-after')) ?? 1);
          if (answer.status === 429 || answer.status >= 500) {
            return readFailure(answer.status, what, batchHeader(answer.headers, 'retry-after'));
          }
          answers.push(answer);
        }
      }
      return ok(answers);
    }

    async function configurations(ids: readonly string[]): Promise<Result<Map<string, UserConfiguration>>> {
      const found = new Map<string, UserConfiguration>();
      const wanted = new Set(ids.map((id) => id.toLowerCase()));
      if (ids.length > listAbove) {
        const c = await graph();
        if (!c.ok) return c;
        let next: string | null = `${USER_CONFIGURATIONS}?$top=999`;
        while (next) {
          const wait = await turn(1);
          if (wait > 0) return notSent('Microsoft Graph', 'the reads of the Teams user configurations', wait);
          try {
            const page = (await c.value.api(next).get()) as { value?: UserConfiguration[]; '@odata.nextLink'?: string };
            for (const u of page.value ?? []) if (wanted.has(u.id.toLowerCase())) found.set(u.id.toLowerCase(), u);
            next = page['@odata.nextLink'] ?? null;
            // Follow Graph's own link only.
            if (next && !next.startsWith(`${graphBase}/`))
              return failure('TEAMS_READ_FAILED', 'The next page link does not point to Microsoft Graph.', false);
          } catch (err) {
            return thrown(err, 'the Teams user configurations');
          }
        }
        return ok(found);
      }
      const answers = await batchGet(
        ids.map((id) => `${USER_CONFIGURATIONS}/${encodeURIComponent(id)}`),
        'the Teams user configurations',
      );
      if (!answers.ok) return answers;
      for (const [i, a] of answers.value.entries()) {
        if (a.status === 200) found.set(ids[i]!.toLowerCase(), a.body as UserConfiguration);
        else if (a.status !== 404) return readFailure(a.status, 'the Teams user configurations');
      }
      return ok(found);
    }

    async function numberAssignments(telephoneNumbers: readonly string[]): Promise<Result<NumberAssignment[]>> {
      const unique = [...new Set(telephoneNumbers)];
      const urls: string[] = [];
      for (let i = 0; i < unique.length; i += NUMBERS_PER_FILTER) {
        const filter = unique
          .slice(i, i + NUMBERS_PER_FILTER)
          .map((n) => `telephoneNumber eq ${quote(n)}`)
          .join(' or ');
        urls.push(`${NUMBER_ASSIGNMENTS}?$filter=${encodeURIComponent(filter)}&$top=1000`);
      }
      const answers = await batchGet(urls, 'the number assignments');
      if (!answers.ok) return answers;
      const result: NumberAssignment[] = [];
      for (const a of answers.value) {
        if (a.status !== 200) return readFailure(a.status, 'the number assignments');
        for (const n of (a.body as { value?: GraphNumberAssignment[] }).value ?? []) {
          const assignment = toAssignment(n);
          if (assignment) result.push(assignment);
        }
      }
      return ok(result);
    }

    return {
      numberAssignments,

      async users(teamsUserIds) {
        const configs = await configurations(teamsUserIds);
        if (!configs.ok) return configs;
        const primaries = [...configs.value.values()].flatMap((c) => {
          const n = primaryNumberOf(c);
          return n ? [n] : [];
        });
        const holders = primaries.length ? await numberAssignments(primaries) : ok([] as NumberAssignment[]);
        if (!holders.ok) return holders;
        const typeOf = new Map(
          holders.value.map((h) => [`${h.targetId.toLowerCase()}|${h.phoneNumber}|${h.extension ?? ''}`, h.numberType]),
        );
        return ok(
          teamsUserIds.map((teamsUserId): ActualUser => {
            const c = configs.value.get(teamsUserId.toLowerCase());
            if (!c) {
              return {
                teamsUserId,
                gone: true,
                eligible: false,
                callingPlan: false,
                enterpriseVoice: false,
                line: null,
                voiceRoutingPolicy: null,
                callingPolicy: null,
              };
            }
            const features = c.featureTypes ?? [];
            const primary = primaryNumberOf(c);
            const line = primary ? lineOf(primary) : null;
            return {
              teamsUserId,
              gone: false,
              eligible: c.accountType === 'user' && features.includes('PhoneSystem'),
              callingPlan: features.includes('CallingPlan'),
              enterpriseVoice: c.isEnterpriseVoiceEnabled === true,
              // Every assigned number has its number assignment; one not (yet) listed is read as Direct Routing.
              line: line
                ? {
                    ...line,
                    numberType: typeOf.get(`${teamsUserId.toLowerCase()}|${line.phoneNumber}|${line.extension ?? ''}`) ?? 'directRouting',
                  }
                : null,
              voiceRoutingPolicy: directPolicy(c, 'OnlineVoiceRoutingPolicy'),
              callingPolicy: directPolicy(c, 'TeamsCallingPolicy'),
            };
          }),
        );
      },
    };
  };
}
