/**
 * One step of setting up the provider's derived trunk in the customer tenant (Direct Routing accounts; Microsoft's
 * carrier model, shared/domain/trunkDomain.ts). The sync orchestration calls it until it answers `ready`, with a durable
 * timer in between while Microsoft verifies the domain or activates it. Each step looks at the tenant afresh and does
 * the next thing:
 *
 * 1. the integration's voice route exists: put back any drift of its fields, remove the activation user if one is
 *    left → ready;
 * 2. otherwise, before any write: a tenant with fewer than two spare Teams licences is refused (NO_SPARE_LICENCES);
 * 3. the subdomain is added to the tenant (Graph), its TXT verification record and the A records to the SBC written in
 *    the provider's zone, and verified → waiting while Microsoft does not see the record yet;
 * 4. the PSTN usage is in the Global list and the route is created over the derived trunk → ready; Teams refuses the
 *    route while the domain is not active: then a temporary user with a spare licence and a UPN on the subdomain
 *    activates it → waiting, and the route is tried again next step.
 *
 * Idempotent: every write is "make it so" (add returns what is there, DNS puts replace, user create returns the
 * existing one, the route is created only when missing). Each change is an activity-log row keyed by what it changes.
 */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { fieldDrift } from '../domain/tenantVoiceConfig';
import { activationUpn, derivedTrunk, desiredVoiceRoute, SPARE_LICENCES_NEEDED, spareTeamsLicences } from '../domain/trunkDomain';
import { pstnUsageName } from '../domain/tenantVoiceConfig';
import { StageInput, TrunkStepOutput } from './contract';
import { configEntry } from './configActivity';
import { ActivityEntry, ActivityLog } from './ports';
import { TeamsVoiceConfigFor } from './tenantVoiceConfig';
import { TrunkDns } from './trunkDns';
import { TrunkDomainGatewayFor } from './trunkDomain';

export interface SetUpTrunkDeps {
  accounts: AccountStore;
  activity: ActivityLog;
  teamsConfig: TeamsVoiceConfigFor;
  trunkDomains: TrunkDomainGatewayFor;
  /** The provider's zone; undefined when the trunk DNS is not configured (Operator Connect only). */
  trunkDns: TrunkDns | undefined;
  sbcAddresses: readonly string[];
  /** The subdomain pattern under the provider's zone (`{account}` stands for the account's label). */
  trunkPattern: string;
  /** Where the activation user is (licences need a usage location). */
  activationUsageLocation: string;
  /** Seconds to wait while Microsoft verifies or activates the domain. */
  trunkPollSeconds: number;
  now: () => Date;
}

const TTL = 3600;

