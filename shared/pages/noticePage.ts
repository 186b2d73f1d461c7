/** The page shown when a link, form or Microsoft answer is refused: what happened and what to do next. */
import { ProblemCode } from '../http/problem';
import { html } from './html';
import { layout, PageBrand } from './layout';

const OPEN_AGAIN = 'Open the integration page from your most recent email and try again.';

const NOTICES: Partial<Record<ProblemCode, { title: string; next: string }>> = {
  LINK_INVALID: {
    title: 'This link is not valid',
    next: 'Use the link from your most recent email, unchanged. If it still fails, ask for a new one.',
  },
  LINK_EXPIRED: {
    title: 'This link has expired',
    next: 'Ask your provider to send a new email, or open the integration page from your provider portal.',
  },
  LINK_SUPERSEDED: {
    title: 'This link is no longer yours',
    next: 'The account has a different Global Admin now; they received a new email.',
  },
  LINK_ALREADY_USED: {
    title: 'This sync link was already used',
    next: 'A sync link from the portal starts one sync. Press Sync now in your provider portal again for a new one.',
  },
  CSRF_TOKEN_INVALID: { title: 'The form could not be verified', next: OPEN_AGAIN },
  ACTIVATION_NOT_AVAILABLE: { title: 'Activation is not available', next: 'The integration is being removed from this account.' },
  STATE_UNKNOWN: { title: 'We did not start this sign-in', next: OPEN_AGAIN },
  STATE_EXPIRED: { title: 'The sign-in took too long', next: OPEN_AGAIN },
  STATE_ALREADY_USED: {
    title: 'This sign-in was already completed',
    next: 'Open the integration page from your email to see the current state.',
  },
  STATE_WRONG_PURPOSE: { title: 'This answer belongs to another step', next: OPEN_AGAIN },
  STATE_OTHER_BROWSER: {
    title: 'The sign-in was started in another browser',
    next: 'Finish it in the browser where you pressed Authorize, with cookies allowed.',
  },
  CONSENT_DECLINED: {
    title: 'The permissions were not granted',
    next: 'Press Authorize again and accept the permissions for your organization. Nothing was changed.',
  },
  ADMIN_APPROVAL_REQUIRED: {
    title: 'An administrator must approve the permissions',
    next: 'Only a Global Administrator can grant them. Sign in as a Global Administrator of your tenant and press Authorize again.',
  },
  MFA_REQUIRED: {
    title: 'Multi-factor authentication is required',
    next: 'Complete the multi-factor sign-in Microsoft asks for, then press Authorize again.',
  },
  MICROSOFT_SIGN_IN_FAILED: { title: 'Microsoft did not complete the sign-in', next: OPEN_AGAIN },
  CODE_EXCHANGE_FAILED: { title: 'Microsoft did not confirm the sign-in', next: OPEN_AGAIN },
  ID_TOKEN_INVALID: { title: 'The Microsoft sign-in could not be verified', next: OPEN_AGAIN },
  TENANT_MISMATCH: {
    title: 'You signed in to a different Microsoft tenant',
    next: 'Sign in with a Global Administrator account of the tenant this account is linked to. If the tenant is wrong, contact your provider.',
  },
  TENANT_ALREADY_LINKED: {
    title: 'This Microsoft tenant is linked to another account',
    next: 'Each Microsoft tenant can serve one account. Contact your provider to find out which account uses it.',
  },
  NOT_GLOBAL_ADMIN: {
    title: 'A Global Administrator is needed',
    next: 'Sign in with an account that holds the Global Administrator role in Microsoft Entra ID.',
  },
  DISCOVERY_FAILED: {
    title: 'Reading your Teams users could not start',
    next: 'Your Microsoft tenant is linked to this account. Go back to the integration page and press Authorize again to start reading your Teams users.',
  },
  SYNC_NOT_AVAILABLE: {
    title: 'A sync cannot be started',
    next: 'Nothing was changed in Microsoft Teams. Open the integration page to see what the integration needs first.',
  },
  SYNC_RUNNING: {
    title: 'A sync is already running',
    next: 'Wait for it to finish: the integration page shows its progress. Nothing else was started.',
  },
  TEAMS_ADMIN_CONSENT_MISSING: {
    title: 'The Teams admin permission was not granted',
    next: 'Press Sync now again and accept the permissions, including the Teams admin API, for your organization. Nothing was changed.',
  },
  GLOBAL_ADMIN_MISMATCH: {
    title: 'A different Global Administrator is bound to this account',
    next: 'Sign in with the Microsoft account used when the integration was first activated, or ask your provider to reassign the Global Admin.',
  },
};

export function renderNotice(brand: PageBrand, code: ProblemCode, detail: string, backUrl?: string, correlationId?: string): string {
  const notice = NOTICES[code] ?? { title: 'Something went wrong', next: OPEN_AGAIN };
  const body = html`<h1>${notice.title}</h1>
    <div class="error" role="alert"><p>${detail}</p></div>
    <p>${notice.next}</p>
    ${backUrl ? html`<p><a href="${backUrl}">Back to the integration page</a></p>` : ''}
    <p><small>Reason: ${code}${correlationId ? html` · Reference: ${correlationId}` : ''}</small></p>`;
  return layout(brand, notice.title, body);
}
