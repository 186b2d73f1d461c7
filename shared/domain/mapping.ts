/**
 * Licence mapping: which voice user gets which Teams user. Two mappings per voice user: `desired` (what admins saved)
 * and `applied` (what the last sync put in Teams). Rules:
 * - one-to-one both ways in the desired mapping;
 * - only eligible Teams users (Teams Phone, no Calling Plan, not a resource account, still in the tenant);
 * - licences held = voice users mapped in the desired OR the applied mapping, so a licence freed by unmapping is
 *   usable only after a sync; a save that newly holds a licence beyond the licence count is refused as a whole;
 *   after a licence-count cut, unmapping and remapping held users still work;
 * - saving the current state changes nothing and queues nothing.
 */
import { ErrorCode, fail, ok, Result } from './errors';
import { desiredLine } from './syncPlan';

/** The mapping's order: by display name (case- and accent-insensitive), then id. */
export const byDisplayName = (a: { displayName: string | null; id: string }, b: { displayName: string | null; id: string }): number =>
  (a.displayName ?? '').localeCompare(b.displayName ?? '', 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id);

/** Free Teams users listed with a mapping page: enough for a drop-down; the others are found by searching. */
export const AVAILABLE_TEAMS_USERS = 50;

export type PendingState = 'synced' | 'pendingAdd' | 'pendingChange' | 'pendingRemoval' | 'unmapped';

export interface MappingEntry {
  voiceUserId: string;
  desired: string | null;
  applied: string | null;
  /** False once the voice user left the directory; kept until a sync has removed its mapping from Teams. */
  inDirectory: boolean;
  /** Has a line to put in Teams: their own number, or an extension with the account's main number. */
  hasLine: boolean;
}

export interface MappingChange {
  voiceUserId: string;
  teamsUserId: string | null;
}

export interface TeamsCandidate {
  id: string;
  eligible: boolean;
  /** Why not, when not eligible (e.g. callingPlan, resourceAccount, noTeamsPhone, disabled). */
  ineligibleReason: string | null;
  gone: boolean;
}

export interface MappingSummary {
  held: number;
  queued: number;
}

/**
 * Whether a voice user has a line for Teams, given the account's main number. Only checked when mapping: removing the
 * main number later unmaps no one (the sync then refuses those users with VOICE_USER_HAS_NO_NUMBER).
 */
export const hasLine = (user: { phoneNumber: string | null; extension: string | null }, mainNumber: string | null | undefined): boolean =>
  desiredLine(user, mainNumber) !== null;

export function pendingState(e: Pick<MappingEntry, 'desired' | 'applied'>): PendingState {
  if (e.desired === e.applied) return e.desired === null ? 'unmapped' : 'synced';
  if (e.applied === null) return 'pendingAdd';
  return e.desired === null ? 'pendingRemoval' : 'pendingChange';
}

export const holdsLicence = (e: Pick<MappingEntry, 'desired' | 'applied'>): boolean => e.desired !== null || e.applied !== null;

export function summarize(entries: Iterable<Pick<MappingEntry, 'desired' | 'applied'>>): MappingSummary {
  let held = 0;
  let queued = 0;
  for (const e of entries) {
    if (holdsLicence(e)) held++;
    if (e.desired !== e.applied) queued++;
  }
  return { held, queued };
}

/** Licences as the API shows them: `available` never goes below 0 (held can exceed a lowered count). */
export const licenseUsage = (total: number, held: number): { total: number; held: number; available: number } => ({
  total,
  held,
  available: Math.max(0, total - held),
});

/**
 * The most changes one save may carry: they are written atomically, in one storage transaction of at most 100
 * operations, and each change writes its voice user and at most two Teams-user index rows (the one it leaves, the one
 * it takes), with the mapping's state row: 1 + 3 × 33 = 100.
 */
export const MAX_CHANGES_PER_SAVE = 33;

export interface SavePlan {
  /** Entries whose desired mapping changes (nothing else is written). */
  changed: MappingEntry[];
  before: MappingSummary;
  after: MappingSummary;
}

const refuse = (code: ErrorCode, message: string, details: Record<string, unknown>): Result<SavePlan> => fail(code, message, details);

export interface SaveContext {
  licenseCount: number;
  teamsUsers: ReadonlyMap<string, TeamsCandidate>;
  /**
   * When `entries` holds only the voice users the save names (a save at 10,000 users does not read them all): the
   * stored summary of every voice user, and who holds each Teams user the save names in the desired mapping (Teams
   * user id → voice user id). Without them, `entries` is every voice user.
   */
  stored?: { summary: MappingSummary; holders: ReadonlyMap<string, string> };
}

const shift = (s: MappingSummary, out: MappingSummary, into: MappingSummary): MappingSummary => ({
  held: s.held - out.held + into.held,
  queued: s.queued - out.queued + into.queued,
});

