/** What the Microsoft callbacks share: the single-use state, the way back to the page, and refusals. */
import { refusalForMicrosoftError } from '../domain/activation';
import { DomainError, fail, Result } from '../domain/errors';
import { bindingOf } from '../security/browserBinding';
import { integrationLink } from '../accounts/integrationLink';
import { loadAccount } from '../accounts/loadAccount';
import { ActivationDeps } from './deps';
import { AuthPurpose, AuthSession } from './ports';

/** A callback's answer: where to send the browser next, or a refusal (with `details.backUrl` when one is known). */
export type CallbackResult = Result<string>;

/** The AADSTS code in Microsoft's error description (for the logs; the description itself is not logged). */
export const aadstsIn = (description: string | undefined): string | undefined => /AADSTS\d{4,9}/.exec(description ?? '')?.[0];

/** A refusal; `backUrl` is the integration page, when the request was genuine enough to know which account it was about. */
export const refused = (error: DomainError, backUrl?: string): CallbackResult => ({
  ok: false,
  error: backUrl ? { ...error, details: { ...error.details, backUrl } } : error,
});

/** Microsoft answered a sign-in with an error, or without a code: the refusal, with its reason code. */
export function signInNotCompleted(cb: { error?: string; errorDescription?: string }, backUrl?: string): CallbackResult {
  const code = cb.error ? refusalForMicrosoftError(cb.error, cb.errorDescription) : 'MICROSOFT_SIGN_IN_FAILED';
  return refused(
    {
      code,
      message: 'Microsoft did not complete the sign-in.',
      details: { microsoftError: cb.error, aadsts: aadstsIn(cb.errorDescription) },
    },
    backUrl,
  );
}

/**
 * Consumes the state (once, ever), if it was issued for this step and to this browser. The store checks purpose and
 * browser binding before it marks the state used (AuthSessionStore.consume): a state seen elsewhere spoils nothing.
 */
export async function consumeState(
  deps: Pick<ActivationDeps, 'sessions' | 'now'>,
  state: string | undefined,
  purpose: AuthPurpose,
  flowCookie: string | undefined,
): Promise<Result<AuthSession>> {
  if (!state) return fail('STATE_UNKNOWN', 'The answer from Microsoft carries no sign-in request.');
  return deps.sessions.consume(state, { purpose, browserBinding: flowCookie ? bindingOf(flowCookie) : null, now: deps.now() });
}

/** The integration page for the GA the session was started for, while they still are the account's GA. */
export async function backTo(deps: ActivationDeps, session: AuthSession): Promise<string | undefined> {
  const loaded = await loadAccount(deps.store, session.accountId);
  if (!loaded.ok || loaded.value.account.globalAdmin.portalUserId !== session.globalAdminId) return undefined;
  return integrationLink(deps, loaded.value.account, deps.now());
}
