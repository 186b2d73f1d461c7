/** What the voice-user directory and the mapping need from storage. */
import { Result } from '../domain/errors';
import { MappingSummary } from '../domain/mapping';
import { VoiceUser } from '../domain/voiceUser';

import type { AppliedVoiceState, LastSyncResult } from '../domain/syncApply';

export type { AppliedVoiceState, LastSyncResult };

/** A voice user with its two mappings (see shared/domain/mapping.ts). */
export interface StoredVoiceUser extends VoiceUser {
  desired: string | null;
  applied: string | null;
  inDirectory: boolean;
  /** Set by the sync with `applied`; null while nothing is applied. */
  appliedState?: AppliedVoiceState | null;
  lastSync?: LastSyncResult | null;
}

/** The account's directory and mapping as read at one moment; `version` is the mapping's ETag. */
export interface MappingSnapshot {
  version: number;
  /** Storage concurrency token of the mapping's state row; null before the first write. */
  etag: string | null;
  summary: MappingSummary;
  users: StoredVoiceUser[];
}

/** A page of voice users in the mapping's order (by display name, then id) and the mapping's state. */
export interface VoiceUserPage {
  version: number;
  summary: MappingSummary;
  /** Voice users in all. */
  total: number;
  users: StoredVoiceUser[];
}

export interface VoiceUserStore {
  /** Every voice user (a directory import, the sync's plan). */
  read(accountId: string): Promise<MappingSnapshot>;
  /**
   * The mapping's state (version, ETag, summary), read first, then only these voice users (point reads; missing ones
   * left out). Whatever is read after it (e.g. `holders`) is covered by a commit on this snapshot's ETag.
   */
  readSome(accountId: string, ids: readonly string[]): Promise<MappingSnapshot>;
  /** `limit` voice users from `offset` in the mapping's order, with the mapping's state (a few range and point reads). */
  page(accountId: string, offset: number, limit: number): Promise<VoiceUserPage>;
  /** Who holds each of these Teams users in the desired mapping: Teams user id → voice user id (point reads). */
  holders(accountId: string, teamsUserIds: readonly string[]): Promise<Map<string, string>>;
  /** Every Teams user held in the desired mapping (one range read of the index; its size is the mapped users'). */
  held(accountId: string): Promise<Set<string>>;
  /** The mapping's summary and version only (one point read). */
  summary(accountId: string): Promise<{ version: number; summary: MappingSummary }>;
  /**
   * Writes rows and deletions, each transaction of at most 100 operations also moving the state row (version,
   * summary) on from `base` — so a write that lost a race fails with CONCURRENT_UPDATE instead of losing an update.
   * A voice user's row goes in the same transaction as the index rows its desired mapping moves; a mapping save
   * (at most 33 changes: 99 operations) is one transaction, so it is atomic. A larger write (a directory import) is not: if it
   * fails midway the rows written so far stay, the summary stays the one from before until the next write recomputes
   * it from all rows, and sending the same
   * directory again completes it (imports converge on the file).
   * `base.users` must hold the stored row of every voice user written or deleted (as `read` or `readSome` gave it):
   * what their desired mapping was is how the Teams-user index and the page order are kept with the rows.
   */
  commit(
    accountId: string,
    base: MappingSnapshot,
    upserts: StoredVoiceUser[],
    deletions: string[],
    summary: MappingSummary,
  ): Promise<Result<{ version: number; etag: string }>>;
}
