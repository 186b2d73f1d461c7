/**
 * The sync planner: desired Teams voice state (the mapping + each voice user's settings + the account's settings)
 * against the actual state read from the tenant → an ordered list of operations per Teams user, or a per-user refusal
 * with a stable code. Pure: the reads, the apply and the activity log live elsewhere.
 *
 * Rules:
 * - a mapped user gets their line (their own number, or the account's main number with their extension), the
 *   integration's voice routing policy and the calling-policy variant their settings call for; whatever is already
 *   right gets no operation, so planning again after a successful apply plans nothing;
 * - a number on a mapped user that is not their line is unassigned first (also when only its number type is wrong);
 * - an unmapped user gets exactly the reverts of what the integration had set and still finds there: a number or
 *   policy that is not ours (changed since, or never set by us) is never touched;
 * - conflicts are refused per user, never forced: the line is held by another Teams user or a resource account that
 *   this plan does not free (`NUMBER_IN_USE`), the Teams user got a Calling Plan or otherwise lost eligibility
 *   (`USER_NOT_ELIGIBLE`), the Teams user is gone (`USER_GONE`), there is nothing to assign (`VOICE_USER_HAS_NO_NUMBER`);
 *   a refused user gets no operation at all (their current state is kept as it is);
 * - one line is never assigned to two users: claimants of the same line that none of them holds are all refused.
 *
 * Lines are keyed by number AND extension: Teams lets users share a number when each has its own `;ext=`, so
 * `+14255550100;ext=10` and `+14255550100;ext=11` (and the bare `+14255550100`, e.g. on an auto attendant) are three
 * separate assignments.
 */
import { DomainError, ErrorCode } from './errors';
import type { NumberType, ProviderSettings } from './account';
import type { MusicOnHold } from './voiceUser';

// ---------------------------------------------------------------------------------------------------------------------
// Inputs

/** What one mapped voice user wants in Teams (desired mapping + the voice user's settings). */
export interface DesiredUser {
  voiceUserId: string;
  teamsUserId: string;
  /** E.164, or null for an extension-only user (who then gets the account's main number). */
  phoneNumber: string | null;
  /** Digits, or null. */
  extension: string | null;
  voicemail: boolean;
  callForwarding: boolean;
  musicOnHold: MusicOnHold;
}

/** The account's settings the plan needs. `mainNumber` (E.164) carries the extension-only users. */
export interface PlanSettings extends Pick<ProviderSettings, 'policyPrefix' | 'numberType'> {
  mainNumber?: string | null;
}

/** A number with its extension, as assigned in Teams. */
export interface Line {
  /** E.164. */
  phoneNumber: string;
  extension: string | null;
}

export interface AssignedLine extends Line {
  numberType: NumberType;
}

/** What the integration had set on a Teams user that is unmapped now (the applied mapping's record). */
export interface ReleasedUser {
  voiceUserId: string;
  teamsUserId: string;
  line: AssignedLine | null;
  voiceRoutingPolicy: string | null;
  callingPolicy: string | null;
}

/** A Teams user's voice configuration as read from the tenant (`/admin/teams/userConfigurations`). */
export interface ActualUser {
  teamsUserId: string;
  /** Deleted from the tenant (or no longer found). */
  gone: boolean;
  /** Still able to take a number from the integration (Teams Phone, not a resource account). */
  eligible: boolean;
  /** Has a Calling Plan: Microsoft's own numbers, not ours to replace. */
  callingPlan: boolean;
  enterpriseVoice: boolean;
  /** The primary number, or null. */
  line: AssignedLine | null;
  /** Names of the policies granted directly (null: the org-wide default). */
  voiceRoutingPolicy: string | null;
  callingPolicy: string | null;
}

/** Who holds a line in the tenant (`numberAssignments`, filtered to the numbers the plan touches). */
export interface NumberAssignment extends AssignedLine {
  targetId: string;
  targetKind: 'user' | 'resourceAccount';
}

