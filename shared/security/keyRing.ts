/**
 * The app's secret keys: one versioned master secret (current, plus previous ones during a rotation) from which each
 * job gets its own key with HKDF-SHA256 under a distinct info label, so a key used for one job is never valid for
 * another. The labels are part of the format: changing one invalidates everything made with it (docs/operations.md).
 */
import { hkdfSync } from 'node:crypto';

/** The id of the master key when none is configured (LINK_SIGNING_KEY_ID). */
export const DEFAULT_KEY_ID = 'k1';

/** A master secret and its id (the `kid` of what it signs or seals). */
export interface MasterKey {
  id: string;
  secret: string;
}

/** The current master key signs and seals; previous ones are still accepted to verify and open until removed. */
export interface KeyRing {
  current: MasterKey;
  previous: readonly MasterKey[];
}

/** HKDF info labels, one per job. */
export const KEY_LABELS = {
  links: 'teams-voice-sync/links/v1',
  csrf: 'teams-voice-sync/csrf/v1',
  sealing: 'teams-voice-sync/sealing/v1',
} as const;

export type KeyPurpose = keyof typeof KEY_LABELS;

/** The 256-bit key of one job, derived from a master secret. */
export const deriveKey = (secret: string, purpose: KeyPurpose): Uint8Array =>
  new Uint8Array(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_LABELS[purpose], 32));

export interface DerivedKey {
  kid: string;
  key: Uint8Array;
}

/** One job's keys: the current one, and every accepted one by id. */
export class PurposeKeys {
  readonly current: DerivedKey;
  readonly accepted: readonly DerivedKey[];

  constructor(ring: KeyRing, purpose: KeyPurpose) {
    const derive = (k: MasterKey): DerivedKey => ({ kid: k.id, key: deriveKey(k.secret, purpose) });
    this.current = derive(ring.current);
    this.accepted = [this.current, ...ring.previous.map(derive)];
  }

  byId(kid: unknown): Uint8Array | undefined {
    return typeof kid === 'string' ? this.accepted.find((k) => k.kid === kid)?.key : undefined;
  }
}

/** A ring with a single master key (no rotation in progress). */
export const singleKey = (id: string, secret: string): KeyRing => ({ current: { id, secret }, previous: [] });
