/** Use case: one sync run of an account. */
import { loadAccount } from '../accounts/loadAccount';
import { fail, ok, Result } from '../domain/errors';
import { SyncRun } from '../domain/syncRun';
import { SyncRunsDeps } from './listSyncRuns';

export async function getSyncRun(deps: SyncRunsDeps, accountId: string, runId: string): Promise<Result<SyncRun>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  // Run ids are GUIDs, issued in lower case: any spelling names the same run.
  const stored = await deps.syncRuns.get(accountId, runId.toLowerCase());
  return stored ? ok(stored.run) : fail('SYNC_RUN_NOT_FOUND', `The account ${accountId} has no sync run ${runId}.`, { runId });
}
