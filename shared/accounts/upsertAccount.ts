/** Use case: the provider creates or updates an account; the emails the change causes are queued with it. */
import { Account, AccountInput, enableAccount, ProviderSettings, updateAccount } from '../domain/account';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { IfMatch } from '../domain/version';
import { emailsFor, NotificationDeps } from './notifications';
import { AccountStore } from './ports';

export interface UpsertDeps extends NotificationDeps {
  store: AccountStore;
  defaults: ProviderSettings;
  now: () => Date;
}

export interface UpsertOutcome {
  account: Account;
  created: boolean;
  changed: boolean;
}

/** `ifMatch` is the account version the caller last saw (from the ETag), `any` (must exist) or undefined (no check). */
export function upsertAccount(deps: UpsertDeps, accountId: string, input: AccountInput, ifMatch?: IfMatch): Promise<Result<UpsertOutcome>> {
  // A lost race on the row is retried with fresh data; a stale If-Match is the caller's to resolve.
  return retryOnConflict(async () => {
    const now = deps.now();
    const stored = await deps.store.get(accountId);
    if ((ifMatch === 'any' && !stored) || (typeof ifMatch === 'number' && stored?.account.version !== ifMatch)) {
      return fail('STALE_ETAG', 'The account changed since you read it; read it again and retry.', {
        currentVersion: stored?.account.version ?? null,
      });
    }
    const change = stored
      ? updateAccount(stored.account, input, deps.defaults, now)
      : ok(enableAccount(accountId, input, deps.defaults, now));
    if (!change.ok) return change;
    if (!change.value.changed) return ok({ account: change.value.account, created: false, changed: false });
    const outbox = await emailsFor(change.value.account, change.value.events, deps, now);
    const saved = await deps.store.save(change.value.account, stored?.etag ?? null, outbox);
    return saved.ok ? ok({ account: saved.value.account, created: !stored, changed: true }) : saved;
  }, 'The account is being changed by someone else; retry shortly.');
}
