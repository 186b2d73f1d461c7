/**
 * Use case: a signed email link is opened. The link must be valid, unexpired, and still belong to the account's
 * current Global Admin (a link kept by a previous GA opens nothing).
 */
import { StoredAccount } from '../accounts/ports';
import { Account } from '../domain/account';
import { emailDigest } from '../http/signedLinks';
import { fail, ok, Result } from '../domain/errors';
import { ActivationDeps } from './deps';

export interface OpenedLink {
  stored: StoredAccount;
  /** The link itself, carried in the page's forms. */
  link: string;
}

export async function openIntegrationPage(
  deps: Pick<ActivationDeps, 'links' | 'store' | 'now'>,
  link: string,
): Promise<Result<OpenedLink>> {
  const check = await deps.links.verify(link, deps.now());
  if (!check.valid) {
    return check.reason === 'expired'
      ? fail('LINK_EXPIRED', 'This link has expired.')
      : fail('LINK_INVALID', 'This link is not valid: it was changed or was not issued by us.');
  }
  const stored = await deps.store.get(check.claims.accountId);
  if (!stored || stored.account.state === 'removed') return fail('LINK_INVALID', 'This link points to an account that no longer exists.');
  const ga = stored.account.globalAdmin;
  if (ga.portalUserId !== check.claims.globalAdminId || emailDigest(ga.email) !== check.claims.globalAdminEmailDigest) {
    return fail('LINK_SUPERSEDED', 'This link was sent to a previous Global Admin of the account, or to an address no longer theirs.');
  }
  return ok({ stored, link });
}

/** A fresh link to the page for the account's current GA (after a Microsoft round trip, which cannot carry ours). */
export async function freshPageUrl(deps: Pick<ActivationDeps, 'links' | 'integrationPageUrl' | 'now'>, account: Account): Promise<string> {
  const { portalUserId, email } = account.globalAdmin;
  const link = await deps.links.sign(
    { purpose: 'integration', accountId: account.accountId, globalAdminId: portalUserId, globalAdminEmail: email },
    deps.now(),
  );
  return `${deps.integrationPageUrl}?link=${encodeURIComponent(link)}`;
}
