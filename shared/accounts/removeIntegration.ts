/** Use case: the provider removes the integration; the GA is told, and a final sync is queued when Teams needs one. */
import { Account, requestRemoval } from '../domain/account';
import { ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { IfMatch, staleVersion } from '../domain/version';
import { OutboxMessage } from '../email/outboxMessage';
import { signalQueued } from '../email/outboxSignal';
import { OutboxSignal } from '../email/ports';
import { loadAccount } from './loadAccount';
import { emailsFor, NotificationDeps } from './notifications';
import { AccountStore } from './ports';

export interface RemoveDeps extends NotificationDeps {
  store: AccountStore;
  signal: OutboxSignal;
  now: () => Date;
}

export interface RemoveOutcome {
  account: Account;
  /** Why the emails the removal queued could not be signalled (the outbox timer sends them); for the log. */
  signalFailure?: string;
}

export async function removeIntegration(deps: RemoveDeps, accountId: string, ifMatch?: IfMatch): Promise<Result<RemoveOutcome>> {
  const saved = await retryOnConflict(async (): Promise<Result<{ account: Account; queued: OutboxMessage[] }>> => {
    const now = deps.now();
    const loaded = await loadAccount(deps.store, accountId);
    if (!loaded.ok) return loaded;
    const stored = loaded.value;
    if (typeof ifMatch === 'number' && stored.account.version !== ifMatch) return staleVersion('account', stored.account.version);
    const change = requestRemoval(stored.account, now);
    if (!change.ok) return change;
    if (!change.value.changed) return ok({ account: stored.account, queued: [] });
    const outbox = await emailsFor(change.value.account, change.value.events, deps, now);
    const written = await deps.store.save(change.value.account, stored.etag, outbox);
    return written.ok ? ok({ account: written.value.account, queued: outbox }) : written;
  }, 'The account is being changed by someone else; retry shortly.');
  if (!saved.ok) return saved;
  const signalFailure = await signalQueued(deps.signal, accountId, saved.value.queued);
  return ok(signalFailure ? { account: saved.value.account, signalFailure } : { account: saved.value.account });
}