export async function setUpTrunk(deps: SetUpTrunkDeps, ref: StageInput): Promise<Result<TrunkStepOutput>> {
  const loaded = await loadAccount(deps.accounts, ref.accountId);
  if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this sync run no longer exists.');
  const { policyPrefix, numberType } = loaded.value.account.settings;
  // Operator Connect routes through the operator; a final sync sets nothing up (the clean-up removes the trunk).
  if (numberType !== 'directRouting' || loaded.value.account.state === 'removalPending') return ok({ state: 'ready', waitSeconds: 0 });
  const dns = deps.trunkDns;
  if (!dns || deps.sbcAddresses.length === 0)
    return fail('TRUNK_DOMAIN_FAILED', "The provider's trunk DNS is not configured (PROVIDER_TRUNK_BASE_DOMAIN and the rest).");

  const access = { kind: 'run' as const, runId: ref.runId, tenantId: ref.tenantId };
  const config = deps.teamsConfig(access);
  const domains = deps.trunkDomains(access);
  const { fqdn, relativeName: label } = derivedTrunk(ref.accountId, dns.zone, deps.trunkPattern);
  const route = desiredVoiceRoute(policyPrefix, [fqdn]);
  const at = deps.now().toISOString();
  const entries: ActivityEntry[] = [];
  const record = (kind: string, target: string, result: Result<unknown>, before: unknown = null, after: unknown = null) =>
    entries.push(configEntry(ref, { kind, target, before, after }, result, at));
  const done = async <T>(r: Result<T>): Promise<Result<T>> => {
    await deps.activity.record(entries);
    return r.ok || r.error.transient ? r : fail(r.error.code, r.error.message);
  };
  const waiting = (reason: TrunkStepOutput['reason']) =>
    done(ok<TrunkStepOutput>({ state: 'waiting', waitSeconds: deps.trunkPollSeconds, reason }));

  // 1. The route is there: the trunk was set up; keep the route as it should be.
  const existing = await config.read([{ type: 'OnlineVoiceRoute', name: route.name }]);
  if (!existing.ok) return existing;
  const found = existing.value.objects[0];
  if (found) {
    const drift = fieldDrift(route.fields, found.fields);
    if (drift) {
      const repaired = await config.update('OnlineVoiceRoute', route.name, drift.fields);
      record('repairVoiceRoute', `OnlineVoiceRoute/${route.name}`, repaired, drift.before, drift.fields);
      if (!repaired.ok) return done(repaired);
    }
    const removed = await domains.deleteUser(activationUpn(fqdn));
    if (!removed.ok) return done(removed);
    return done(ok({ state: 'ready', waitSeconds: 0 }));
  }

  // 2. A first set-up needs spare licences: refused before anything is written.
  const tenantDomain = await domains.get(fqdn);
  if (!tenantDomain.ok) return tenantDomain;
  if (!tenantDomain.value) {
    const stock = await domains.licences();
    if (!stock.ok) return stock;
    const spare = spareTeamsLicences(stock.value);
    if (spare < SPARE_LICENCES_NEEDED)
      return fail(
        'NO_SPARE_LICENCES',
        `The tenant has ${spare} unassigned Microsoft 365 licence(s) with Teams; the first sync needs ${SPARE_LICENCES_NEEDED} for a few hours to activate the provider's trunk domain. Free or buy licences, then sync again.`,
        { spare, needed: SPARE_LICENCES_NEEDED },
      );
  }

  // 3. The subdomain: added, its records in the provider's zone, verified.
  let verified = tenantDomain.value?.isVerified ?? false;
  if (!tenantDomain.value) {
    const added = await domains.add(fqdn);
    record('addTrunkDomain', fqdn, added, null, fqdn);
    if (!added.ok) return done(added);
    verified = added.value.isVerified;
  }
  const a = await dns.get(label, 'A');
  if (!a.ok) return done(a);
  if (!a.value || [...a.value.values].sort().join(',') !== [...deps.sbcAddresses].sort().join(',')) {
    const put = await dns.putA(label, deps.sbcAddresses, TTL);
    record('putTrunkDnsA', `${label}.${dns.zone}`, put, a.value?.values ?? null, deps.sbcAddresses);
    if (!put.ok) return done(put);
  }
  if (!verified) {
    const text = await domains.verificationText(fqdn);
    if (!text.ok) return done(text);
    const txt = await dns.get(label, 'TXT');
    if (!txt.ok) return done(txt);
    if (!txt.value?.values.includes(text.value)) {
      const put = await dns.putTxt(label, [text.value], TTL);
      record('putTrunkDnsTxt', `${label}.${dns.zone}`, put, null, 'MS=…');
      if (!put.ok) return done(put);
    }
    const checked = await domains.verify(fqdn);
    if (!checked.ok) return done(checked);
    if (!checked.value.verified) return waiting('verifying');
    record('verifyTrunkDomain', fqdn, ok(null), null, 'verified');
  }

  // 4. The route over the derived trunk (its usage in the Global list first); Teams refuses it while the domain is
  // not active.
  const usageName = pstnUsageName(policyPrefix);
  if (!existing.value.pstnUsages.includes(usageName)) {
    const usage = await config.addPstnUsage(usageName);
    record('addPstnUsage', `OnlinePstnUsages/${usageName}`, usage, null, usageName);
    if (!usage.ok) return done(usage);
  }
  const routed = async (): Promise<Result<TrunkStepOutput> | null> => {
    const created = await config.create('OnlineVoiceRoute', route.name, route.fields);
    if (!created.ok) return created.error.transient || created.error.code !== 'TEAMS_WRITE_REFUSED' ? done(created) : null;
    record('createVoiceRoute', `OnlineVoiceRoute/${route.name}`, created, null, route.fields);
    const removed = await domains.deleteUser(activationUpn(fqdn));
    if (!removed.ok) return done(removed);
    return done(ok({ state: 'ready', waitSeconds: 0 }));
  };
  const first = await routed();
  if (first) return first;

  const stock = await domains.licences();
  if (!stock.ok) return done(stock);
  const sku = stock.value.find((s) => s.teams && s.spare > 0);
  if (!sku)
    return done(
      fail('NO_SPARE_LICENCES', "No unassigned licence with Teams is left to activate the provider's trunk domain.", { spare: 0 }),
    );
  const user = await domains.createLicensedUser({
    userPrincipalName: activationUpn(fqdn),
    displayName: 'Teams trunk activation (temporary)',
    usageLocation: deps.activationUsageLocation,
    skuId: sku.skuId,
  });
  record('createActivationUser', activationUpn(fqdn), user, null, sku.skuPartNumber);
  if (!user.ok) return done(user);
  // Teams may see the new user at once; otherwise the next step tries the route again.
  return (await routed()) ?? waiting('activating');
}
