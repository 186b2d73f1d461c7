/**
 * Use case: an account as the portal reads it — the account, its latest discovery, its mapping's summary and the
 * sync run in progress.
 */
import { currentDiscovery, CurrentDiscoveryDeps } from '../discovery/currentDiscovery';
import { DiscoveryStatus } from '../discovery/ports';
import { Account } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { MappingSummary } from '../domain/mapping';
import { SyncRun } from '../domain/syncRun';
import { VoiceUserStore } from '../mapping/ports';
import { SyncRunStore } from '../sync/ports';
import { loadAccount } from './loadAccount';
import { AccountStore } from './ports';

export interface AccountOverview {
  account: Account;
  /** Undefined before the first discovery. */
  discovery: DiscoveryStatus | undefined;
  mapping: MappingSummary;
  /** The sync run in progress, from the syncRuns table (the runs are the truth, not a copy on the account). */
  runningRun: SyncRun | undefined;
}

export interface GetAccountDeps extends CurrentDiscoveryDeps {
  store: AccountStore;
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
  syncRuns: Pick<SyncRunStore, 'running'>;
}

export async function getAccount(deps: GetAccountDeps, accountId: string): Promise<Result<AccountOverview>> {
  const loaded = await loadAccount(deps.store, accountId);
  if (!loaded.ok) return loaded;
  const [discovery, mapping, runningRun] = await Promise.all([
    currentDiscovery(deps, accountId, loaded.value.account),
    deps.voiceUsers.summary(accountId),
    deps.syncRuns.running(accountId),
  ]);
  return ok({ account: loaded.value.account, discovery, mapping: mapping.summary, runningRun });
}
