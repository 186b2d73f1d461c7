/**
 * Tenant data model of the simulator: what seeds look like (JSON under this folder) and the live state
 * every service (Entra, Graph, Teams admin) reads and writes.
 */
import { detUuid } from '../util';
import demoJson from './demo.json';
import homeJson from './home.json';
import otherJson from './other.json';
import skusJson from './skus.json';

export const GLOBAL_ADMIN_ROLE = '62e90394-69f5-4237-9190-012177145e10';
export const RESOURCE_ACCOUNT_DEPARTMENT = 'Microsoft Communication Application Instance';
export const MCOEV_PLAN = '4828c8ec-dc2e-4779-b502-87ac9ce28ab7';
export const AUTO_ATTENDANT_APP_ID = 'ce933385-9390-45d1-9512-c8d228074e07';
export const CALL_QUEUE_APP_ID = '11cd3e2e-fccb-42ad-ad00-878b93575e07';

/** Role template ids the simulator knows by name (Microsoft Entra built-in roles). */
export const ROLE_NAMES: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  '69091246-20e8-4a56-aa4d-066075b2a7a8': 'Teams Administrator',
  'baf37b3a-610e-45da-9e62-d9d1e5e8914b': 'Teams Communications Administrator',
  'aa38014f-0993-46e9-9b45-30501a20909d': 'Teams Telephony Administrator',
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451': 'Global Reader',
};

export interface SkuCatalogEntry {
  skuPartNumber: string;
  skuId: string;
  servicePlans: Array<{ servicePlanName: string; servicePlanId: string; service: string }>;
}

export interface SeedUser {
  alias: string;
  displayName: string;
  department?: string;
  jobTitle?: string;
  /** SKU part numbers (see skus.json) */
  licenses: string[];
  /** directory role template ids */
  roles?: string[];
  accountEnabled?: boolean;
  /** capabilityStatus override per service plan name, e.g. { "MCOEV": "Suspended" } */
  planStatus?: Record<string, string>;
  resourceAccount?: 'autoAttendant' | 'callQueue';
  /** explicit object id; derived from tenant id + alias when absent */
  id?: string;
  note?: string;
}

export interface TenantSeed {
  id: string;
  displayName: string;
  domain: string;
  skus: Array<{ skuPartNumber: string; prepaidUnits: number }>;
  users: SeedUser[];
  numbers?: Array<{ telephoneNumber: string; numberType: 'directRouting' | 'callingPlan' | 'operatorConnect'; assignedTo?: string }>;
  /** client ids that have already been granted admin consent in this tenant */
  adminConsentedClients?: string[];
}

export interface AssignedPlan {
  assignedDateTime: string;
  capabilityStatus: string;
  service: string;
  servicePlanId: string;
}

export interface SimUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  usageLocation: string;
  userType: string;
  assignedLicenses: Array<{ skuId: string; disabledPlans: string[] }>;
  assignedPlans: AssignedPlan[];
  roles: string[];
  resourceAccount?: 'autoAttendant' | 'callQueue';
  enterpriseVoiceEnabled: boolean;
  createdDateTime: string;
}

export interface NumberAssignment {
  id: string;
  telephoneNumber: string;
  operatorId: string | null;
  numberType: string;
  activationState: string;
  capabilities: string[];
  assignmentStatus: string;
  assignmentTargetId: string | null;
  assignmentCategory: string | null;
  locationId: string | null;
  civicAddressId: string | null;
  networkSiteId: string | null;
  portInStatus: string | null;
  isoCountryCode: string;
  city: string | null;
  numberSource: string;
  supportedCustomerActions: string[];
  reverseNumberLookupOptions: string[];
}

export interface NumberOperation {
  id: string;
  createdDateTime: string;
  kind: 'assign' | 'unassign';
  polls: number;
  pollsNeeded: number;
  outcome: 'succeeded' | 'failed';
  statusDetail: string;
  telephoneNumber: string;
  apply: () => void;
  applied: boolean;
}

export type PolicyObject = Record<string, unknown> & { Identity: string };

