/**
 * After a sync: Microsoft Teams takes a while (the seeds say up to 2 hours) before a user's new number and policies
 * show in the user's own configuration and on the dial pad. The verification checks each applied user's Teams
 * configuration until everything the run applied to them shows there, and flags the users it never saw effective.
 */
import { ActualUser } from './syncPlan';
import { RunVerification } from './syncRun';
import { isApplied, numberChangeHolds, PlannedUser } from './syncApply';

export const NOT_EFFECTIVE_AFTER_2H = {
  code: 'NOT_EFFECTIVE_AFTER_2H',
  message: 'Microsoft Teams applied the changes, but two hours later the user’s Teams configuration still does not show them.',
} as const;

/** A user the run changed and applied, whose effect is not settled yet (the verification is kept on the plan row). */
export const awaitsVerification = (u: PlannedUser): boolean => isApplied(u) && u.operations.length > 0 && !u.verification;

/** Does the user's Teams configuration show every change the run applied to them? */
export function isEffective(u: PlannedUser, actual: ActualUser | undefined): boolean {
  if (!actual || actual.gone) return false;
  return u.operations.every(({ operation: o }) => {
    switch (o.kind) {
      case 'assignNumber':
      case 'unassignNumber':
        return numberChangeHolds(o, actual);
      case 'grantVoiceRoutingPolicy':
        return sameName(actual.voiceRoutingPolicy, o.policyName);
      case 'grantCallingPolicy':
        return sameName(actual.callingPolicy, o.policyName);
      case 'revokeVoiceRoutingPolicy':
        return actual.voiceRoutingPolicy === null;
      case 'revokeCallingPolicy':
        return actual.callingPolicy === null;
    }
  });
}

const sameName = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

export interface VerificationCounts {
  users: number;
  effective: number;
  notEffective: number;
}

export type { RunVerification };

export function runVerification(counts: VerificationCounts, until: string, checkedAt: string, final: boolean): RunVerification {
  const pending = counts.users - counts.effective - counts.notEffective;
  const status = pending > 0 && !final ? 'verifying' : counts.notEffective > 0 || pending > 0 ? 'notEffective' : 'effective';
  return { status, ...counts, until, checkedAt };
}
