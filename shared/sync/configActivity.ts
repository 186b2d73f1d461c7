/**
 * The activity-log row of one change to the tenant's own objects (trunk, route, policies, usage, DNS): not about a
 * user, keyed by the kind and the object (`config-{kind}-{target}`) so a step that runs again rewrites the same row.
 */
import { Result } from '../domain/errors';
import { RunRef } from './contract';
import { ActivityEntry } from './ports';
import { RequestIds } from './teamsVoice';

export function configEntry(
  ref: RunRef,
  change: { kind: string; target: string; before?: unknown; after?: unknown },
  result: Result<unknown>,
  at: string,
): ActivityEntry {
  const ids = (result.ok ? result.value : result.error.details) as Partial<RequestIds> | null | undefined;
  const text = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
  return {
    accountId: ref.accountId,
    runId: ref.runId,
    entryId: `config-${change.kind}-${encodeURIComponent(change.target)}`,
    at,
    teamsUserId: '',
    voiceUserIds: [],
    kind: change.kind,
    target: change.target,
    before: text(change.before),
    after: text(change.after),
    result: result.ok ? 'succeeded' : 'failed',
    clientRequestId: ids?.clientRequestId ?? null,
    requestId: ids?.requestId ?? null,
    error: result.ok ? null : { code: result.error.code, message: result.error.message },
  };
}