export interface PlanInput {
  desired: readonly DesiredUser[];
  released: readonly ReleasedUser[];
  settings: PlanSettings;
  actual: ReadonlyMap<string, ActualUser>;
  assignments: readonly NumberAssignment[];
}

// ---------------------------------------------------------------------------------------------------------------------
// Output

/**
 * One change to one Teams user. `telephoneNumber` is in the form Graph's `assignNumber`/`unassignNumber` take and
 * Teams reports (`+E164`, with `;ext=NNN` when there is an extension; see {@link telephoneNumberOf}).
 */
export type Operation =
  | { kind: 'unassignNumber'; teamsUserId: string; telephoneNumber: string; numberType: NumberType }
  | {
      kind: 'assignNumber';
      teamsUserId: string;
      telephoneNumber: string;
      numberType: NumberType;
      assignmentCategory: 'primary';
      /** Teams users whose `unassignNumber` of this line must succeed first (the line moves from them). */
      waitFor: string[];
    }
  | { kind: 'grantVoiceRoutingPolicy'; teamsUserId: string; policyName: string; before: string | null }
  | { kind: 'grantCallingPolicy'; teamsUserId: string; policyName: string; before: string | null }
  /** Back to the org-wide default (removes the direct grant). */
  | { kind: 'revokeVoiceRoutingPolicy'; teamsUserId: string; before: string }
  | { kind: 'revokeCallingPolicy'; teamsUserId: string; before: string };

export type OperationKind = Operation['kind'];

export type PlanRefusalCode = Extract<ErrorCode, 'NUMBER_IN_USE' | 'USER_NOT_ELIGIBLE' | 'USER_GONE' | 'VOICE_USER_HAS_NO_NUMBER'>;

interface UserPlanBase {
  teamsUserId: string;
  /** The voice users whose applied mapping moves when this user is applied (desired first, then released). */
  voiceUserIds: string[];
  /** Mapped (desired) or only unmapped (released). */
  role: 'mapped' | 'unmapped';
}

export type UserPlan =
  | (UserPlanBase & { outcome: 'planned'; operations: Operation[] })
  | (UserPlanBase & { outcome: 'refused'; error: DomainError<PlanRefusalCode> });

export interface SyncPlan {
  /**
   * Users that free a line another user waits for come first. To apply: run every user's operations in order, and an
   * `assignNumber` only once the `unassignNumber`s it waits for succeeded (a swap of two numbers needs both users'
   * unassigns before either assign, which the per-user order allows: unassigns never wait).
   */
  users: UserPlan[];
}

// ---------------------------------------------------------------------------------------------------------------------
// Names and formats

/** The voice routing policy the integration creates and grants: named by the prefix itself (issue 13 creates it). */
export const voiceRoutingPolicyName = (prefix: string): string => prefix;

export type CallingPolicyVariant = 'VM' | 'NoVM' | 'NoVMOrForward';

/**
 * The calling-policy variant for a voice user's settings. There are three, not four: `VM` allows voicemail and
 * forwarding, `NoVM` forbids voicemail but allows forwarding, `NoVMOrForward` forbids both. With voicemail on and
 * forwarding off there is no variant that forbids forwarding, so the user gets `VM`: voicemail in Teams is itself a
 * forward of unanswered calls, and keeping the user's voicemail wins over forbidding their forwarding.
 */
export function callingPolicyVariant(voicemail: boolean, callForwarding: boolean): CallingPolicyVariant {
  if (voicemail) return 'VM';
  return callForwarding ? 'NoVM' : 'NoVMOrForward';
}

/** `{prefix}-{VM|NoVM|NoVMOrForward}-{MOHTEAMS|MOHEXT}`: MOHEXT when the provider plays the music on hold. */
export function callingPolicyName(prefix: string, s: Pick<DesiredUser, 'voicemail' | 'callForwarding' | 'musicOnHold'>): string {
  return `${prefix}-${callingPolicyVariant(s.voicemail, s.callForwarding)}-${s.musicOnHold === 'provider' ? 'MOHEXT' : 'MOHTEAMS'}`;
}

