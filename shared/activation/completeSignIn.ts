/**
 * Use case: Microsoft redirects back from the sign-in. The second factor of the double authentication: the ID
 * token's tenant must be the account's, the person a Global Administrator and, once bound, always the same person.
 * Only then are tenant and GA bound and discovery started. Any refusal changes nothing.
 */
import { bindMicrosoftIdentity, canActivate, checkSignIn, refusalForMicrosoftError } from '../domain/activation';
import { ok } from '../domain/errors';
import { aadstsIn, backTo, CallbackOutcome, consumeState, refused } from './callbacks';
import { ActivationDeps } from './deps';
import { freshPageUrl } from './openIntegrationPage';
import { DiscoveryTrigger } from './ports';

export interface SignInCallback {
  state?: string;
  code?: string;
  error?: string;
  errorDescription?: string;
  flowCookie?: string;
}

export async function completeSignIn(deps: ActivationDeps, startDiscovery: DiscoveryTrigger, cb: SignInCallback): Promise<CallbackOutcome> {
  const session = await consumeState(deps, cb.state, 'signIn', cb.flowCookie);
  if (!session.ok) return refused(session.error);
  const back = await backTo(deps, session.value);
  if (cb.error || !cb.code) {
    const code = cb.error ? refusalForMicrosoftError(cb.error, cb.errorDescription) : 'MICROSOFT_SIGN_IN_FAILED';
    return refused(
      {
        code,
        message: 'Microsoft did not complete the sign-in.',
        details: { microsoftError: cb.error, aadsts: aadstsIn(cb.errorDescription) },
      },
      back,
    );
  }
  if (!session.value.codeVerifier || !session.value.nonce) {
    return refused({ code: 'STATE_UNKNOWN', message: 'The sign-in request could not be read back.' }, back);
  }

  const before = await deps.store.get(session.value.accountId);
  if (!before) return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
  const who = await deps.microsoft.completeSignIn({
    code: cb.code,
    codeVerifier: session.value.codeVerifier,
    nonce: session.value.nonce,
  });
  if (!who.ok) return refused(who.error, back);

  // The account may have changed during the round trip: re-read and re-check on every attempt.
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = attempt === 0 ? before : await deps.store.get(session.value.accountId);
    if (!stored) return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
    const { account } = stored;
    if (account.globalAdmin.portalUserId !== session.value.globalAdminId) {
      return refused({ code: 'LINK_SUPERSEDED', message: 'The account has a new Global Admin since this sign-in started.' });
    }
    const allowed = canActivate(account);
    if (!allowed.ok) return refused(allowed.error, back);
    const checked = checkSignIn(account, who.value);
    if (!checked.ok) return refused(checked.error, back);
    const bound = bindMicrosoftIdentity(account, who.value, deps.now());
    if (bound && !account.tenantBound) {
      const linked = await deps.tenantLinks.claim(who.value.tenantId, account.accountId);
      if (!linked.ok) return refused(linked.error, back);
    }
    const saved = bound ? await deps.store.save(bound, stored.etag, []) : ok(stored);
    if (!saved.ok && saved.error.code === 'CONCURRENT_UPDATE') continue;
    if (!saved.ok) return refused(saved.error, back);
    await startDiscovery({ accountId: account.accountId, tenantId: saved.value.account.tenantId as string });
    return { ok: true, location: await freshPageUrl(deps, saved.value.account) };
  }
  return refused({ code: 'CONCURRENT_UPDATE', message: 'The account was being changed at the same time; please try again.' }, back);
}
