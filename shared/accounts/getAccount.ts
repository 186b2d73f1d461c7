/** Use case: an account as the portal reads it — the account, its latest discovery and its mapping's summary. */
import { currentDiscovery, CurrentDiscoveryDeps } from '../discovery/currentDiscovery';
import { DiscoveryStatus } from '../discovery/ports';
import { Account } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { MappingSummary } from '../domain/mapping';
import { VoiceUserStore } from '../mapping/ports';
import { loadAccount } from './loadAccount';
import { AccountStore } from './ports';

export interface AccountOverview {
  account: Account;
  /** Undefined before the first discovery. */
  discovery: DiscoveryStatus | undefined;
  mapping: MappingSummary;
}

export interface GetAccountDeps extends CurrentDiscoveryDeps {
  store: AccountStore;
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
}

export async function getAccount(deps: GetAccountDeps, accountId: string): Promise<Result<AccountOverview>> {
  const loaded = await loadAccount(deps.store, accountId);
  if (!loaded.ok) return loaded;
  const [discovery, mapping] = await Promise.all([
    currentDiscovery(deps, accountId, loaded.value.account),
    deps.voiceUsers.summary(accountId),
  ]);
  return ok({ account: loaded.value.account, discovery, mapping: mapping.summary });
}