export interface TenantState {
  id: string;
  displayName: string;
  domain: string;
  createdDateTime: string;
  users: SimUser[];
  usersById: Map<string, SimUser>;
  usersByUpn: Map<string, SimUser>;
  skus: Array<{ sku: SkuCatalogEntry; prepaidUnits: number }>;
  numbers: Map<string, NumberAssignment>;
  numberOperations: Map<string, NumberOperation>;
  /** ConfigAPI objects: type -> identity (lower-cased key) -> object */
  policies: Map<string, Map<string, PolicyObject>>;
  /** direct policy grants: userId -> policyType -> policy identity ("Tag:Name") */
  grants: Map<string, Map<string, string>>;
  adminConsents: Set<string>;
  /**
   * The tenant's domains (Graph `/domains`), by lower-cased name: the `.onmicrosoft.com` one from the seed, and those
   * added later (a provider's trunk subdomain: added, verified against a TXT record in the simulated DNS, then active
   * once a licensed user's UPN uses it).
   */
  domains: Map<string, SimDomain>;
  /**
   * User configurations (`/admin/teams/userConfigurations`) Teams has not caught up on yet: shown as they were when
   * held, until `until` (epoch ms; null: never), whatever is assigned meanwhile. Microsoft's own lag, on demand.
   */
  heldConfigurations?: Map<string, { configuration: Record<string, unknown>; until: number | null }>;
}

export interface SimDomain {
  id: string;
  isDefault: boolean;
  isInitial: boolean;
  isVerified: boolean;
  authenticationType: 'Managed';
  supportedServices: string[];
  /** The TXT value Microsoft asks to find at the domain's apex before `verify` succeeds. */
  verificationText: string;
  /** Teams has seen a licensed user on it (see domainActive); it stays so. */
  activated?: boolean;
}

export function skuCatalog(): SkuCatalogEntry[] {
  return (skusJson as { skus: SkuCatalogEntry[] }).skus;
}

const SEED_FILES = { demo: demoJson, other: otherJson, home: homeJson } as const;
/** A fresh copy of one of the seed files kept next to this module (imported, so builds carry them along). */
export function loadSeedFile(name: keyof typeof SEED_FILES): TenantSeed {
  return JSON.parse(JSON.stringify(SEED_FILES[name])) as TenantSeed;
}

export function userIdFor(tenantId: string, alias: string): string {
  return detUuid('user', tenantId, alias);
}

function splitName(displayName: string): [string | null, string | null] {
  const parts = displayName.split(' ');
  if (parts.length < 2) return [displayName, null];
  return [parts[0]!, parts.slice(1).join(' ')];
}

const CREATED = '2024-01-15T09:00:00Z';

export function buildTenant(seed: TenantSeed): TenantState {
  const catalog = new Map(skuCatalog().map((s) => [s.skuPartNumber, s]));
  const users: SimUser[] = seed.users.map((su) => {
    const id = su.id ?? userIdFor(seed.id, su.alias);
    const upn = `${su.alias}@${seed.domain}`;
    const assignedLicenses: SimUser['assignedLicenses'] = [];
    const assignedPlans: AssignedPlan[] = [];
    for (const part of su.licenses) {
      const sku = catalog.get(part);
      if (!sku) throw new Error(`tenant ${seed.id}: unknown SKU ${part} for ${su.alias}`);
      assignedLicenses.push({ skuId: sku.skuId, disabledPlans: [] });
      for (const plan of sku.servicePlans) {
        assignedPlans.push({
          assignedDateTime: CREATED,
          capabilityStatus: su.planStatus?.[plan.servicePlanName] ?? 'Enabled',
          service: plan.service,
          servicePlanId: plan.servicePlanId,
        });
      }
    }
    const [givenName, surname] = su.resourceAccount ? [null, null] : splitName(su.displayName);
    return {
      id,
      userPrincipalName: upn,
      mail: upn,
      displayName: su.displayName,
      givenName,
      surname,
      department: su.department ?? null,
      jobTitle: su.jobTitle ?? null,
      accountEnabled: su.accountEnabled ?? true,
      usageLocation: 'US',
      userType: 'Member',
      assignedLicenses,
      assignedPlans,
      roles: su.roles ?? [],
      resourceAccount: su.resourceAccount,
      enterpriseVoiceEnabled: false,
      createdDateTime: CREATED,
    };
  });
  const state: TenantState = {
    id: seed.id,
    displayName: seed.displayName,
    domain: seed.domain,
    createdDateTime: CREATED,
    users,
    usersById: new Map(users.map((u) => [u.id, u])),
    usersByUpn: new Map(users.map((u) => [u.userPrincipalName.toLowerCase(), u])),
    skus: seed.skus.map((s) => {
      const sku = catalog.get(s.skuPartNumber);
      if (!sku) throw new Error(`tenant ${seed.id}: unknown SKU ${s.skuPartNumber}`);
      return { sku, prepaidUnits: s.prepaidUnits };
    }),
    numbers: new Map(),
    numberOperations: new Map(),
    policies: new Map(),
    grants: new Map(),
    adminConsents: new Set(seed.adminConsentedClients ?? []),
    domains: new Map([
      [
        seed.domain.toLowerCase(),
        {
          id: seed.domain,
          isDefault: true,
          isInitial: true,
          isVerified: true,
          authenticationType: 'Managed',
          supportedServices: ['Email', 'OfficeCommunicationsOnline'],
          verificationText: '',
        },
      ],
    ]),
  };
  for (const n of seed.numbers ?? []) {
    const target = n.assignedTo ? state.usersByUpn.get(`${n.assignedTo}@${seed.domain}`.toLowerCase()) : undefined;
    if (n.assignedTo && !target) throw new Error(`tenant ${seed.id}: number ${n.telephoneNumber} assigned to unknown ${n.assignedTo}`);
    const na = newNumber(state.id, n.telephoneNumber, n.numberType);
    if (target) {
      setAssigned(na, target, 'primary');
      target.enterpriseVoiceEnabled = true;
    }
    state.numbers.set(na.telephoneNumber, na);
  }
  seedDefaultPolicies(state);
  return state;
}

