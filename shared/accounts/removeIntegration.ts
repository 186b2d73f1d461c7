/** Use case: the provider removes the integration; the GA is told, and a final sync is queued when Teams needs one. */
import { Account, requestRemoval } from '../domain/account';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { IfMatch } from '../domain/version';
import { loadAccount } from './loadAccount';
import { emailsFor, NotificationDeps } from './notifications';
import { AccountStore } from './ports';

export interface RemoveDeps extends NotificationDeps {
  store: AccountStore;
  now: () => Date;
}

export function removeIntegration(deps: RemoveDeps, accountId: string, ifMatch?: IfMatch): Promise<Result<Account>> {
  return retryOnConflict(async () => {
    const now = deps.now();
    const loaded = await loadAccount(deps.store, accountId);
    if (!loaded.ok) return loaded;
    const stored = loaded.value;
    if (typeof ifMatch === 'number' && stored.account.version !== ifMatch) {
      return fail('STALE_ETAG', 'The account changed since you read it; read it again and retry.', {
        currentVersion: stored.account.version,
      });
    }
    const change = requestRemoval(stored.account, now);
    if (!change.ok) return change;
    if (!change.value.changed) return ok(stored.account);
    const outbox = await emailsFor(change.value.account, change.value.events, deps, now);
    const saved = await deps.store.save(change.value.account, stored.etag, outbox);
    return saved.ok ? ok(saved.value.account) : saved;
  }, 'The account is being changed by someone else; retry shortly.');
}
