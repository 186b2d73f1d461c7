/**
 * Use case: the Global Admin presses "Sync now" (or "Final sync") on the integration page. After the link and CSRF
 * checks, a single-use state bound to account, GA, purpose `sync` and this browser (with the PKCE verifier and
 * nonce) is stored, and the GA goes on to Microsoft's delegated sign-in for the sync's permissions.
 */
import { AuthorizeForm, Redirect } from '../activation/startActivation';
import { ActivationDeps } from '../activation/deps';
import { openIntegrationLink } from '../activation/openIntegrationLink';
import { fail, ok, Result } from '../domain/errors';
import { SyncTrigger } from '../domain/syncRun';
import { canSync } from '../domain/syncStart';
import { LinkClaims } from '../security/signedLinks';
import { bindingOf, randomValue } from '../security/browserBinding';

/** Where the sync was started from: the portal's link, a sync email's link, or the page reached from any link. */
export const triggerOf = (claims: LinkClaims): SyncTrigger =>
  claims.purpose !== 'sync' ? 'page' : claims.via === 'portal' ? 'portal' : 'emailLink';

export async function startSyncSignIn(deps: ActivationDeps, form: AuthorizeForm): Promise<Result<Redirect>> {
  const opened = await openIntegrationLink(deps, form.link);
  if (!opened.ok) return opened;
  const { account } = opened.value.stored;
  if (!deps.csrf.verify(form.csrfCookie, form.csrfToken, account.accountId)) {
    return fail('CSRF_TOKEN_INVALID', 'The form could not be verified. Open the link from your email again and retry.');
  }
  const allowed = canSync(account);
  if (!allowed.ok) return allowed;

  const now = deps.now();
  // A portal link starts one Microsoft round trip: recorded before it begins, so a replayed link starts nothing.
  // Email links stay usable until they expire (the GA may need a second try from the same email).
  if (opened.value.claims.purpose === 'sync' && opened.value.claims.via === 'portal') {
    const used = await deps.sessions.useLink(opened.value.linkId, opened.value.expiresAt, now);
    if (!used.ok) return used;
  }
  const flowCookie = form.flowCookie ?? randomValue();
  const state = randomValue();
  const signIn = await deps.microsoft.syncSignInUrl(state, account.tenantId as string);
  await deps.sessions.create({
    state,
    purpose: 'sync',
    accountId: account.accountId,
    globalAdminId: account.globalAdmin.portalUserId,
    browserBinding: bindingOf(flowCookie),
    codeVerifier: signIn.codeVerifier,
    nonce: signIn.nonce,
    trigger: triggerOf(opened.value.claims),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.stateTtlMinutes * 60_000).toISOString(),
  });
  return ok({ location: signIn.url, flowCookie });
}
