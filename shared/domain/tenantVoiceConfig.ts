/**
 * The integration's voice configuration in a customer tenant, as data: what it should be (from the account's settings)
 * and what must change to get there from what the tenant holds (drift repair). Pure: reading and writing the tenant's
 * Teams admin objects live in the adapter (shared/microsoft/teamsVoiceConfig.ts), the stage in
 * shared/sync/configureTenant.ts.
 *
 * Objects, all named from the account's policy prefix:
 * - the PSTN usage `{prefix}`, an entry of the tenant's Global PSTN usage list (Direct Routing only);
 * - the voice routing policy `{prefix}`, granting that usage (Direct Routing only);
 * - the six calling policies `{prefix}-{VM|NoVM|NoVMOrForward}-{MOHTEAMS|MOHEXT}` (CALLING_POLICY_SETTINGS).
 *
 * Only the fields the integration sets are compared and put back; the other fields of an object (and every object with
 * another name, the Global ones included) are never touched.
 */
import type { NumberType } from './account';
import { CallingPolicyVariant, voiceRoutingPolicyName } from './syncPlan';

export type ConfigObjectType = 'OnlinePstnUsages' | 'OnlineVoiceRoute' | 'OnlineVoiceRoutingPolicy' | 'TeamsCallingPolicy';

export type FieldValue = string | boolean | number | string[] | null;

/** One Teams admin object as the integration wants it (only the fields it sets). */
export interface DesiredObject {
  type: Exclude<ConfigObjectType, 'OnlinePstnUsages'>;
  /** The name, without `Tag:`. */
  name: string;
  fields: Record<string, FieldValue>;
}

export interface DesiredTenantConfig {
  /** The PSTN usage to have in the Global list, or null (Operator Connect: no routing of ours). */
  pstnUsage: string | null;
  objects: DesiredObject[];
}

export type MusicOnHoldSource = 'MOHTEAMS' | 'MOHEXT';

/**
 * The calling-policy variants and what each allows. Call forwarding covers simultaneous ringing too: Teams' two
 * forwarding settings are "call forwarding and simultaneous ringing to people in your organization" and "… to external
 * phone numbers". MOHEXT turns Teams' music on hold off, so the caller hears the provider's media instead.
 */
export const CALLING_POLICY_SETTINGS: Record<CallingPolicyVariant, Record<string, FieldValue>> = {
  VM: { AllowVoicemail: 'AlwaysEnabled', AllowCallForwardingToUser: true, AllowCallForwardingToPhone: true },
  NoVM: { AllowVoicemail: 'AlwaysDisabled', AllowCallForwardingToUser: true, AllowCallForwardingToPhone: true },
  NoVMOrForward: { AllowVoicemail: 'AlwaysDisabled', AllowCallForwardingToUser: false, AllowCallForwardingToPhone: false },
};
export const MUSIC_ON_HOLD_SETTINGS: Record<MusicOnHoldSource, Record<string, FieldValue>> = {
  MOHTEAMS: { MusicOnHoldEnabledType: 'Enabled' },
  MOHEXT: { MusicOnHoldEnabledType: 'Disabled' },
};

export interface TenantConfigSettings {
  policyPrefix: string;
  numberType: NumberType;
  /** Shown in the Teams admin center as each object's description. */
  providerName: string;
}

/** The PSTN usage of the integration: named by the prefix, like its voice routing policy. */
export const pstnUsageName = (prefix: string): string => prefix;

export function desiredTenantConfig(s: TenantConfigSettings): DesiredTenantConfig {
  const managed = `Managed by ${s.providerName}'s Teams integration; changes are put back at the next sync.`;
  const objects: DesiredObject[] = [];
  const directRouting = s.numberType === 'directRouting';
  if (directRouting) {
    objects.push({
      type: 'OnlineVoiceRoutingPolicy',
      name: voiceRoutingPolicyName(s.policyPrefix),
      fields: { OnlinePstnUsages: [pstnUsageName(s.policyPrefix)], Description: managed },
    });
  }
  for (const variant of Object.keys(CALLING_POLICY_SETTINGS) as CallingPolicyVariant[]) {
    for (const moh of Object.keys(MUSIC_ON_HOLD_SETTINGS) as MusicOnHoldSource[]) {
      objects.push({
        type: 'TeamsCallingPolicy',
        name: `${s.policyPrefix}-${variant}-${moh}`,
        fields: { AllowPrivateCalling: true, ...CALLING_POLICY_SETTINGS[variant], ...MUSIC_ON_HOLD_SETTINGS[moh], Description: managed },
      });
    }
  }
  return { pstnUsage: directRouting ? pstnUsageName(s.policyPrefix) : null, objects };
}

/** What the tenant holds: the Global PSTN usage list and the integration's objects found by name (absent = missing). */
export interface ActualTenantConfig {
  pstnUsages: readonly string[];
  objects: ReadonlyArray<{ type: DesiredObject['type']; name: string; fields: Record<string, unknown> }>;
}

export type ConfigChange =
  | { kind: 'addPstnUsage'; name: string }
  | { kind: 'create'; type: DesiredObject['type']; name: string; fields: Record<string, FieldValue> }
  /** Drift: only the fields that differ, with what they were. */
  | {
      kind: 'repair';
      type: DesiredObject['type'];
      name: string;
      fields: Record<string, FieldValue>;
      before: Record<string, unknown>;
    };

/** The fields of `desired` that `actual` does not have as they should be, with what they were. */
export function fieldDrift(
  desired: Record<string, FieldValue>,
  actual: Record<string, unknown>,
): { fields: Record<string, FieldValue>; before: Record<string, unknown> } | null {
  const fields: Record<string, FieldValue> = {};
  const before: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (same(actual[k], v)) continue;
    fields[k] = v;
    before[k] = actual[k] ?? null;
  }
  return Object.keys(fields).length ? { fields, before } : null;
}

const same = (a: unknown, b: FieldValue): boolean => {
  if (Array.isArray(b)) return Array.isArray(a) && a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
  // Teams answers a missing description as null or absent.
  if (b === null) return a === null || a === undefined;
  return a === b;
};

/**
 * The changes that bring the tenant to the desired configuration, in dependency order (the usage before the policy
 * granting it). Nothing when the tenant matches: a second run right after the first changes nothing.
 */
export function tenantConfigChanges(desired: DesiredTenantConfig, actual: ActualTenantConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  if (desired.pstnUsage !== null && !actual.pstnUsages.includes(desired.pstnUsage)) {
    changes.push({ kind: 'addPstnUsage', name: desired.pstnUsage });
  }
  for (const d of desired.objects) {
    const found = actual.objects.find((a) => a.type === d.type && a.name.toLowerCase() === d.name.toLowerCase());
    if (!found) {
      changes.push({ kind: 'create', type: d.type, name: d.name, fields: d.fields });
      continue;
    }
    const drift = fieldDrift(d.fields, found.fields);
    if (drift) changes.push({ kind: 'repair', type: d.type, name: d.name, ...drift });
  }
  return changes;
}