/** Graph's `telephoneNumber` for a line: `+14255550100` or `+14255550100;ext=2424`. */
export const telephoneNumberOf = (line: Line): string =>
  line.extension === null ? line.phoneNumber : `${line.phoneNumber};ext=${line.extension}`;

/** The Teams line URI of a line: `tel:+14255550100;ext=2424`. */
export const lineUriOf = (line: Line): string => `tel:${telephoneNumberOf(line)}`;

/** The line a voice user gets: their own number, or the main number with their extension; null when neither. */
export function desiredLine(user: Pick<DesiredUser, 'phoneNumber' | 'extension'>, mainNumber: string | null | undefined): Line | null {
  if (user.phoneNumber !== null) return { phoneNumber: user.phoneNumber, extension: user.extension };
  if (user.extension !== null && mainNumber) return { phoneNumber: mainNumber, extension: user.extension };
  return null;
}

const sameLine = (a: Line | null, b: Line | null): boolean =>
  a !== null && b !== null && a.phoneNumber === b.phoneNumber && a.extension === b.extension;

// ---------------------------------------------------------------------------------------------------------------------
// The planner

const refusal = (code: PlanRefusalCode, message: string, details: Record<string, unknown>): DomainError<PlanRefusalCode> => ({
  code,
  message,
  details,
});

interface Draft {
  teamsUserId: string;
  voiceUserIds: string[];
  role: 'mapped' | 'unmapped';
  desired?: DesiredUser;
  released?: ReleasedUser;
  line: Line | null;
  error?: DomainError<PlanRefusalCode>;
  /** The line this user's plan unassigns, if any. */
  frees: AssignedLine | null;
}

