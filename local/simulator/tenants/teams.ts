/**
 * Teams voice state of a tenant, shared by the Graph view (numbers, userConfigurations, policy assignments)
 * and the Teams admin (ConfigAPI) view (policy objects and grants).
 */
import { sha256b64url } from '../util';
import { MCOEV_PLAN, PolicyObject, SimUser, TenantState, userPlanEnabled } from './model';

export const CONFIG_TYPES = [
  'OnlinePSTNGateway',
  'OnlinePstnUsages',
  'OnlineVoiceRoute',
  'OnlineVoiceRoutingPolicy',
  'TeamsCallingPolicy',
] as const;
const VIRTUAL_USER_PLAN = 'f47330e9-c134-43b3-9993-e7f004506889';
const FEATURE_BY_PLAN: Record<string, string> = {
  '57ff2da0-773e-42df-b2af-ffb7a2317929': 'Teams',
  [MCOEV_PLAN]: 'PhoneSystem',
  '4ed3ff63-69d7-4fb7-b984-5aec7f605ca8': 'CallingPlan',
  '5a10155d-f5c1-411a-a8ec-e99aae125390': 'CallingPlan',
  [VIRTUAL_USER_PLAN]: 'PhoneSystemVirtualUser',
  '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40': 'AudioConferencing',
};

/** Canonical identity: "Global" or "Tag:Name". */
export function canonicalIdentity(nameOrIdentity: string): string {
  if (/^global$/i.test(nameOrIdentity)) return 'Global';
  return /^tag:/i.test(nameOrIdentity) ? `Tag:${nameOrIdentity.slice(4)}` : `Tag:${nameOrIdentity}`;
}

/** Graph-style opaque policy id, stable for a policy type and identity. */
export function policyIdFor(type: string, identity: string): string {
  return sha256b64url(`${type.toLowerCase()}|${identity.toLowerCase()}`).slice(0, 43);
}

export function findPolicy(t: TenantState, type: string, nameOrIdentity: string): PolicyObject | undefined {
  const m = [...t.policies.entries()].find(([k]) => k.toLowerCase() === type.toLowerCase())?.[1];
  return m?.get(canonicalIdentity(nameOrIdentity).toLowerCase());
}

export function findPolicyById(t: TenantState, type: string, policyId: string): PolicyObject | undefined {
  const m = [...t.policies.entries()].find(([k]) => k.toLowerCase() === type.toLowerCase())?.[1];
  if (!m) return undefined;
  return [...m.values()].find((p) => policyIdFor(type, p.Identity) === policyId);
}

export function policyTypeKey(t: TenantState, type: string): string {
  return [...t.policies.keys()].find((k) => k.toLowerCase() === type.toLowerCase()) ?? type;
}

/** The objects of one ConfigAPI type, created empty on first use. */
export function policyMap(t: TenantState, type: string): Map<string, PolicyObject> {
  const key = policyTypeKey(t, type);
  let m = t.policies.get(key);
  if (!m) t.policies.set(key, (m = new Map()));
  return m;
}

/** The stored identity of a ConfigAPI object: gateways and routes keep their plain name (FQDN), policies are Tag:Name. */
export function configIdentity(type: string, raw: string): string {
  if (type === 'OnlinePSTNGateway' || type === 'OnlineVoiceRoute') return raw.replace(/^tag:/i, '');
  return canonicalIdentity(raw);
}

/** A new ConfigAPI object as a create (POST) stores it: the given fields, the identity, and a gateway starts disabled. */
export function newConfigObject(type: string, identity: string, fields: Record<string, unknown>): PolicyObject {
  const obj: PolicyObject = { ...fields, Identity: identity };
  delete obj.Fqdn;
  if (type === 'OnlinePSTNGateway' && obj.Enabled === undefined) obj.Enabled = false;
  return obj;
}

/** Creates policies by name, as a ConfigAPI create with no fields does; those that exist are kept. Returns those created. */
export function createPolicies(t: TenantState, type: string, names: readonly string[]): string[] {
  const m = policyMap(t, type);
  const created: string[] = [];
  for (const name of names) {
    const identity = configIdentity(type, name);
    if (identity === 'Global' || m.has(identity.toLowerCase())) continue;
    m.set(identity.toLowerCase(), newConfigObject(type, identity, {}));
    created.push(identity);
  }
  return created;
}

/** Grants a policy to a user directly; identity null reverts to the global (default) policy. */
export function grantPolicy(t: TenantState, userId: string, type: string, identity: string | null): void {
  let g = t.grants.get(userId);
  if (!g) t.grants.set(userId, (g = new Map()));
  const key = policyTypeKey(t, type);
  for (const k of [...g.keys()]) if (k.toLowerCase() === key.toLowerCase()) g.delete(k);
  if (identity && identity !== 'Global') g.set(key, identity);
  if (g.size === 0) t.grants.delete(userId);
}

export function phoneSystemCapable(u: SimUser): boolean {
  return u.resourceAccount ? userPlanEnabled(u, VIRTUAL_USER_PLAN) : userPlanEnabled(u, MCOEV_PLAN);
}

export function renderUserConfiguration(t: TenantState, u: SimUser): Record<string, unknown> {
  const held = t.heldConfigurations?.get(u.id);
  if (held && (held.until === null || Date.now() < held.until)) return structuredClone(held.configuration);
  const features = new Set<string>();
  for (const p of u.assignedPlans)
    if (p.capabilityStatus === 'Enabled' && FEATURE_BY_PLAN[p.servicePlanId]) features.add(FEATURE_BY_PLAN[p.servicePlanId]!);
  const numbers = [...t.numbers.values()].filter((n) => n.assignmentTargetId === u.id);
  const grants = t.grants.get(u.id) ?? new Map<string, string>();
  return {
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    tenantId: t.id,
    accountType: u.resourceAccount ? 'resourceAccount' : 'user',
    isEnterpriseVoiceEnabled: u.enterpriseVoiceEnabled,
    featureTypes: [...features],
    telephoneNumbers: numbers.map((n) => ({ telephoneNumber: n.telephoneNumber, assignmentCategory: n.assignmentCategory ?? 'primary' })),
    effectivePolicyAssignments: [...grants.entries()].map(([policyType, identity]) => ({
      policyType,
      policyAssignment: {
        displayName: identity.replace(/^Tag:/, ''),
        assignmentType: 'direct',
        policyId: policyIdFor(policyType, identity),
        groupId: null,
      },
    })),
    createdDateTime: u.createdDateTime,
    modifiedDateTime: u.createdDateTime,
  };
}

/** The Teams view of a tenant, for the control API. */
export function teamsSnapshot(t: TenantState): Record<string, unknown> {
  return {
    tenantId: t.id,
    displayName: t.displayName,
    numbers: [...t.numbers.values()].map((n) => ({ ...n })),
    grants: [...t.grants.entries()].map(([userId, g]) => ({
      userId,
      userPrincipalName: t.usersById.get(userId)?.userPrincipalName ?? null,
      policies: Object.fromEntries(g.entries()),
    })),
    policies: Object.fromEntries([...t.policies.entries()].map(([type, m]) => [type, [...m.values()].map((p) => ({ ...p }))])),
    enterpriseVoiceEnabledUsers: t.users.filter((u) => u.enterpriseVoiceEnabled).map((u) => u.userPrincipalName),
    adminConsents: [...t.adminConsents],
    pendingNumberOperations: [...t.numberOperations.values()]
      .filter((o) => !o.applied)
      .map((o) => ({ id: o.id, kind: o.kind, telephoneNumber: o.telephoneNumber, polls: o.polls, pollsNeeded: o.pollsNeeded })),
  };
}
