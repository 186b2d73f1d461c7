/** Use case: the provider removes the integration; the GA is told, and a final sync is queued when Teams needs one. */
import { IfMatch } from '../http/etag';
import { Account, requestRemoval } from '../domain/account';
import { fail, ok, Result } from '../domain/errors';
import { emailsFor, NotificationDeps } from './notifications';
import { AccountStore } from './ports';

export interface RemoveDeps extends NotificationDeps {
  store: AccountStore;
  now: () => Date;
}

export async function removeIntegration(deps: RemoveDeps, accountId: string, ifMatch?: IfMatch): Promise<Result<Account>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.now();
    const stored = await deps.store.get(accountId);
    if (!stored) return fail('ACCOUNT_NOT_FOUND', `There is no account ${accountId}.`);
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
    if (saved.ok) return ok(saved.value.account);
    if (saved.error.code !== 'CONCURRENT_UPDATE') return saved;
  }
  return fail('CONCURRENT_UPDATE', 'The account is being changed by someone else; retry shortly.');
}