/** Plans a sync. Deterministic: the same input gives the same plan, whatever the order of `desired` and `released`. */
export function planSync(input: PlanInput): SyncPlan {
  const { settings, actual } = input;
  const drafts = new Map<string, Draft>();

  for (const d of [...input.desired].sort((a, b) => cmp(a.voiceUserId, b.voiceUserId))) {
    const existing = drafts.get(d.teamsUserId);
    if (existing) {
      // The mapping is one-to-one; a second voice user on the same Teams user is ignored rather than guessed at.
      continue;
    }
    drafts.set(d.teamsUserId, {
      teamsUserId: d.teamsUserId,
      voiceUserIds: [d.voiceUserId],
      role: 'mapped',
      desired: d,
      line: desiredLine(d, settings.mainNumber),
      frees: null,
    });
  }
  for (const r of [...input.released].sort((a, b) => cmp(a.voiceUserId, b.voiceUserId))) {
    const existing = drafts.get(r.teamsUserId);
    if (existing) {
      // Remapped to another voice user: the desired state overwrites whatever we had set.
      if (!existing.voiceUserIds.includes(r.voiceUserId)) existing.voiceUserIds.push(r.voiceUserId);
      if (existing.role === 'unmapped') existing.released ??= r;
      continue;
    }
    drafts.set(r.teamsUserId, {
      teamsUserId: r.teamsUserId,
      voiceUserIds: [r.voiceUserId],
      role: 'unmapped',
      released: r,
      line: null,
      frees: null,
    });
  }

  // Refusals that depend on the user alone.
  for (const draft of drafts.values()) {
    const d = draft.desired;
    if (!d) continue;
    const a = actual.get(d.teamsUserId);
    if (!a || a.gone) {
      draft.error = refusal('USER_GONE', `Teams user ${d.teamsUserId} is no longer in the tenant.`, { teamsUserId: d.teamsUserId });
    } else if (a.callingPlan || !a.eligible) {
      const reason = a.callingPlan ? 'callingPlan' : 'notEligible';
      draft.error = refusal(
        'USER_NOT_ELIGIBLE',
        `Teams user ${d.teamsUserId} can no longer take a number from the integration (${reason}).`,
        {
          teamsUserId: d.teamsUserId,
          reason,
        },
      );
    } else if (draft.line === null) {
      draft.error = refusal(
        'VOICE_USER_HAS_NO_NUMBER',
        `Voice user ${d.voiceUserId} has no phone number, and the account has no main number for their extension.`,
        { voiceUserId: d.voiceUserId, teamsUserId: d.teamsUserId },
      );
    }
  }

  // Which line each user's plan would unassign (refused users unassign nothing).
  const computeFrees = (draft: Draft): AssignedLine | null => {
    if (draft.error) return null;
    const a = actual.get(draft.teamsUserId);
    if (!a || a.gone || a.line === null) return null;
    if (draft.desired) {
      const right = sameLine(a.line, draft.line) && a.line.numberType === settings.numberType;
      return right ? null : a.line;
    }
    const ours = draft.released?.line ?? null;
    return ours !== null && sameLine(a.line, ours) && a.line.numberType === ours.numberType ? a.line : null;
  };

  // Line conflicts, to a fixpoint: refusing a user withdraws the line they would have freed.
  const holders = new Map<string, NumberAssignment[]>();
  for (const n of input.assignments) {
    const key = telephoneNumberOf(n);
    holders.set(key, [...(holders.get(key) ?? []), n]);
  }
  for (;;) {
    for (const draft of drafts.values()) draft.frees = computeFrees(draft);
    const claims = new Map<string, Draft[]>();
    for (const draft of drafts.values()) {
      if (!draft.desired || draft.error || draft.line === null) continue;
      const key = telephoneNumberOf(draft.line);
      claims.set(key, [...(claims.get(key) ?? []), draft]);
    }
    let changed = false;
    for (const [key, claimants] of claims) {
      for (const draft of claimants) {
        const blocker = blockerOf(draft, key, claimants, holders.get(key) ?? [], drafts, actual);
        if (blocker === null) continue;
        draft.error = refusal('NUMBER_IN_USE', `The number ${key} is already assigned in Teams to ${blocker.description}.`, {
          telephoneNumber: key,
          teamsUserId: draft.teamsUserId,
          heldBy: blocker.kind,
          ...(blocker.targetId ? { targetId: blocker.targetId } : {}),
        });
        changed = true;
      }
    }
    if (!changed) break;
  }

  const users: UserPlan[] = [];
  for (const draft of drafts.values()) {
    const base = { teamsUserId: draft.teamsUserId, voiceUserIds: draft.voiceUserIds, role: draft.role };
    if (draft.error) users.push({ ...base, outcome: 'refused', error: draft.error });
    else users.push({ ...base, outcome: 'planned', operations: operationsOf(draft, input, drafts) });
  }
  const waitedFor = new Set(
    users.flatMap((u) => (u.outcome === 'planned' ? u.operations.flatMap((o) => (o.kind === 'assignNumber' ? o.waitFor : [])) : [])),
  );
  users.sort((a, b) => Number(waitedFor.has(b.teamsUserId)) - Number(waitedFor.has(a.teamsUserId)) || cmp(a.teamsUserId, b.teamsUserId));
  return { users };
}

/** Who stops `draft` from taking line `key`, or null when the line is free (or freed by this plan) for them. */
function blockerOf(
  draft: Draft,
  key: string,
  claimants: Draft[],
  holders: NumberAssignment[],
  drafts: ReadonlyMap<string, Draft>,
  actual: ReadonlyMap<string, ActualUser>,
): { kind: 'user' | 'resourceAccount' | 'anotherMappedUser'; targetId?: string; description: string } | null {
  // Several mapped users want the line: one who already has it keeps it; if none has it, none gets it.
  const holds = (d: Draft): boolean => sameLine(actual.get(d.teamsUserId)?.line ?? null, d.line);
  if (claimants.length > 1 && !holds(draft)) {
    const keeper = claimants.find(holds);
    return keeper
      ? { kind: 'user', targetId: keeper.teamsUserId, description: `Teams user ${keeper.teamsUserId}` }
      : { kind: 'anotherMappedUser', description: 'more than one mapped user at once' };
  }
  for (const h of holders) {
    if (h.targetId === draft.teamsUserId) continue;
    const freedBy = drafts.get(h.targetId);
    const freed = h.targetKind === 'user' && freedBy?.frees != null && telephoneNumberOf(freedBy.frees) === key;
    if (freed) continue;
    return h.targetKind === 'resourceAccount'
      ? { kind: 'resourceAccount', targetId: h.targetId, description: `resource account ${h.targetId}` }
      : { kind: 'user', targetId: h.targetId, description: `Teams user ${h.targetId}` };
  }
  return null;
}

