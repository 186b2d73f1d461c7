/**
 * PLACEHOLDER — replaced at merge by the run's real entry point (issue 11, the run). Same signature: the sync
 * sign-in is coded against it and starts nothing until then.
 */
import { fail, Result } from '../domain/errors';
import { SyncTrigger } from '../domain/syncRun';

export interface StartSyncRequest {
  accountId: string;
  trigger: SyncTrigger;
  /** The Global Admin's portal user id. */
  startedBy: string;
  /** One delegated access token per resource (Graph, the Teams admin API); kept out of every log and row. */
  tokens: { resource: string; accessToken: string; expiresOn: Date }[];
}

/** Placeholder: the real deps come with the merge. */
export interface StartSyncDeps {
  durable: unknown;
}

export async function startSync(deps: StartSyncDeps, request: StartSyncRequest): Promise<Result<{ runId: string }>> {
  void deps;
  void request;
  return Promise.resolve(fail('SYNC_NOT_AVAILABLE', 'Sync runs cannot be started yet.'));
}
