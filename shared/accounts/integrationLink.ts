/** The signed link to an account's integration page, for its current Global Admin: the one place it is built. */
import { Account } from '../domain/account';
import { LinkSigner } from '../security/signedLinks';

export interface IntegrationLinkDeps {
  links: LinkSigner;
  /** Absolute URL of the integration page, e.g. https://voice-sync.example.com/api/integration; `?link=` is appended. */
  integrationPageUrl: string;
}

export async function integrationLink(deps: IntegrationLinkDeps, account: Account, now: Date): Promise<string> {
  const { portalUserId, email } = account.globalAdmin;
  const token = await deps.links.sign(
    { purpose: 'integration', accountId: account.accountId, globalAdminId: portalUserId, globalAdminEmail: email },
    now,
  );
  return `${deps.integrationPageUrl}?link=${encodeURIComponent(token)}`;
}

/** A sync link: opens the integration page ready to sync, for `ttlSeconds` (the portal's link lives minutes). */
export async function syncLink(
  deps: IntegrationLinkDeps,
  account: Account,
  now: Date,
  options: { ttlSeconds?: number; via?: 'portal' } = {},
): Promise<string> {
  const { portalUserId, email } = account.globalAdmin;
  const token = await deps.links.sign(
    { purpose: 'sync', accountId: account.accountId, globalAdminId: portalUserId, globalAdminEmail: email, ...options },
    now,
  );
  return `${deps.integrationPageUrl}?link=${encodeURIComponent(token)}`;
}
