/**
 * The end of a removal: after the final sync released every user (their numbers and grants reverted), what the
 * integration created in the tenant goes too, in dependency order: the voice route (it names the trunk and the usage),
 * the voice routing policy and the six calling policies, the usage from the Global list, the trunk subdomain (Graph),
 * and its TXT and A records in the provider's zone. Objects already gone are fine; objects with other names are never
 * touched. One activity row per removal, keyed by the object, so a step that runs again rewrites the same rows.
 */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { desiredTenantConfig, pstnUsageName } from '../domain/tenantVoiceConfig';
import { derivedTrunk } from '../domain/trunkDomain';
import { StageInput } from './contract';
import { configEntry } from './configActivity';
import { ActivityEntry, ActivityLog } from './ports';
import { TeamsVoiceConfigFor } from './tenantVoiceConfig';
import { TrunkDns } from './trunkDns';
import { TrunkDomainGatewayFor } from './trunkDomain';

export interface CleanUpTenantDeps {
  accounts: AccountStore;
  activity: ActivityLog;
  teamsConfig: TeamsVoiceConfigFor;
  trunkDomains: TrunkDomainGatewayFor;
  trunkDns: TrunkDns | undefined;
  trunkPattern: string;
  providerName: string;
  now: () => Date;
}

export async function cleanUpTenant(deps: CleanUpTenantDeps, ref: StageInput): Promise<Result<{ removed: number }>> {
  const loaded = await loadAccount(deps.accounts, ref.accountId);
  if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this sync run no longer exists.');
  if (loaded.value.account.state !== 'removalPending') return ok({ removed: 0 });
  const { policyPrefix } = loaded.value.account.settings;
  const access = { kind: 'run' as const, runId: ref.runId, tenantId: ref.tenantId };
  const config = deps.teamsConfig(access);
  const at = deps.now().toISOString();
  const entries: ActivityEntry[] = [];
  const row = (kind: string, target: string, result: Result<unknown>) =>
    entries.push(configEntry(ref, { kind, target, before: target }, result, at));
  const finish = async (r: Result<{ removed: number }>) => {
    await deps.activity.record(entries);
    return r.ok || r.error.transient ? r : fail(r.error.code, r.error.message);
  };

  // What the integration created, whatever the account's number type is now (it may have changed since).
  const objects = desiredTenantConfig({ policyPrefix, numberType: 'directRouting', providerName: deps.providerName }).objects;
  const steps: Array<[kind: string, target: string, run: () => Promise<Result<unknown>>]> = [
    ['deleteVoiceRoute', `OnlineVoiceRoute/${policyPrefix}`, () => config.remove('OnlineVoiceRoute', policyPrefix)],
    ...objects.map((o): [string, string, () => Promise<Result<unknown>>] => [
      'deletePolicy',
      `${o.type}/${o.name}`,
      () => config.remove(o.type, o.name),
    ]),
    ['removePstnUsage', `OnlinePstnUsages/${pstnUsageName(policyPrefix)}`, () => config.removePstnUsage(pstnUsageName(policyPrefix))],
  ];
  const dns = deps.trunkDns;
  if (dns) {
    const { fqdn, relativeName: label } = derivedTrunk(ref.accountId, dns.zone, deps.trunkPattern);
    const domains = deps.trunkDomains(access);
    steps.push(
      ['removeTrunkDomain', fqdn, () => domains.remove(fqdn)],
      ['deleteTrunkDnsTxt', `${label}.${dns.zone}`, () => dns.delete(label, 'TXT')],
      ['deleteTrunkDnsA', `${label}.${dns.zone}`, () => dns.delete(label, 'A')],
    );
  }
  let removed = 0;
  for (const [kind, target, run] of steps) {
    const result = await run();
    row(kind, target, result);
    if (!result.ok) return finish(result);
    removed++;
  }
  return finish(ok({ removed }));
}
