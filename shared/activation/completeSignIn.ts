/**
 * Use case: Microsoft redirects back from the sign-in. The second factor of the double authentication: the ID
 * token's tenant must be the account's, the person a Global Administrator and, once bound, always the same person.
 * Only then are tenant and GA bound and discovery started. Any refusal changes nothing, except DISCOVERY_FAILED: the
 * binding is kept when only starting discovery failed.
 */
import { StoredAccount } from '../accounts/ports';
import { bindMicrosoftIdentity, boundToTenant, canActivate, checkSignIn, tenantLinkAbandoned } from '../domain/activation';
import { integrationLink } from '../accounts/integrationLink';
import { loadAccount } from '../accounts/loadAccount';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { StartDiscovery } from '../discovery/startDiscovery';
import { backTo, CallbackResult, consumeState, refused, signInNotCompleted } from './callbacks';
import { ActivationDeps } from './deps';
import { TenantClaim, TenantLink } from './ports';

export interface SignInCallback {
  state?: string;
  code?: string;
  error?: string;
  errorDescription?: string;
  flowCookie?: string;
}

export async function completeSignIn(deps: ActivationDeps, startDiscovery: StartDiscovery, cb: SignInCallback): Promise<CallbackResult> {
  const session = await consumeState(deps, cb.state, 'signIn', cb.flowCookie);
  if (!session.ok) return refused(session.error);
  const back = await backTo(deps, session.value);
  const code = cb.code;
  if (cb.error || !code) return signInNotCompleted(cb, back);
  if (!session.value.codeVerifier || !session.value.nonce) {
    return refused({ code: 'STATE_UNKNOWN', message: 'The sign-in request could not be read back.' }, back);
  }
  // Before the code is redeemed: a Microsoft round trip for an account that is gone would be wasted.
  if (!(await loadAccount(deps.store, session.value.accountId)).ok) {
    return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
  }
  const who = await deps.microsoft.completeSignIn({
    code,
    codeVerifier: session.value.codeVerifier,
    nonce: session.value.nonce,
  });
  if (!who.ok) return refused(who.error, back);

  // The account may have changed during the round trip: re-read and re-check on every attempt.
  let claim: TenantClaim | undefined;
  const bound = await retryOnConflict(async (): Promise<Result<StoredAccount>> => {
    const loaded = await loadAccount(deps.store, session.value.accountId);
    if (!loaded.ok) return fail('LINK_INVALID', 'The account no longer exists.');
    const stored = loaded.value;
    const { account } = stored;
    if (account.globalAdmin.portalUserId !== session.value.globalAdminId) {
      return fail('LINK_SUPERSEDED', 'The account has a new Global Admin since this sign-in started.');
    }
    const allowed = canActivate(account);
    if (!allowed.ok) return allowed;
    const checked = checkSignIn(account, who.value);
    if (!checked.ok) return checked;
    const next = bindMicrosoftIdentity(account, who.value, deps.now());
    if (!next) return ok(stored);
    if (!account.tenantBound) {
      const linked = await deps.tenantLinks.claim(who.value.tenantId, account.accountId, deps.now(), (link) =>
        abandonedLink(deps, link, who.value.tenantId),
      );
      if (!linked.ok) return linked;
      claim = linked.value;
    }
    return deps.store.save(next, stored.etag, []);
  }, 'The account was being changed at the same time; please try again.');
  if (!bound.ok) {
    // Claim and binding are one outcome: a claim whose binding lost (say, to another tenant's sign-in) is given back.
    if (claim) await releaseUnbound(deps, session.value.accountId, who.value.tenantId, claim);
    const noWayBack = bound.error.code === 'LINK_INVALID' || bound.error.code === 'LINK_SUPERSEDED';
    return refused(bound.error, noWayBack ? undefined : back);
  }
  const { account } = bound.value;
  const page = await integrationLink(deps, account, deps.now());
  try {
    await startDiscovery({ accountId: account.accountId, tenantId: account.tenantId as string });
  } catch {
    // The binding stands (it was proved); a repeat sign-in finds it bound and starts discovery. The cause is not
    // passed on: it may quote anything the orchestration client said.
    return refused(
      {
        code: 'DISCOVERY_FAILED',
        message: 'Your tenant is linked, but reading your Teams users could not be started. Press Authorize again to start it.',
      },
      page,
    );
  }
  return ok(page);
}

async function abandonedLink(deps: ActivationDeps, link: TenantLink, tenantId: string): Promise<boolean> {
  const holder = await deps.store.get(link.accountId);
  return tenantLinkAbandoned(holder?.account ?? null, tenantId, link.claimedAt, deps.now());
}

/** Releases this sign-in's claim unless the account is bound to the tenant after all (a parallel sign-in of it won). */
async function releaseUnbound(deps: ActivationDeps, accountId: string, tenantId: string, claim: TenantClaim): Promise<void> {
  const stored = await deps.store.get(accountId);
  if (stored && boundToTenant(stored.account, tenantId)) return;
  await deps.tenantLinks.release(tenantId, accountId, claim);
}
