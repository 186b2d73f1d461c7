/**
 * The account: one customer of the provider, linked to at most one Microsoft tenant. Its state machine:
 *
 *   invited ──consent──> consented ──sign-in + discovery──> active
 *      │                     │                                 │
 *      └──────────── removal requested ──> removalPending ──final sync──> removed
 *
 * An account never activated has nothing in Teams, so its removal completes at once.
 * Changes return the events they cause (which emails to send); the caller stores both together.
 */
import { ok, fail, Result } from './errors';

export type AccountState = 'invited' | 'consented' | 'active' | 'removalPending' | 'removed';
export type ActionNeeded = 'none' | 'activate' | 'sync' | 'finalSync';
export type NumberType = 'directRouting' | 'operatorConnect';

export interface GlobalAdmin {
  portalUserId: string;
  displayName: string;
  email: string;
}

export interface ProviderSettings {
  /** Prefix of the calling policies the integration creates in Teams, e.g. "VoiceSync". */
  policyPrefix: string;
  numberType: NumberType;
  /** E.164; extension-only voice users get it with their extension (`+E164;ext=2222`). Null: none. */
  mainNumber?: string | null;
}

export interface Account {
  accountId: string;
  name: string;
  licenseCount: number;
  globalAdmin: GlobalAdmin;
  /** The GA's Microsoft object id, bound at their first successful sign-in; cleared when the GA changes. */
  globalAdminObjectId: string | null;
  tenantId: string | null;
  /** True once the tenant id comes from a validated Microsoft token, not just from the provider. */
  tenantBound: boolean;
  settings: ProviderSettings;
  state: AccountState;
  actionNeeded: ActionNeeded;
  lastSyncAt: string | null;
  lastSyncStatus: 'Succeeded' | 'PartiallySucceeded' | 'Failed' | 'Expired' | null;
  // Licences held and queued changes live with the mapping (shared/domain/mapping.ts), written atomically with it.
  runningRunId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface AccountInput {
  name: string;
  licenseCount: number;
  globalAdmin: GlobalAdmin;
  tenantId?: string | null;
  settings?: Partial<ProviderSettings>;
}

export type AccountEvent =
  | { type: 'IntegrationEnabled' }
  | { type: 'GlobalAdminAssigned'; globalAdmin: GlobalAdmin }
  | { type: 'GlobalAdminReassigned'; previous: GlobalAdmin; current: GlobalAdmin }
  | { type: 'LicenseCountChanged'; previous: number; current: number }
  | { type: 'IntegrationRemoved'; finalSyncNeeded: boolean };

export interface Change {
  account: Account;
  events: AccountEvent[];
  changed: boolean;
}

export const DEFAULT_SETTINGS: ProviderSettings = { policyPrefix: 'VoiceSync', numberType: 'directRouting', mainNumber: null };

export function enableAccount(accountId: string, input: AccountInput, defaults: ProviderSettings, now: Date): Change {
  const at = now.toISOString();
  const account: Account = {
    accountId,
    name: input.name,
    licenseCount: input.licenseCount,
    globalAdmin: { ...input.globalAdmin },
    globalAdminObjectId: null,
    tenantId: input.tenantId ?? null,
    tenantBound: false,
    settings: { ...defaults, ...input.settings },
    state: 'invited',
    actionNeeded: 'activate',
    lastSyncAt: null,
    lastSyncStatus: null,
    runningRunId: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  return {
    account,
    events: [{ type: 'IntegrationEnabled' }, { type: 'GlobalAdminAssigned', globalAdmin: account.globalAdmin }],
    changed: true,
  };
}

const sameAdmin = (a: GlobalAdmin, b: GlobalAdmin): boolean =>
  a.portalUserId === b.portalUserId && a.displayName === b.displayName && a.email.toLowerCase() === b.email.toLowerCase();

/**
 * One rule for every write about an account while its removal is pending (account, voice users, mapping): refused
 * with ACCOUNT_REMOVAL_PENDING, since only the final sync may change what is in Teams now.
 */
export function refuseWhileRemovalPending(account: Account): Result<Account> {
  if (account.state !== 'removalPending') return ok(account);
  return fail(
    'ACCOUNT_REMOVAL_PENDING',
    'The integration is being removed; the Global Admin must run the final sync before the account can change.',
    { state: account.state },
  );
}

/** Applies a provider update. A removed account is enabled afresh; one awaiting its final sync cannot change. */
export function updateAccount(current: Account, input: AccountInput, defaults: ProviderSettings, now: Date): Result<Change> {
  if (current.state === 'removed') {
    const fresh = enableAccount(current.accountId, input, defaults, now);
    fresh.account.version = current.version + 1;
    fresh.account.createdAt = current.createdAt;
    return ok(fresh);
  }
  const open = refuseWhileRemovalPending(current);
  if (!open.ok) return open;
  const tenantId = input.tenantId === undefined ? current.tenantId : input.tenantId;
  if (current.tenantBound && tenantId?.toLowerCase() !== current.tenantId?.toLowerCase()) {
    return fail('TENANT_LOCKED', 'The account is already linked to a Microsoft tenant; its tenant id cannot change.', {
      tenantId: current.tenantId,
    });
  }
  const settings = { ...current.settings, ...input.settings };
  const events: AccountEvent[] = [];
  const next: Account = { ...current, name: input.name, licenseCount: input.licenseCount, tenantId: tenantId ?? null, settings };

  if (input.globalAdmin.portalUserId !== current.globalAdmin.portalUserId) {
    next.globalAdmin = { ...input.globalAdmin };
    next.globalAdminObjectId = null;
    events.push({ type: 'GlobalAdminReassigned', previous: current.globalAdmin, current: next.globalAdmin });
    events.push({ type: 'GlobalAdminAssigned', globalAdmin: next.globalAdmin });
  } else if (!sameAdmin(input.globalAdmin, current.globalAdmin)) {
    next.globalAdmin = { ...input.globalAdmin };
    // Same person, new address: the links they need must reach the new one.
    if (input.globalAdmin.email.toLowerCase() !== current.globalAdmin.email.toLowerCase()) {
      events.push({ type: 'GlobalAdminAssigned', globalAdmin: next.globalAdmin });
    }
  }
  if (input.licenseCount !== current.licenseCount) {
    events.push({ type: 'LicenseCountChanged', previous: current.licenseCount, current: input.licenseCount });
  }
  const changed =
    events.length > 0 ||
    next.name !== current.name ||
    next.tenantId !== current.tenantId ||
    !sameAdmin(next.globalAdmin, current.globalAdmin) ||
    JSON.stringify(next.settings) !== JSON.stringify(current.settings);
  if (!changed) return ok({ account: current, events: [], changed: false });
  next.version = current.version + 1;
  next.updatedAt = now.toISOString();
  return ok({ account: next, events, changed: true });
}

/** Marks the integration for removal: a final sync removes what it put in Teams, unless it never got that far. */
export function requestRemoval(current: Account, now: Date): Result<Change> {
  if (current.state === 'removalPending' || current.state === 'removed') {
    return ok({ account: current, events: [], changed: false });
  }
  const finalSyncNeeded = current.state !== 'invited';
  const next: Account = {
    ...current,
    state: finalSyncNeeded ? 'removalPending' : 'removed',
    actionNeeded: finalSyncNeeded ? 'finalSync' : 'none',
    version: current.version + 1,
    updatedAt: now.toISOString(),
  };
  return ok({ account: next, events: [{ type: 'IntegrationRemoved', finalSyncNeeded }], changed: true });
}

/**
 * What the account needs next, given the mapping changes queued for the next sync and whether the discovery that
 * follows activation failed (the Global Admin then has to authorize again).
 */
export function effectiveActionNeeded(account: Account, queuedChanges: number, discoveryFailed = false): ActionNeeded {
  if (account.actionNeeded === 'activate' || account.actionNeeded === 'finalSync') return account.actionNeeded;
  if (account.state === 'consented' && discoveryFailed) return 'activate';
  return account.state === 'active' && queuedChanges > 0 ? 'sync' : 'none';
}

const TRANSITIONS: Record<AccountState, AccountState[]> = {
  invited: ['consented', 'removalPending', 'removed'],
  consented: ['active', 'removalPending'],
  active: ['removalPending'],
  removalPending: ['removed'],
  removed: ['invited'],
};

/** Moves the state machine one step (used by activation and the final sync); other moves are refused. */
export function transition(current: Account, to: AccountState, now: Date): Result<Account> {
  if (!TRANSITIONS[current.state].includes(to)) {
    return fail('INVALID_STATE_TRANSITION', `An account cannot go from ${current.state} to ${to}.`, { from: current.state, to });
  }
  return ok({ ...current, state: to, version: current.version + 1, updatedAt: now.toISOString() });
}