function operationsOf(draft: Draft, input: PlanInput, drafts: ReadonlyMap<string, Draft>): Operation[] {
  const { settings, actual } = input;
  const a = actual.get(draft.teamsUserId);
  const teamsUserId = draft.teamsUserId;
  const ops: Operation[] = [];
  if (draft.frees) {
    ops.push({ kind: 'unassignNumber', teamsUserId, telephoneNumber: telephoneNumberOf(draft.frees), numberType: draft.frees.numberType });
  }

  if (draft.desired) {
    const line = draft.line as Line;
    const hasIt = a?.line != null && sameLine(a.line, line) && a.line.numberType === settings.numberType;
    if (!hasIt) {
      const key = telephoneNumberOf(line);
      const waitFor = input.assignments
        .filter((n) => telephoneNumberOf(n) === key && n.targetId !== teamsUserId && n.targetKind === 'user')
        .map((n) => n.targetId)
        .filter((id) => drafts.get(id)?.frees != null);
      ops.push({
        kind: 'assignNumber',
        teamsUserId,
        telephoneNumber: key,
        numberType: settings.numberType,
        assignmentCategory: 'primary',
        waitFor: [...new Set(waitFor)].sort(cmp),
      });
    }
    const vrp = voiceRoutingPolicyName(settings.policyPrefix);
    const before = { vrp: a?.voiceRoutingPolicy ?? null, calling: a?.callingPolicy ?? null };
    if (before.vrp !== vrp) ops.push({ kind: 'grantVoiceRoutingPolicy', teamsUserId, policyName: vrp, before: before.vrp });
    const calling = callingPolicyName(settings.policyPrefix, draft.desired);
    if (before.calling !== calling) ops.push({ kind: 'grantCallingPolicy', teamsUserId, policyName: calling, before: before.calling });
    return ops;
  }

  // Unmapped: revert only what is still ours (the number was checked in computeFrees).
  const r = draft.released as ReleasedUser;
  if (!a || a.gone) return [];
  const reverts: Operation[] = [];
  if (r.callingPolicy !== null && a.callingPolicy === r.callingPolicy) {
    reverts.push({ kind: 'revokeCallingPolicy', teamsUserId, before: r.callingPolicy });
  }
  if (r.voiceRoutingPolicy !== null && a.voiceRoutingPolicy === r.voiceRoutingPolicy) {
    reverts.push({ kind: 'revokeVoiceRoutingPolicy', teamsUserId, before: r.voiceRoutingPolicy });
  }
  // The unassign (if any) stays first, as for everyone: a user waiting for this line is not held up by policy calls.
  return [...ops, ...reverts];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every operation of a plan, in plan order. */
export const operationsOfPlan = (plan: SyncPlan): Operation[] => plan.users.flatMap((u) => (u.outcome === 'planned' ? u.operations : []));

/** The line in a Graph `telephoneNumber` (`+14255550100` or `+14255550100;ext=2424`); null when it is not one. */
export function lineOf(telephoneNumber: string): Line | null {
  const m = /^(\+[1-9]\d{1,14})(?:;ext=(\d{1,10}))?$/.exec(telephoneNumber.trim());
  return m ? { phoneNumber: m[1]!, extension: m[2] ?? null } : null;
}
