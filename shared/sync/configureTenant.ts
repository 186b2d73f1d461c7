/**
 * The run's tenant voice configuration stage: the integration's PSTN usage, voice routing policy and six calling
 * policies (shared/domain/tenantVoiceConfig.ts) read from the tenant, compared field by field with what they should be,
 * and created or put back; each change is an activity-log row with before and after. Objects with other names, and the
 * fields the integration does not set, are never touched.
 *
 * Idempotent: every change is "make it so" (create if missing, keyed by name; set these fields), and the changes come
 * from a fresh read, so a step that runs again (or after a crash) finds less or nothing to do. A refused change fails
 * the stage with its code (the users' grants would refer to objects that are not right); transient faults throw for
 * the activity retry.
 */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { ConfigChange, desiredTenantConfig, tenantConfigChanges } from '../domain/tenantVoiceConfig';
import { StageInput } from './contract';
import { configEntry } from './configActivity';
import { ActivityEntry, ActivityLog } from './ports';
import { RequestIds } from './teamsVoice';
import { TeamsVoiceConfigFor } from './tenantVoiceConfig';

export interface ConfigureTenantDeps {
  accounts: AccountStore;
  activity: ActivityLog;
  teamsConfig: TeamsVoiceConfigFor;
  providerName: string;
  now: () => Date;
}

export interface ConfigureTenantOutput {
  /** Objects created or put back, and usages added. */
  changed: number;
}

/** The activity row of one configuration change. */
function changeEntry(ref: StageInput, c: ConfigChange, result: Result<RequestIds>, at: string): ActivityEntry {
  const target = c.kind === 'addPstnUsage' ? `OnlinePstnUsages/${c.name}` : `${c.type}/${c.name}`;
  const kind = c.kind === 'addPstnUsage' ? 'addPstnUsage' : c.kind === 'create' ? 'createPolicy' : 'repairPolicy';
  const before = c.kind === 'repair' ? c.before : null;
  const after = c.kind === 'addPstnUsage' ? c.name : c.fields;
  return configEntry(ref, { kind, target, before, after }, result, at);
}

export async function configureTenant(deps: ConfigureTenantDeps, ref: StageInput): Promise<Result<ConfigureTenantOutput>> {
  const loaded = await loadAccount(deps.accounts, ref.accountId);
  if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this sync run no longer exists.');
  const { policyPrefix, numberType } = loaded.value.account.settings;
  // A final sync creates nothing: the clean-up after it removes these objects.
  if (loaded.value.account.state === 'removalPending') return ok({ changed: 0 });
  const desired = desiredTenantConfig({ policyPrefix, numberType, providerName: deps.providerName });
  const config = deps.teamsConfig({ kind: 'run', runId: ref.runId, tenantId: ref.tenantId });
  const actual = await config.read(desired.objects);
  if (!actual.ok) return actual;

  const changes = tenantConfigChanges(desired, actual.value);
  const at = deps.now().toISOString();
  const entries: ActivityEntry[] = [];
  let failure: Result<never> | null = null;
  for (const c of changes) {
    const result =
      c.kind === 'addPstnUsage'
        ? await config.addPstnUsage(c.name)
        : c.kind === 'create'
          ? await config.create(c.type, c.name, c.fields)
          : await config.update(c.type, c.name, c.fields);
    // Recorded before deciding: a transient failure is retried by the activity, and writing the row again keeps one.
    if (!result.ok && result.error.transient) {
      await deps.activity.record(entries);
      return result;
    }
    entries.push(changeEntry(ref, c, result, at));
    if (!result.ok) failure ??= fail(result.error.code, result.error.message);
  }
  await deps.activity.record(entries);
  return failure ?? ok({ changed: changes.length });
}
