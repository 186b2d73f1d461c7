/**
 * The account a use case works on, or ACCOUNT_NOT_FOUND. A removed account counts as gone everywhere (only a new
 * PUT enables it afresh), so every route answers the same for it.
 */
import { fail, ok, Result } from '../domain/errors';
import { AccountStore, StoredAccount } from './ports';

export async function loadAccount(store: Pick<AccountStore, 'get'>, accountId: string): Promise<Result<StoredAccount>> {
  const stored = await store.get(accountId);
  return stored && stored.account.state !== 'removed' ? ok(stored) : fail('ACCOUNT_NOT_FOUND', `There is no account ${accountId}.`);
}
