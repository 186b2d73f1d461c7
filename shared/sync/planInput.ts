/**
 * From the stored mapping to the planner's input (shared/domain/syncPlan.ts): who should have what in Teams (every
 * mapped voice user still in the directory, so drift on a user is repaired too), and what the integration had set on
 * Teams users it no longer maps (from the applied state recorded with the applied mapping). Also what to read from the
 * tenant: the Teams users involved and the lines whose holders matter.
 */
import { DesiredUser, desiredLine, lineOf, PlanSettings, ReleasedUser, telephoneNumberOf } from '../domain/syncPlan';
import { StoredVoiceUser } from '../mapping/ports';

export interface PlanInputs {
  desired: DesiredUser[];
  released: ReleasedUser[];
  /** Teams users whose voice configuration the plan needs, sorted. */
  teamsUserIds: string[];
  /** Lines (`+E164[;ext=N]`) the plan gives out, sorted: their holders in the tenant are read. */
  telephoneNumbers: string[];
}

/**
 * `removal`: the final sync of a removed integration: nothing is desired any more, every applied mapping is released.
 */
export function planInputsOf(users: readonly StoredVoiceUser[], settings: PlanSettings, removal = false): PlanInputs {
  const desired: DesiredUser[] = [];
  const released: ReleasedUser[] = [];
  for (const u of users) {
    if (!removal && u.inDirectory && u.desired !== null) {
      desired.push({
        voiceUserId: u.id,
        teamsUserId: u.desired,
        phoneNumber: u.phoneNumber,
        extension: u.extension,
        voicemail: u.voicemail,
        callForwarding: u.callForwarding,
        musicOnHold: u.musicOnHold,
      });
    }
    const stillMapped = !removal && u.inDirectory && u.desired === u.applied;
    if (u.applied !== null && !stillMapped) {
      const state = u.appliedState ?? null;
      const line = state?.telephoneNumber ? lineOf(state.telephoneNumber) : null;
      released.push({
        voiceUserId: u.id,
        teamsUserId: u.applied,
        line: line && state?.numberType ? { ...line, numberType: state.numberType } : null,
        voiceRoutingPolicy: state?.voiceRoutingPolicy ?? null,
        callingPolicy: state?.callingPolicy ?? null,
      });
    }
  }
  const teamsUserIds = [...new Set([...desired, ...released].map((u) => u.teamsUserId))].sort();
  const lines = desired.map((d) => desiredLine(d, settings.mainNumber)).flatMap((l) => (l ? [telephoneNumberOf(l)] : []));
  return { desired, released, teamsUserIds, telephoneNumbers: [...new Set(lines)].sort() };
}