/** Checks a save against every rule; refused as a whole or planned as a whole. */
export function planSave(entries: ReadonlyMap<string, MappingEntry>, changes: MappingChange[], context: SaveContext): Result<SavePlan> {
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.voiceUserId)) {
      return refuse('VALIDATION_FAILED', `Voice user ${c.voiceUserId} appears twice in the changes.`, { voiceUserId: c.voiceUserId });
    }
    seen.add(c.voiceUserId);
  }

  const next = new Map(entries);
  const changed: MappingEntry[] = [];
  for (const c of changes) {
    const entry = entries.get(c.voiceUserId);
    if (!entry || !entry.inDirectory) {
      return refuse('VOICE_USER_NOT_FOUND', `There is no voice user ${c.voiceUserId} in the directory.`, { voiceUserId: c.voiceUserId });
    }
    if (entry.desired === c.teamsUserId) continue; // unchanged rows are not re-checked
    if (c.teamsUserId !== null) {
      const teamsUser = context.teamsUsers.get(c.teamsUserId);
      if (!teamsUser) {
        return refuse('TEAMS_USER_NOT_FOUND', `There is no discovered Teams user ${c.teamsUserId}.`, { teamsUserId: c.teamsUserId });
      }
      if (teamsUser.gone || !teamsUser.eligible) {
        const reason = teamsUser.gone ? 'gone' : (teamsUser.ineligibleReason ?? 'notEligible');
        return refuse('TEAMS_USER_NOT_ELIGIBLE', `Teams user ${c.teamsUserId} cannot get a number from the integration (${reason}).`, {
          teamsUserId: c.teamsUserId,
          reason,
        });
      }
      if (!entry.hasLine) {
        return refuse(
          'VOICE_USER_HAS_NO_NUMBER',
          `Voice user ${c.voiceUserId} has no phone number to put in Teams: give them a number, or give them an extension` +
            ` and set the account's main number.`,
          { voiceUserId: c.voiceUserId },
        );
      }
    }
    const updated = { ...entry, desired: c.teamsUserId };
    next.set(c.voiceUserId, updated);
    changed.push(updated);
  }

  const holders = new Map<string, string>();
  // A stored holder among the entries is decided by its entry (it may be the one letting go).
  for (const [teamsUserId, voiceUserId] of context.stored?.holders ?? []) {
    if (!entries.has(voiceUserId)) holders.set(teamsUserId, voiceUserId);
  }
  for (const e of next.values()) {
    if (e.desired === null) continue;
    const other = holders.get(e.desired);
    if (other !== undefined) {
      const [mappedTo, requestedFor] = changed.some((c) => c.voiceUserId === other) ? [e.voiceUserId, other] : [other, e.voiceUserId];
      return refuse('TEAMS_USER_ALREADY_MAPPED', `Teams user ${e.desired} is already mapped to voice user ${mappedTo}.`, {
        teamsUserId: e.desired,
        mappedTo,
        requestedFor,
      });
    }
    holders.set(e.desired, e.voiceUserId);
  }

  const before = context.stored?.summary ?? summarize(entries.values());
  const after = context.stored
    ? shift(before, summarize(changed.map((e) => entries.get(e.voiceUserId) as MappingEntry)), summarize(changed))
    : summarize(next.values());
  const newlyHeld = changed.filter((e) => holdsLicence(e) && !holdsLicence(entries.get(e.voiceUserId) as MappingEntry));
  if (newlyHeld.length > 0 && after.held > context.licenseCount) {
    return refuse(
      'LICENSE_LIMIT_EXCEEDED',
      `This save needs ${after.held} integration licences and the account has ${context.licenseCount}` +
        ` (licences freed by unmapping become available after the next sync).`,
      { licenseCount: context.licenseCount, held: before.held, required: after.held },
    );
  }
  return ok({ changed, before, after });
}

/** What a sync that applied everything leaves: applied = desired; rows of voice users gone from the directory drop. */
export function markApplied(entries: Iterable<MappingEntry>): { kept: MappingEntry[]; dropped: MappingEntry[] } {
  const kept: MappingEntry[] = [];
  const dropped: MappingEntry[] = [];
  for (const e of entries) {
    const after = { ...e, applied: e.desired };
    (after.inDirectory || holdsLicence(after) ? kept : dropped).push(after);
  }
  return { kept, dropped };
}

/**
 * Replacing the directory: voice users no longer listed lose their desired mapping (a queued unmapping, not a silent
 * loss) and stay until a sync removed them from Teams; those holding nothing disappear at once.
 */
export function reconcileDirectory(
  current: Iterable<MappingEntry>,
  incoming: ReadonlyMap<string, { hasLine: boolean }>,
): { upserts: MappingEntry[]; deletions: string[] } {
  const upserts: MappingEntry[] = [];
  const deletions: string[] = [];
  const known = new Set<string>();
  for (const e of current) {
    known.add(e.voiceUserId);
    const listed = incoming.get(e.voiceUserId);
    if (listed) upserts.push({ ...e, inDirectory: true, hasLine: listed.hasLine });
    else if (e.applied !== null) upserts.push({ ...e, desired: null, inDirectory: false });
    else deletions.push(e.voiceUserId);
  }
  for (const [voiceUserId, v] of incoming) {
    if (!known.has(voiceUserId)) upserts.push({ voiceUserId, desired: null, applied: null, inDirectory: true, hasLine: v.hasLine });
  }
  return { upserts, deletions };
}
