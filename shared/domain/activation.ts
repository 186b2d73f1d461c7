/**
 * Activation rules: who may start it, what a Microsoft sign-in must prove before the account is bound to a tenant
 * (tenant from the validated ID token, Global Administrator role, the same person as the bound GA), and how
 * Microsoft's error answers become our reason codes.
 */
import { Account, transition } from './account';
import { ErrorCode, fail, ok, Result } from './errors';

/** Entra built-in role "Global Administrator" (role template id, the same in every tenant). */
export const GLOBAL_ADMIN_ROLE_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';

/** What a validated Microsoft sign-in tells us about the person. */
export interface MicrosoftIdentity {
  tenantId: string;
  objectId: string;
  username: string;
  displayName: string;
  /** Directory role template ids the user holds (from `wids` or Graph memberOf). */
  roleTemplateIds: string[];
}

export function canActivate(account: Account): Result<Account> {
  if (account.state === 'removalPending' || account.state === 'removed') {
    return fail('ACTIVATION_NOT_AVAILABLE', 'The integration is being removed from this account; it cannot be activated.', {
      state: account.state,
    });
  }
  return ok(account);
}

const sameId = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

/** Checks a sign-in against the account; every refusal has its own code so support can tell them apart. */
export function checkSignIn(account: Account, who: MicrosoftIdentity): Result<MicrosoftIdentity> {
  if (account.tenantId !== null && !sameId(account.tenantId, who.tenantId)) {
    return fail('TENANT_MISMATCH', 'You signed in to a different Microsoft tenant than the one this account is linked to.', {
      expectedTenantId: account.tenantId,
      signedInTenantId: who.tenantId,
    });
  }
  if (!who.roleTemplateIds.some((id) => id.toLowerCase() === GLOBAL_ADMIN_ROLE_TEMPLATE_ID)) {
    return fail('NOT_GLOBAL_ADMIN', 'The Microsoft account you signed in with is not a Global Administrator of its tenant.');
  }
  if (account.globalAdminObjectId !== null && !sameId(account.globalAdminObjectId, who.objectId)) {
    return fail('GLOBAL_ADMIN_MISMATCH', 'You signed in as a different Global Administrator than the one bound to this account.');
  }
  return ok(who);
}

/** The account is bound to this tenant (proved by its Global Admin's sign-in), compared without case. */
export const boundToTenant = (account: Account, tenantId: string): boolean => account.tenantBound && sameId(account.tenantId, tenantId);

/** How long a tenant claim counts before its account is bound to the tenant (the sign-in binding right after it). */
export const TENANT_CLAIM_GRACE_MS = 5 * 60_000;

/**
 * A tenant link counts while its account is bound to that tenant, or while it is young enough to be a sign-in that is
 * binding it right now. Any other link was left by a sign-in that lost its race or stopped half-way: it is abandoned.
 */
export function tenantLinkAbandoned(holder: Account | null, tenantId: string, claimedAt: Date, now: Date): boolean {
  if (holder && boundToTenant(holder, tenantId)) return false;
  return now.getTime() - claimedAt.getTime() >= TENANT_CLAIM_GRACE_MS;
}

/**
 * Binds the tenant and the GA's Microsoft identity; an invited account becomes consented (discovery follows).
 * Null when everything is bound already (a repeat sign-in changes nothing, so the provider's ETag stays valid).
 */
export function bindMicrosoftIdentity(account: Account, who: MicrosoftIdentity, now: Date): Account | null {
  const tenantId = who.tenantId.toLowerCase();
  const objectId = who.objectId.toLowerCase();
  if (account.state !== 'invited' && account.tenantBound && account.tenantId === tenantId && account.globalAdminObjectId === objectId) {
    return null;
  }
  const moved = account.state === 'invited' ? transition(account, 'consented', now) : ok({ ...account, version: account.version + 1 });
  if (!moved.ok) return null; // unreachable: invited → consented is always allowed
  return {
    ...moved.value,
    tenantId,
    tenantBound: true,
    globalAdminObjectId: objectId,
    actionNeeded: account.actionNeeded === 'activate' ? 'none' : account.actionNeeded,
    updatedAt: now.toISOString(),
  };
}

/**
 * Maps an OAuth error redirect to a reason code. Microsoft asks apps to branch on `error`; the AADSTS code in the
 * description is the only way to tell "declined" from "needs approval" from "needs MFA", so both are read.
 */
export function refusalForMicrosoftError(error: string, description = ''): ErrorCode {
  const aadsts = /AADSTS(\d+)/.exec(description)?.[1];
  if (aadsts === '65004') return 'CONSENT_DECLINED';
  if (aadsts === '90094' || aadsts === '90095') return 'ADMIN_APPROVAL_REQUIRED';
  if (aadsts === '50076' || aadsts === '50079') return 'MFA_REQUIRED';
  if (error === 'access_denied' || error === 'consent_required') return 'CONSENT_DECLINED';
  if (error === 'interaction_required') return 'MFA_REQUIRED';
  return 'MICROSOFT_SIGN_IN_FAILED';
}
