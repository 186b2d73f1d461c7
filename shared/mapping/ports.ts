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

export interface VoiceUserStore {
  read(accountId: string): Promise<MappingSnapshot>;
  /** The mapping's state (version, ETag, summary) with only these voice users (point reads; missing ones left out). */
  readSome(accountId: string, ids: readonly string[]): Promise<MappingSnapshot>;
  /** The mapping's summary and version only (one point read). */
  summary(accountId: string): Promise<{ version: number; summary: MappingSummary }>;
  /**
   * Writes rows and deletions, each transaction of at most 100 operations also moving the state row (version,
   * summary) on from `base` — so a write that lost a race fails with CONCURRENT_UPDATE instead of losing an update.
   * Up to 99 rows go in one transaction: a mapping save is atomic. A larger write (a directory import) is not: if it
   * fails midway the rows written so far stay, the summary stays the one from before until the next write recomputes
   * it from all rows, and sending the same
   * directory again completes it (imports converge on the file).
   */
  commit(
    accountId: string,
    base: Pick<MappingSnapshot, 'version' | 'etag' | 'summary'>,
    upserts: StoredVoiceUser[],
    deletions: string[],
    summary: MappingSummary,
  ): Promise<Result<{ version: number; etag: string }>>;
}
