/** What the account use cases need from the outside world. */
import { Account } from '../domain/account';
import { Result } from '../domain/errors';
import { OutboxMessage } from '../email/outboxMessage';

export interface StoredAccount {
  account: Account;
  /** Storage concurrency token of the row as read. */
  etag: string;
}

export interface AccountStore {
  get(accountId: string): Promise<StoredAccount | undefined>;
  /**
   * Writes the account and the emails its change causes in one transaction. `etag` null means create (fails if the
   * account exists). Fails with CONCURRENT_UPDATE when someone else wrote first.
   */
  save(account: Account, etag: string | null, outbox: OutboxMessage[]): Promise<Result<StoredAccount>>;
}
