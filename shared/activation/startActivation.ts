/**
 * Use case: the GA presses "Authorize" on the integration page. After the link and CSRF checks, a single-use state
 * bound to account, GA, purpose and this browser is stored, and the GA is sent to Microsoft's admin consent.
 */
import { canActivate } from '../domain/activation';
import { fail, ok, Result } from '../domain/errors';
import { bindingOf, randomValue } from '../security/browserBinding';
import { ActivationDeps } from './deps';
import { openIntegrationLink } from './openIntegrationLink';

export interface AuthorizeForm {
  link: string;
  csrfToken: string | undefined;
  csrfCookie: string | undefined;
  /** The browser's flow cookie, if it has one already (reused so parallel tabs keep working). */
  flowCookie: string | undefined;
}

export interface Redirect {
  location: string;
  /** Set on the browser to bind the OAuth state to it. */
  flowCookie: string;
}

export async function startActivation(deps: ActivationDeps, form: AuthorizeForm): Promise<Result<Redirect>> {
  const opened = await openIntegrationLink(deps, form.link);
  if (!opened.ok) return opened;
  const { account } = opened.value.stored;
  if (!deps.csrf.verify(form.csrfCookie, form.csrfToken, account.accountId)) {
    return fail('CSRF_TOKEN_INVALID', 'The form could not be verified. Open the link from your email again and retry.');
  }
  const allowed = canActivate(account);
  if (!allowed.ok) return allowed;

  const now = deps.now();
  const flowCookie = form.flowCookie ?? randomValue();
  const state = randomValue();
  await deps.sessions.create({
    state,
    purpose: 'adminConsent',
    accountId: account.accountId,
    globalAdminId: account.globalAdmin.portalUserId,
    browserBinding: bindingOf(flowCookie),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.stateTtlMinutes * 60_000).toISOString(),
  });
  return ok({ location: deps.microsoft.adminConsentUrl(account.tenantId ?? 'organizations', state), flowCookie });
}
