/** Use case: one page of an account's sync runs, newest first. */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { ok, Result } from '../domain/errors';
import { SyncRun } from '../domain/syncRun';
import { SyncRunStore } from './ports';

export interface SyncRunsDeps {
  accounts: Pick<AccountStore, 'get'>;
  syncRuns: Pick<SyncRunStore, 'list' | 'get'>;
}

export interface SyncRunsPage {
  accountId: string;
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
  runs: SyncRun[];
}

export async function listSyncRuns(deps: SyncRunsDeps, accountId: string, page: number, pageSize: number): Promise<Result<SyncRunsPage>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const { runs, total } = await deps.syncRuns.list(accountId, { page, pageSize });
  return ok({ accountId, page, pageSize, total, totalPages: Math.ceil(total / pageSize), runs });
}