export function newNumber(tenantId: string, telephoneNumber: string, numberType: string): NumberAssignment {
  return {
    id: detUuid('number', tenantId, telephoneNumber),
    telephoneNumber,
    operatorId: numberType === 'operatorConnect' ? detUuid('operator', 'sim') : null,
    numberType,
    activationState: 'activated',
    capabilities:
      numberType === 'directRouting'
        ? ['userAssignment', 'voiceApplicationAssignment']
        : ['userAssignment', 'voiceApplicationAssignment', 'conferenceAssignment'],
    assignmentStatus: 'unassigned',
    assignmentTargetId: null,
    assignmentCategory: null,
    locationId: null,
    civicAddressId: null,
    networkSiteId: null,
    portInStatus: null,
    isoCountryCode: 'US',
    city: null,
    numberSource: numberType === 'directRouting' ? 'onPremises' : 'online',
    supportedCustomerActions: ['locationUpdate'],
    reverseNumberLookupOptions: [],
  };
}

export function setAssigned(n: NumberAssignment, user: SimUser, category: string): void {
  n.assignmentTargetId = user.id;
  n.assignmentStatus = user.resourceAccount ? 'voiceApplicationAssigned' : 'userAssigned';
  n.assignmentCategory = category;
}

/** Takes a number off its target the way Microsoft does: a Direct Routing number leaves the tenant, others stay unassigned. */
export function releaseNumber(t: TenantState, n: NumberAssignment): void {
  if (n.numberType === 'directRouting') t.numbers.delete(n.telephoneNumber);
  else Object.assign(n, { assignmentTargetId: null, assignmentStatus: 'unassigned', assignmentCategory: null });
}

/**
 * Puts a number on a user as a successful Graph assign applies it: a new primary number replaces the user's old one,
 * a number outside the inventory is created (Direct Routing numbers are never in it ahead of time).
 */
export function applyNumberAssignment(
  t: TenantState,
  user: SimUser,
  telephoneNumber: string,
  numberType: string,
  category = 'primary',
): NumberAssignment {
  if (category === 'primary')
    for (const n of [...t.numbers.values()])
      if (n.assignmentTargetId === user.id && n.assignmentCategory === 'primary' && n.telephoneNumber !== telephoneNumber)
        releaseNumber(t, n);
  const n = t.numbers.get(telephoneNumber) ?? newNumber(t.id, telephoneNumber, numberType);
  setAssigned(n, user, category);
  t.numbers.set(telephoneNumber, n);
  user.enterpriseVoiceEnabled = true;
  return n;
}

