/**
 * Use case: a signed email link is opened. The link must be valid, unexpired, and still belong to the account's
 * current Global Admin (a link kept by a previous GA opens nothing).
 */
import { loadAccount } from '../accounts/loadAccount';
import { StoredAccount } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { emailDigest, LinkClaims } from '../security/signedLinks';
import { ActivationDeps } from './deps';

export interface OpenedLink {
  stored: StoredAccount;
  /** The link itself, carried in the page's forms. */
  link: string;
  /** What the link was issued for (a `sync` link opens the page ready to sync). */
  claims: LinkClaims;
  /** The link's id and end of life (a portal sync link is used once: see startSyncSignIn). */
  linkId: string;
  expiresAt: Date;
}

export async function openIntegrationLink(
  deps: Pick<ActivationDeps, 'links' | 'store' | 'now'>,
  link: string,
): Promise<Result<OpenedLink>> {
  const check = await deps.links.verify(link, deps.now());
  if (!check.ok) return check;
  const loaded = await loadAccount(deps.store, check.value.claims.accountId);
  if (!loaded.ok) return fail('LINK_INVALID', 'This link points to an account that no longer exists.');
  const ga = loaded.value.account.globalAdmin;
  if (ga.portalUserId !== check.value.claims.globalAdminId || emailDigest(ga.email) !== check.value.claims.globalAdminEmailDigest) {
    return fail('LINK_SUPERSEDED', 'This link was sent to a previous Global Admin of the account, or to an address no longer theirs.');
  }
  return ok({ stored: loaded.value, link, claims: check.value.claims, linkId: check.value.linkId, expiresAt: check.value.expiresAt });
}
