/** Who may start a sync, and when: the account's Global Admin, on an active account or for a removal's final sync. */
import { Account } from './account';
import { fail, ok, Result } from './errors';

/** The portal actor must be the account's Global Admin: a sync acts in their Microsoft tenant on their behalf. */
export function isSyncAdmin(account: Account, actorId: string): Result<Account> {
  if (account.globalAdmin.portalUserId !== actorId) {
    return fail('NOT_SYNC_ADMIN', "Only the account's Global Admin can start a sync.");
  }
  return ok(account);
}

/** An active account syncs its mapping; a removal pending runs its final sync; any other state has nothing to sync yet. */
export function canSync(account: Account): Result<Account> {
  const bound = account.tenantBound && account.tenantId !== null && account.globalAdminObjectId !== null;
  if ((account.state === 'active' || account.state === 'removalPending') && bound) return ok(account);
  return fail(
    'SYNC_NOT_AVAILABLE',
    account.state === 'removed'
      ? 'The integration was removed from this account.'
      : 'The integration is not active yet: the Global Admin activates it from the integration page first.',
    { state: account.state },
  );
}
