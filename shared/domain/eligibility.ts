/**
 * Which Teams users the provider may map voice users to, decided from what app-only Graph shows of a user: the
 * account flag, the department and the service plans (`assignedPlans`). Service plans, not SKUs: Teams Phone comes
 * alone (MCOEV) or inside E5/A5, Teams Rooms and "Teams Phone with Calling Plan" bundles.
 *
 * - eligible = account enabled AND an active Teams Phone plan AND no active Calling Plan AND not a resource account.
 * - "active" = capabilityStatus Enabled or Warning. Warning is Microsoft's grace period after a subscription lapses:
 *   the service keeps working, so a Teams Phone in Warning still counts (dropping the user would make the next sync
 *   unassign a working number), and a Calling Plan in Warning still routes the user's calls through Microsoft.
 *   Suspended, LockedOut and Deleted do not count.
 * - resource account = department "Microsoft Communication Application Instance" (what Teams sets and its
 *   troubleshooting page checks) or a Teams Phone Resource Account plan (MCOEV_VIRTUALUSER). Whether it serves an auto
 *   attendant or a call queue is not visible to app-only Graph (it is the application instance's application id, read
 *   through the Teams admin API), so the kind is recorded as unknown.
 * Plan ids: Microsoft's "Product names and service plan identifiers for licensing" (see the reference, section 2a).
 */

/** Teams Phone service plans: MCOEV (commercial, also in E5/A5 bundles) and MCOEV_GOV (GCC). */
export const TEAMS_PHONE_PLANS: Readonly<Record<string, string>> = {
  '4828c8ec-dc2e-4779-b502-87ac9ce28ab7': 'MCOEV',
  'db23fce2-a974-42ef-9002-d78dd42a0f22': 'MCOEV_GOV',
};

/** Microsoft Calling Plan service plans: a user holding one gets PSTN from Microsoft, not from the provider. */
export const CALLING_PLAN_PLANS: Readonly<Record<string, string>> = {
  '4ed3ff63-69d7-4fb7-b984-5aec7f605ca8': 'MCOPSTN1',
  '5a10155d-f5c1-411a-a8ec-e99aae125390': 'MCOPSTN2',
  '54a152dc-90de-4996-93d2-bc47e670fc06': 'MCOPSTN5',
  '346d83bf-6fe6-42ca-b424-b9300d2e21bf': 'MCOPSTN6',
  '156a1efe-17cd-4b03-9f17-2eb512298fb3': 'MCOPSTN_PAYG_1',
  '6b340437-d6f9-4dc5-8cc2-99163f7f83d6': 'MCOPSTN3',
  '7861360b-dc3b-4eba-a3fc-0d323a035746': 'MCOPSTNEAU',
};

/** Microsoft Teams Phone Resource Account (PHONESYSTEM_VIRTUALUSER) service plan. */
export const RESOURCE_ACCOUNT_PLAN = 'f47330e9-c134-43b3-9993-e7f004506889';
export const RESOURCE_ACCOUNT_DEPARTMENT = 'Microsoft Communication Application Instance';

/** capabilityStatus values that mean "the service works" (Warning = grace period). */
const ACTIVE_STATUSES = ['enabled', 'warning'];
/** Best first, to report one status when a plan comes from several licences. */
const STATUS_ORDER = ['enabled', 'warning', 'suspended', 'lockedout', 'deleted'];

export interface AssignedPlan {
  servicePlanId: string;
  capabilityStatus: string;
}

/** The user properties discovery reads from Graph (`$select`). */
export interface DirectoryUser {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  department: string | null;
  accountEnabled: boolean | null;
  assignedPlans: AssignedPlan[];
}

export type IneligibleReason = 'resourceAccount' | 'accountDisabled' | 'noTeamsPhone' | 'callingPlan';
/** Auto attendant vs call queue is not visible to app-only Graph: always 'unknown' from discovery. */
export type ResourceAccountKind = 'autoAttendant' | 'callQueue' | 'unknown';

export interface Classification {
  eligible: boolean;
  /** Why not, first reason in the order resource account, disabled, no Teams Phone, Calling Plan; null when eligible. */
  ineligibleReason: IneligibleReason | null;
  /** capabilityStatus of the user's best Teams Phone plan (e.g. "Enabled", "Warning"), null without one. */
  teamsPhoneStatus: string | null;
  callingPlan: boolean;
  resourceAccount: boolean;
  resourceAccountKind: ResourceAccountKind | null;
}

const norm = (s: string | null | undefined): string => (s ?? '').trim().toLowerCase();

function plansOf(user: DirectoryUser, ids: Readonly<Record<string, string>> | string): AssignedPlan[] {
  const wanted = typeof ids === 'string' ? [ids] : Object.keys(ids);
  return (user.assignedPlans ?? []).filter((p) => wanted.includes(norm(p.servicePlanId)));
}

const isActive = (p: AssignedPlan): boolean => ACTIVE_STATUSES.includes(norm(p.capabilityStatus));

function bestStatus(plans: AssignedPlan[]): string | null {
  const rank = (p: AssignedPlan): number => {
    const i = STATUS_ORDER.indexOf(norm(p.capabilityStatus));
    return i < 0 ? STATUS_ORDER.length : i;
  };
  return plans.length ? [...plans].sort((a, b) => rank(a) - rank(b))[0].capabilityStatus : null;
}

export function isResourceAccount(user: DirectoryUser): boolean {
  return (
    norm(user.department) === norm(RESOURCE_ACCOUNT_DEPARTMENT) ||
    plansOf(user, RESOURCE_ACCOUNT_PLAN).some((p) => norm(p.capabilityStatus) !== 'deleted')
  );
}

export function classifyUser(user: DirectoryUser): Classification {
  const teamsPhone = plansOf(user, TEAMS_PHONE_PLANS);
  const hasTeamsPhone = teamsPhone.some(isActive);
  const resourceAccount = isResourceAccount(user);
  // A resource account's own plans are not a person's Calling Plan; counted among resource accounts only.
  const callingPlan = !resourceAccount && plansOf(user, CALLING_PLAN_PLANS).some(isActive);
  const ineligibleReason: IneligibleReason | null = resourceAccount
    ? 'resourceAccount'
    : user.accountEnabled !== true
      ? 'accountDisabled'
      : !hasTeamsPhone
        ? 'noTeamsPhone'
        : callingPlan
          ? 'callingPlan'
          : null;
  return {
    eligible: ineligibleReason === null,
    ineligibleReason,
    teamsPhoneStatus: bestStatus(teamsPhone),
    callingPlan,
    resourceAccount,
    resourceAccountKind: resourceAccount ? 'unknown' : null,
  };
}

export interface SubscribedSku {
  skuId: string;
  skuPartNumber: string;
  /** prepaidUnits.enabled */
  enabledUnits: number;
  consumedUnits: number;
}

export interface LicenceCount {
  skuId: string;
  skuPartNumber: string;
  enabled: number;
  consumed: number;
  /** Unassigned licences: enabled − consumed, never below 0 (units in warning are not counted as available). */
  available: number;
}

export function licenceCount(sku: SubscribedSku): LicenceCount {
  return {
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    enabled: sku.enabledUnits,
    consumed: sku.consumedUnits,
    available: Math.max(0, sku.enabledUnits - sku.consumedUnits),
  };
}
