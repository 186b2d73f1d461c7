/** The integration page's one-sentence preview of the next sync (GET /sync-plan's summary), in plain words. */
import { OperationKind } from '../domain/syncPlan';

export interface SyncPreviewSummary {
  operations: Partial<Record<OperationKind, number>>;
  usersRefused: number;
}

/** Each kind as "<verb> N <thing>", in the order a reader expects them: numbers, then policies set, then removed. */
const PHRASES: ReadonlyArray<[OperationKind, string, string, string]> = [
  ['assignNumber', 'assign', 'number', 'numbers'],
  ['unassignNumber', 'remove', 'number', 'numbers'],
  ['grantVoiceRoutingPolicy', 'set', 'voice routing policy', 'voice routing policies'],
  ['grantCallingPolicy', 'set', 'calling policy', 'calling policies'],
  ['revokeVoiceRoutingPolicy', 'remove', 'voice routing policy', 'voice routing policies'],
  ['revokeCallingPolicy', 'remove', 'calling policy', 'calling policies'],
];

const list = (parts: string[]): string =>
  parts.length < 2 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;

/**
 * E.g. "This sync will assign 3 numbers, remove 1 number and set 5 calling policies. 1 user will be skipped (see the
 * portal)." Plain text: the page escapes it.
 */
export function syncPreviewSentence(summary: SyncPreviewSummary): string {
  const changes = PHRASES.flatMap(([kind, verb, one, many]) => {
    const n = summary.operations[kind] ?? 0;
    return n > 0 ? [`${verb} ${n} ${n === 1 ? one : many}`] : [];
  });
  const refused = summary.usersRefused;
  const skipped = refused > 0 ? ` ${refused} ${refused === 1 ? 'user' : 'users'} will be skipped (see the portal).` : '';
  if (changes.length === 0) return `This sync will change nothing in Microsoft Teams.${skipped}`;
  return `This sync will ${list(changes)}.${skipped}`;
}
