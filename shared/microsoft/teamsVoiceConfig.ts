/**
 * The integration's tenant-level Teams voice objects over the Teams admin API (TeamsVoiceConfig port): what
 * `Get-/New-/Set-CsOnlineVoiceRoutingPolicy`, `…TeamsCallingPolicy` and `Set-CsOnlinePstnUsage` send.
 * `GET/POST /Skype.Policy/configurations/{type}`, `PUT …/{type}/configuration/{Identity}` (the body without Identity),
 * the Global PSTN usage list updated with `{"Usage":{"add":[…]}}`. Paced like the sync's writes (shared/microsoft/pacing.ts):
 * a call waits its turn in the tenant's bucket; after a 429 nothing more goes in this activity (a transient failure,
 * retried by the activity retry); a 5xx is sent again in place (UNAVAILABLE_RETRY).
 */
import { ok, Result } from '../domain/errors';
import { ActualTenantConfig } from '../domain/tenantVoiceConfig';
import { RequestIds } from '../sync/teamsVoice';
import { TeamsVoiceConfigFor } from '../sync/tenantVoiceConfig';
import { Pacing, StepPacing } from './pacing';
import { TeamsAdminAnswer, TeamsAdminSettings, teamsAdminClient } from './teamsAdminApi';

/** The longest the calls of one activity wait for their turns in all. */
const PACING_MS = 20_000;
/**
 * Every call here is idempotent (reads, set-adds, creates that take 409 as done), so a 5xx is sent again in place: an
 * activity makes up to a dozen calls, and one lost attempt of the activity retry per flaky call would use them up.
 */
const UNAVAILABLE_RETRY = { times: 2, maxWaitMs: 5_000 };

const CONFIG = '/Skype.Policy/configurations';
const ids = (a: Result<TeamsAdminAnswer>): Result<RequestIds> =>
  a.ok ? ok({ clientRequestId: a.value.clientRequestId, requestId: a.value.requestId }) : a;
const nameOf = (identity: unknown): string => String(identity ?? '').replace(/^tag:/i, '');
/** Policies are addressed as `Tag:{name}`; a voice route by its plain name. */
const identityOf = (type: string, name: string): string => (type === 'OnlineVoiceRoute' ? name : `Tag:${name}`);

export function teamsVoiceConfig(settings: TeamsAdminSettings & { pacing?: Pacing }): TeamsVoiceConfigFor {
  return (access) => {
    const pace = new StepPacing(settings.pacing, access.tenantId, PACING_MS);
    const api = teamsAdminClient(
      settings,
      access,
      {
        turn: () => pace.turn('teamsAdmin', 1),
        throttled: (seconds) => pace.throttled('teamsAdmin', seconds),
      },
      UNAVAILABLE_RETRY,
    );
    return {
      async read(wanted) {
        const usages = await api.call('GET', `${CONFIG}/OnlinePstnUsages/configuration/Global`, undefined, {
          what: 'the PSTN usages',
          permanent: 'TEAMS_READ_FAILED',
        });
        if (!usages.ok) return usages;
        const objects: Array<ActualTenantConfig['objects'][number]> = [];
        for (const type of [...new Set(wanted.map((w) => w.type))]) {
          const list = await api.call('GET', `${CONFIG}/${type}`, undefined, { what: `the ${type} list`, permanent: 'TEAMS_READ_FAILED' });
          if (!list.ok) return list;
          const names = new Set(wanted.filter((w) => w.type === type).map((w) => w.name.toLowerCase()));
          for (const o of (Array.isArray(list.value.body) ? list.value.body : []) as Array<Record<string, unknown>>) {
            const name = nameOf(o.Identity);
            if (names.has(name.toLowerCase())) objects.push({ type, name, fields: o });
          }
        }
        const usage = (usages.value.body as { Usage?: unknown } | undefined)?.Usage;
        return ok({ pstnUsages: Array.isArray(usage) ? usage.map(String) : [], objects });
      },

      async addPstnUsage(name) {
        return ids(
          await api.call(
            'PUT',
            `${CONFIG}/OnlinePstnUsages/configuration/Global`,
            { Usage: { add: [name] } },
            {
              what: 'the PSTN usage list',
              permanent: 'TEAMS_WRITE_REFUSED',
            },
          ),
        );
      },

      async create(type, name, fields) {
        const created = await api.call(
          'POST',
          `${CONFIG}/${type}`,
          { Identity: name, ...fields },
          {
            what: `the ${type} ${name}`,
            permanent: 'TEAMS_WRITE_REFUSED',
          },
        );
        // Created by an earlier attempt: the next sync compares its fields.
        if (!created.ok && (created.error.details as { status?: number } | undefined)?.status === 409) {
          const d = created.error.details as { clientRequestId?: string; requestId?: string | null };
          return ok({ clientRequestId: d.clientRequestId ?? '', requestId: d.requestId ?? null });
        }
        return ids(created);
      },

      async remove(type, name) {
        const removed = await api.call(
          'DELETE',
          `${CONFIG}/${type}/configuration/${encodeURIComponent(identityOf(type, name))}`,
          undefined,
          {
            what: `the ${type} ${name}`,
            permanent: 'TEAMS_WRITE_REFUSED',
          },
        );
        // Gone already (removed before, or by an admin): nothing to do.
        if (!removed.ok && (removed.error.details as { status?: number } | undefined)?.status === 404) {
          const d = removed.error.details as { clientRequestId?: string; requestId?: string | null };
          return ok({ clientRequestId: d.clientRequestId ?? '', requestId: d.requestId ?? null });
        }
        return ids(removed);
      },

      async removePstnUsage(name) {
        return ids(
          await api.call(
            'PUT',
            `${CONFIG}/OnlinePstnUsages/configuration/Global`,
            { Usage: { remove: [name] } },
            {
              what: 'the PSTN usage list',
              permanent: 'TEAMS_WRITE_REFUSED',
            },
          ),
        );
      },

      async update(type, name, fields) {
        return ids(
          await api.call('PUT', `${CONFIG}/${type}/configuration/${encodeURIComponent(identityOf(type, name))}`, fields, {
            what: `the ${type} ${name}`,
            permanent: 'TEAMS_WRITE_REFUSED',
          }),
        );
      },
    };
  };
}
