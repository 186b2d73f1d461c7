/**
 * Use case: Microsoft redirects back from admin consent. An error is turned into its reason code; a success is
 * NOT trusted for the tenant (the `tenant` query value can be forged) and leads straight into a sign-in, which
 * proves the tenant and the person.
 */
import { refusalForMicrosoftError } from '../domain/activation';
import { loadAccount } from '../accounts/loadAccount';
import { ok } from '../domain/errors';
import { randomValue } from '../security/browserBinding';
import { aadstsIn, backTo, CallbackResult, consumeState, refused } from './callbacks';
import { ActivationDeps } from './deps';

export interface ConsentCallback {
  state?: string;
  error?: string;
  errorDescription?: string;
  adminConsent?: string;
  flowCookie?: string;
}

export async function completeConsent(deps: ActivationDeps, cb: ConsentCallback): Promise<CallbackResult> {
  const session = await consumeState(deps, cb.state, 'adminConsent', cb.flowCookie);
  if (!session.ok) return refused(session.error);
  const back = await backTo(deps, session.value);
  if (cb.error) {
    const code = refusalForMicrosoftError(cb.error, cb.errorDescription);
    return refused(
      {
        code,
        message: 'Microsoft did not grant the permissions.',
        details: { microsoftError: cb.error, aadsts: aadstsIn(cb.errorDescription) },
      },
      back,
    );
  }
  if (cb.adminConsent?.toLowerCase() !== 'true') {
    return refused({ code: 'MICROSOFT_SIGN_IN_FAILED', message: 'Microsoft did not confirm the consent.' }, back);
  }

  const loaded = await loadAccount(deps.store, session.value.accountId);
  if (!loaded.ok) return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
  const stored = loaded.value;
  const now = deps.now();
  const state = randomValue();
  const signIn = await deps.microsoft.signInUrl(state, stored.account.tenantId);
  await deps.sessions.create({
    ...session.value,
    state,
    purpose: 'signIn',
    codeVerifier: signIn.codeVerifier,
    nonce: signIn.nonce,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.stateTtlMinutes * 60_000).toISOString(),
  });
  return ok(signIn.url);
}
