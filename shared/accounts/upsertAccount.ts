/**
 * Use case: the provider creates or updates an account; the emails the change causes are queued with it, then
 * signalled for prompt delivery.
 */
import { Account, AccountInput, enableAccount, ProviderSettings, updateAccount } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { IfMatch, staleVersion } from '../domain/version';
import { OutboxMessage } from '../email/outboxMessage';
import { signalQueued } from '../email/outboxSignal';
import { OutboxSignal } from '../email/ports';
import { emailsFor, NotificationDeps } from './notifications';
import { AccountStore } from './ports';

export interface UpsertDeps extends NotificationDeps {
  store: AccountStore;
  signal: OutboxSignal;
  defaults: ProviderSettings;
  now: () => Date;
}

export interface UpsertOutcome {
  account: Account;
  created: boolean;
  changed: boolean;
  /** Why the emails the change queued could not be signalled (the outbox timer sends them); for the log. */
  signalFailure?: string;
}

/** `ifMatch` is the account version the caller last saw (from the ETag), `any` (must exist) or undefined (no check). */
export async function upsertAccount(
  deps: UpsertDeps,
  accountId: string,
  input: AccountInput,
  ifMatch?: IfMatch,
): Promise<Result<UpsertOutcome>> {
  // A lost race on the row is retried with fresh data; a stale If-Match is the caller's to resolve.
  const saved = await retryOnConflict(async (): Promise<Result<UpsertOutcome & { queued: OutboxMessage[] }>> => {
    const now = deps.now();
    const stored = await deps.store.get(accountId);
    // A removed account is gone for the caller (every read answers 404): no version of it can match.
    const live = stored && stored.account.state !== 'removed' ? stored : undefined;
    if ((ifMatch === 'any' && !live) || (typeof ifMatch === 'number' && live?.account.version !== ifMatch)) {
      return staleVersion('account', live?.account.version ?? null);
    }
    const change = stored
      ? updateAccount(stored.account, input, deps.defaults, now)
      : ok(enableAccount(accountId, input, deps.defaults, now));
    if (!change.ok) return change;
    if (!change.value.changed) return ok({ account: change.value.account, created: false, changed: false, queued: [] });
    const outbox = await emailsFor(change.value.account, change.value.events, deps, now);
    const written = await deps.store.save(change.value.account, stored?.etag ?? null, outbox);
    return written.ok ? ok({ account: written.value.account, created: !stored, changed: true, queued: outbox }) : written;
  }, 'The account is being changed by someone else; retry shortly.');
  if (!saved.ok) return saved;
  const { queued, ...outcome } = saved.value;
  const signalFailure = await signalQueued(deps.signal, accountId, queued);
  return ok(signalFailure ? { ...outcome, signalFailure } : outcome);
}