/** Licenses a user with a SKU of the catalog; its service plans become (or are again) Enabled. */
export function licenseUser(u: SimUser, skuPartNumber: string): void {
  const sku = skuCatalog().find((s) => s.skuPartNumber === skuPartNumber);
  if (!sku) throw new Error(`unknown SKU ${skuPartNumber}`);
  if (!u.assignedLicenses.some((l) => l.skuId === sku.skuId)) u.assignedLicenses.push({ skuId: sku.skuId, disabledPlans: [] });
  for (const plan of sku.servicePlans) {
    const existing = u.assignedPlans.find((p) => p.servicePlanId === plan.servicePlanId);
    if (existing) existing.capabilityStatus = 'Enabled';
    else
      u.assignedPlans.push({
        assignedDateTime: new Date().toISOString(),
        capabilityStatus: 'Enabled',
        service: plan.service,
        servicePlanId: plan.servicePlanId,
      });
  }
}

/**
 * Deletes a user from the tenant as Entra does: gone from every index, their numbers released (releaseNumber) and
 * their direct policy grants dropped.
 */
export function removeUser(t: TenantState, u: SimUser): void {
  t.users.splice(t.users.indexOf(u), 1);
  t.usersById.delete(u.id);
  t.usersByUpn.delete(u.userPrincipalName.toLowerCase());
  for (const n of [...t.numbers.values()]) if (n.assignmentTargetId === u.id) releaseNumber(t, n);
  t.grants.delete(u.id);
}

function seedDefaultPolicies(state: TenantState): void {
  const put = (type: string, obj: PolicyObject) => {
    let m = state.policies.get(type);
    if (!m) state.policies.set(type, (m = new Map()));
    m.set(obj.Identity.toLowerCase(), obj);
  };
  put('OnlinePstnUsages', { Identity: 'Global', Usage: [] });
  put('OnlineVoiceRoutingPolicy', { Identity: 'Global', OnlinePstnUsages: [], Description: null, RouteType: 'BYOT' });
  put('TeamsCallingPolicy', {
    Identity: 'Global',
    AllowPrivateCalling: true,
    AllowVoicemail: 'UserOverride',
    AllowCallForwardingToUser: true,
    AllowCallForwardingToPhone: true,
    MusicOnHoldEnabledType: 'Enabled',
    Description: null,
  });
  put('TeamsCallingPolicy', {
    Identity: 'Tag:AllowCalling',
    AllowPrivateCalling: true,
    AllowVoicemail: 'UserOverride',
    AllowCallForwardingToUser: true,
    AllowCallForwardingToPhone: true,
    MusicOnHoldEnabledType: 'Enabled',
    Description: 'Built-in style policy',
  });
}

export function userPlanEnabled(u: SimUser, servicePlanId: string): boolean {
  return u.assignedPlans.some((p) => p.servicePlanId === servicePlanId && p.capabilityStatus === 'Enabled');
}

export function isGlobalAdmin(u: SimUser): boolean {
  return u.roles.includes(GLOBAL_ADMIN_ROLE);
}

/** Teams service plans: TEAMS1 (Microsoft Teams) and the Teams Phone resource-account plan count as a Teams licence. */
export const TEAMS_PLANS = ['57ff2da0-773e-42df-b2af-ffb7a2317929', 'f47330e9-c134-43b3-9993-e7f004506889'];

/** The domain a UPN is in, lower-cased. */
export function upnDomain(upn: string): string {
  return upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Whether a domain of the tenant is usable as a Direct Routing derived trunk ("active" in Microsoft's words): added,
 * verified, and the domain of the UPN of at least one enabled user with an enabled Teams licence.
 */
export function domainActive(t: TenantState, name: string): boolean {
  const key = name.toLowerCase();
  const d = t.domains.get(key);
  if (!d?.isVerified) return false;
  // Once Teams has seen a licensed user on the domain it stays active (the activation user may then go).
  d.activated ||= t.users.some(
    (u) => u.accountEnabled && upnDomain(u.userPrincipalName) === key && TEAMS_PLANS.some((p) => userPlanEnabled(u, p)),
  );
  return d.activated;
}

/** Adds a user to every index of the tenant (Graph create user). */
export function addUser(t: TenantState, u: SimUser): void {
  t.users.push(u);
  t.usersById.set(u.id, u);
  t.usersByUpn.set(u.userPrincipalName.toLowerCase(), u);
}

/** Units of a SKU in use: users holding it (what subscribedSkus reports as consumedUnits). */
export function consumedUnits(t: TenantState, skuId: string): number {
  return t.users.filter((u) => u.assignedLicenses.some((l) => l.skuId.toLowerCase() === skuId.toLowerCase())).length;
}
