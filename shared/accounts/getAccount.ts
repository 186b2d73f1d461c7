/** Use case: an account as the portal reads it — the account, its latest discovery and its mapping's summary. */
import { DiscoveryStatus, DiscoveryStore } from '../discovery/ports';
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

export interface GetAccountDeps {
  store: AccountStore;
  discoveries: Pick<DiscoveryStore, 'get'>;
  voiceUsers: Pick<VoiceUserStore, 'summary'>;
}

export async function getAccount(deps: GetAccountDeps, accountId: string): Promise<Result<AccountOverview>> {
  const loaded = await loadAccount(deps.store, accountId);
  if (!loaded.ok) return loaded;
  const [discovery, mapping] = await Promise.all([deps.discoveries.get(accountId), deps.voiceUsers.summary(accountId)]);
  return ok({ account: loaded.value.account, discovery, mapping: mapping.summary });
}
