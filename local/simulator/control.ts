/**
 * Control API of the simulator: scripting (sign-in outcomes, token errors, faults, slow operations), registration
 * (apps, tenants, consents) and inspection (Teams state, mailbox, request log, contract violations).
 * Available in-process (`SimulatorControl`) and as JSON over HTTPS, with a small HTML mailbox viewer.
 */
import { FaultRule, FaultSpec } from './faults';
import type { BucketLimit, BucketStats, ThrottleFamily, ThrottleSettings } from './throttle';
import { html, json, SimRequest, SimResponse } from './http';
import type { AppRegistration, AuthorizeOutcome, ContractViolation, RequestLogEntry, SentEmail, SimState, TokenErrorScript } from './state';
import {
  applyNumberAssignment,
  domainActive,
  isGlobalAdmin,
  licenseUser,
  MCOEV_PLAN,
  removeUser,
  RESOURCE_ACCOUNT_DEPARTMENT,
  SimDomain,
  SimUser,
  TenantSeed,
  TenantState,
  userPlanEnabled,
} from './tenants/model';
import { CONFIG_TYPES, createPolicies, renderUserConfiguration, teamsSnapshot } from './tenants/teams';
import { escapeHtml } from './util';

export interface TenantSummary {
  id: string;
  displayName: string;
  domain: string;
  userCount: number;
  adminConsents: string[];
}

export interface UserSummary {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  globalAdmin: boolean;
  roles: string[];
  /** Teams Phone (MCOEV) enabled and no Calling Plan */
  eligible: boolean;
  callingPlan: boolean;
  resourceAccount: 'autoAttendant' | 'callQueue' | null;
  department: string | null;
}

const CALLING_PLAN_PLANS = [
  '4ed3ff63-69d7-4fb7-b984-5aec7f605ca8',
  '5a10155d-f5c1-411a-a8ec-e99aae125390',
  '54a152dc-90de-4996-93d2-bc47e670fc06',
  '346d83bf-6fe6-42ca-b424-b9300d2e21bf',
  '156a1efe-17cd-4b03-9f17-2eb512298fb3',
  '6b340437-d6f9-4dc5-8cc2-99163f7f83d6',
];

type NumberType = NonNullable<TenantSeed['numbers']>[number]['numberType'];
const NUMBER_TYPES: readonly NumberType[] = ['directRouting', 'callingPlan', 'operatorConnect'];

/** An unknown tenant or user: the JSON routes answer 404 instead of 400. */
class NotFound extends Error {}

export class SimulatorControl {
  constructor(private readonly state: SimState) {}

  /** Queues outcomes for the next authorize / adminconsent requests (first in, first out). */
  scriptAuthorize(...outcomes: AuthorizeOutcome[]): void {
    this.state.authorizeScripts.push(...outcomes);
  }

  /** Makes upcoming token requests fail with a documented Entra error (e.g. MFA required for the Teams admin API). */
  scriptTokenError(script: TokenErrorScript): void {
    this.state.tokenErrorScripts.push({ ...script });
  }

  registerApp(app: AppRegistration): void {
    this.state.apps.set(app.clientId, { ...app });
  }

  grantAdminConsent(tenantId: string, clientId: string): void {
    const t = this.state.findTenant(tenantId);
    if (!t) throw new Error(`unknown tenant ${tenantId}`);
    t.adminConsents.add(clientId);
  }

  addTenant(seed: TenantSeed): TenantSummary {
    const t = this.state.addTenant(seed);
    return this.summary(t.id)!;
  }

  tenants(): TenantSummary[] {
    return [...this.state.tenants.keys()].map((id) => this.summary(id)!);
  }

  private summary(id: string): TenantSummary | undefined {
    const t = this.state.findTenant(id);
    return t && { id: t.id, displayName: t.displayName, domain: t.domain, userCount: t.users.length, adminConsents: [...t.adminConsents] };
  }

  users(tenantId: string): UserSummary[] {
    const t = this.state.findTenant(tenantId);
    if (!t) throw new Error(`unknown tenant ${tenantId}`);
    return t.users.map((u) => {
      const callingPlan = CALLING_PLAN_PLANS.some((p) => userPlanEnabled(u, p));
      return {
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        accountEnabled: u.accountEnabled,
        globalAdmin: isGlobalAdmin(u),
        roles: [...u.roles],
        eligible: !u.resourceAccount && userPlanEnabled(u, MCOEV_PLAN) && !callingPlan,
        callingPlan,
        resourceAccount: u.resourceAccount ?? (u.department === RESOURCE_ACCOUNT_DEPARTMENT ? 'autoAttendant' : null),
        department: u.department,
      };
    });
  }

  /** A user by alias (part before @), UPN or object id. */
  user(tenantId: string, who: string): UserSummary {
    const key = who.toLowerCase();
    const u = this.users(tenantId).find(
      (x) => x.id === key || x.userPrincipalName.toLowerCase() === key || x.userPrincipalName.toLowerCase().split('@')[0] === key,
    );
    if (!u) throw new Error(`unknown user ${who} in tenant ${tenantId}`);
    return u;
  }

  private tenant(tenantId: string): TenantState {
    const t = this.state.findTenant(tenantId);
    if (!t) throw new NotFound(`unknown tenant ${tenantId}`);
    return t;
  }

  /** The live user behind an alias, UPN or object id (as user() finds them). */
  private simUser(tenantId: string, who: string): { t: TenantState; u: SimUser } {
    const t = this.tenant(tenantId);
    const key = who.toLowerCase();
    const u = t.usersById.get(key) ?? t.usersByUpn.get(key) ?? t.usersByUpn.get(`${key}@${t.domain}`.toLowerCase());
    if (!u) throw new NotFound(`unknown user ${who} in tenant ${tenantId}`);
    return { t, u };
  }

  /** Licenses the user with a Domestic Calling Plan (MCOPSTN1): Graph then shows featureTypes CallingPlan. */
  giveCallingPlan(tenantId: string, who: string): UserSummary {
    const { u } = this.simUser(tenantId, who);
    licenseUser(u, 'MCOPSTN1');
    return this.user(tenantId, u.id);
  }

  /** Deletes the user: Graph answers 404 for them, their numbers are released and their policy grants go. */
  deleteUser(tenantId: string, who: string): void {
    const { t, u } = this.simUser(tenantId, who);
    removeUser(t, u);
    // Entra revokes a deleted user's sign-ins: no code or refresh token of theirs may be redeemed any more
    for (const [k, c] of this.state.codes) if (c.tenantId === t.id && c.userId === u.id) this.state.codes.delete(k);
    for (const [k, r] of this.state.refreshTokens) if (r.tenantId === t.id && r.userId === u.id) this.state.refreshTokens.delete(k);
  }

  /**
   * Teams lags on this user: their user configuration (Graph `userConfigurations`) keeps showing what it shows now for
   * `seconds` (null: for good), whatever is assigned to them meanwhile; as Microsoft's "up to 2 hours".
   */
  holdUserConfiguration(tenantId: string, who: string, seconds: number | null): void {
    const { t, u } = this.simUser(tenantId, who);
    const configuration = renderUserConfiguration(t, u);
    t.heldConfigurations ??= new Map();
    t.heldConfigurations.set(u.id, { configuration, until: seconds === null ? null : Date.now() + seconds * 1000 });
  }

  /** The tenant's domains (Graph `/domains`), with whether each is active as a Direct Routing derived trunk domain. */
  domains(tenantId: string): Array<SimDomain & { active: boolean }> {
    const t = this.tenant(tenantId);
    return [...t.domains.values()].map((d) => ({ ...d, supportedServices: [...d.supportedServices], active: domainActive(t, d.id) }));
  }

  /** Writes a record set into the simulated DNS (zone created when missing); `relative` is '@' at the apex. */
  setDnsRecord(zone: string, relative: string, type: string, values: string[], ttl = 3600): void {
    const z = zone.toLowerCase();
    let records = this.state.dns.get(z);
    if (!records) this.state.dns.set(z, (records = new Map()));
    records.set(`${relative.toLowerCase()}|${type.toUpperCase()}`, { ttl, values: [...values] });
  }

  /**
   * Creates policies (e.g. OnlineVoiceRoutingPolicy "Acme") as the ConfigAPI create does; one that exists is kept.
   * Returns the identities of those it created.
   */
  addPolicies(tenantId: string, policyType: string, names: string[]): string[] {
    const t = this.tenant(tenantId);
    const type = CONFIG_TYPES.find((x) => x.toLowerCase() === policyType.toLowerCase());
    if (!type || type === 'OnlinePstnUsages') throw new Error(`policy type ${policyType} cannot be created`);
    return createPolicies(t, type, names);
  }

  /**
   * Puts a number straight on a user, as a Graph assign does once it applies, without its checks (licence, inventory):
   * to set up conflicts for a sync. A number held by someone else or of another type is refused (Teams has no such state).
   */
  assignNumberTo(tenantId: string, who: string, telephoneNumber: string, numberType: NumberType): Record<string, unknown> {
    const { t, u } = this.simUser(tenantId, who);
    if (!NUMBER_TYPES.includes(numberType)) throw new Error(`numberType must be one of ${NUMBER_TYPES.join(', ')}`);
    const phone = telephoneNumber.startsWith('+') ? telephoneNumber : `+${telephoneNumber}`;
    if (!/^\+\d{6,15}(;ext=\d+)?$/.test(phone)) throw new Error(`telephoneNumber ${telephoneNumber} is not E.164`);
    const existing = t.numbers.get(phone);
    if (existing?.assignmentTargetId && existing.assignmentTargetId !== u.id)
      throw new Error(`${phone} is already assigned to ${existing.assignmentTargetId}`);
    if (existing && existing.numberType !== numberType) throw new Error(`${phone} is a ${existing.numberType} number`);
    return { ...applyNumberAssignment(t, u, phone, numberType) };
  }

  /** Numbers, direct policy grants, policy objects and pending number operations of a tenant. */
  teamsState(tenantId: string): Record<string, unknown> {
    const t = this.state.findTenant(tenantId);
    if (!t) throw new Error(`unknown tenant ${tenantId}`);
    return teamsSnapshot(t);
  }

  injectFault(spec: FaultSpec): FaultRule {
    return this.state.faults.add(spec);
  }

  removeFault(id: string): boolean {
    return this.state.faults.remove(id);
  }

  faults(): FaultRule[] {
    return this.state.faults.list();
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  /**
   * Throttling per tenant, app and API family (local/simulator/throttle.ts): on or off, with limits other than
   * Microsoft's where given. Buckets start full.
   */
  setThrottle(settings: { enabled: boolean; limits?: Partial<Record<ThrottleFamily, BucketLimit>> }): ThrottleSettings {
    return this.state.throttle.configure(settings);
  }

  /** The throttle settings and, per bucket, the requests let through (and their cost) and those answered 429. */
  throttle(): ThrottleSettings & { buckets: BucketStats[] } {
    return { ...this.state.throttle.current(), buckets: this.state.throttle.stats() };
  }

  /** The buckets' counters back to zero (their tokens stay). */
  resetThrottleStats(): void {
    this.state.throttle.resetStats();
  }

  /** How many status polls a new Graph number operation needs before it finishes (slow eventual consistency). */
  setNumberOperationPolls(polls: number): void {
    this.state.faults.numberOperationPolls = Math.max(1, Math.floor(polls));
  }

  /** The lifetime of the access tokens issued from now on: seconds, or 'random' for Microsoft's 60–90 minutes. */
  setTokenLifetime(seconds: number | 'random'): void {
    this.state.config.tokenLifetimeSeconds = seconds === 'random' ? seconds : Math.max(1, Math.floor(seconds));
  }

  /** The next assign/unassign operation on this number ends with status "failed". */
  failNextNumberOperation(telephoneNumber: string, detail = ''): void {
    this.state.faults.failingNumbers.set(telephoneNumber.startsWith('+') ? telephoneNumber : `+${telephoneNumber}`, detail);
  }

  mailbox(): SentEmail[] {
    return this.state.mailbox.map((m) => ({ ...m }));
  }

  requestLog(filter: { service?: string } = {}): RequestLogEntry[] {
    return this.state.requestLog.filter((e) => !filter.service || e.service === filter.service).map((e) => ({ ...e }));
  }

  contractViolations(): ContractViolation[] {
    return this.state.contractViolations.map((v) => ({ ...v }));
  }

  contractChecks(): { enabled: boolean; reason?: string; source?: string } {
    return { ...this.state.contractChecks };
  }

  /** The access and refresh tokens issued so far (tests check none of them leaks into the app's rows, logs or answers). */
  issuedTokens(): string[] {
    return [...this.state.issuedTokens];
  }

  /** Names and attributes of the vault's secrets (never their values). */
  secrets(): Array<{ name: string; versions: number; exp?: number; enabled: boolean }> {
    return [...this.state.secrets.values()].map((v) => ({
      name: v[0]!.name,
      versions: v.length,
      exp: v[v.length - 1]!.exp,
      enabled: v[v.length - 1]!.enabled,
    }));
  }

  /**
   * The record sets of a simulated Azure DNS zone, sorted by name and type (values as stored: TXT strings joined, A
   * addresses, the CNAME target); an unknown zone is an error.
   */
  dnsRecords(zone: string): Array<{ name: string; type: string; ttl: number; values: string[] }> {
    const records = this.state.dns.get(zone.toLowerCase().replace(/\.$/, ''));
    if (!records) throw new NotFound(`unknown DNS zone ${zone}`);
    return [...records.entries()]
      .map(([key, set]) => {
        const [name, type] = key.split('|') as [string, string];
        return { name, type, ttl: set.ttl, values: [...set.values] };
      })
      .sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));
  }

  /** Adds an empty DNS zone to the simulated Azure DNS (in its subscription and resource group); kept if present. */
  addDnsZone(zone: string): void {
    this.state.addDnsZone(zone);
  }

  reset(): void {
    this.state.reset();
  }

  status(): Record<string, unknown> {
    return {
      urls: { ...this.state.urls },
      contractChecks: this.contractChecks(),
      tenants: this.tenants(),
      apps: [...this.state.apps.values()].map((a) => ({
        clientId: a.clientId,
        displayName: a.displayName ?? null,
        redirectUris: a.redirectUris,
      })),
      pendingAuthorizeOutcomes: this.state.authorizeScripts.length,
      faults: this.faults(),
      numberOperationPolls: this.state.faults.numberOperationPolls,
      throttle: this.state.throttle.current(),
      mailboxSize: this.state.mailbox.length,
    };
  }
}

/**
 * The mailbox viewer. Each email's HTML is shown in a sandboxed frame that may run no script; allow-same-origin keeps
 * the frame in the page's process, so every preview paints (cross-origin frames painted blank in full-page captures).
 */
function mailboxHtml(mails: SentEmail[]): string {
  const rows = mails
    .slice()
    .reverse()
    .map(
      (
        m,
      ) => `<article><h2>${escapeHtml(m.subject)}</h2><p><b>From</b> ${escapeHtml(m.senderAddress)} · <b>To</b> ${escapeHtml(m.to.map((a) => a.address).join(', '))}${m.cc.length ? ' · <b>Cc</b> ' + escapeHtml(m.cc.map((a) => a.address).join(', ')) : ''} · ${escapeHtml(m.receivedAt)}</p>
${m.html ? `<iframe sandbox="allow-same-origin" srcdoc="${escapeHtml(m.html)}" style="width:100%;height:16em;border:1px solid #ccc"></iframe>` : ''}${m.plainText ? `<pre>${escapeHtml(m.plainText)}</pre>` : ''}</article>`,
    )
    .join('<hr/>');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Simulated mailbox</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}</style></head><body><h1>Simulated mailbox (${mails.length})</h1>${rows || '<p>No email sent yet.</p>'}</body></html>`;
}

export function createControlHandler(state: SimState, control: SimulatorControl) {
  return async function handleControl(req: SimRequest): Promise<SimResponse> {
    const p = req.path.replace(/\/+$/, '') || '/';
    let body: Record<string, unknown> = {};
    if (req.rawBody) {
      try {
        body = JSON.parse(req.rawBody) as Record<string, unknown>;
      } catch {
        return json(400, { error: 'invalid JSON body' });
      }
    }
    try {
      if (req.method === 'GET' && p === '/')
        return html(
          200,
          `<!doctype html><html><head><meta charset="utf-8"><title>Microsoft cloud simulator</title></head><body><h1>Microsoft cloud simulator</h1><ul>${Object.entries(
            state.urls,
          )
            .map(([k, v]) => `<li>${escapeHtml(k)}: <code>${escapeHtml(v)}</code></li>`)
            .join(
              '',
            )}</ul><p><a href="/mailbox">Mailbox</a> · <a href="/control/status">status</a> · <a href="/control/requests">request log</a> · <a href="/control/contract-violations">contract violations</a></p></body></html>`,
        );
      if (req.method === 'GET' && p === '/mailbox') return html(200, mailboxHtml(state.mailbox));
      if (req.method === 'GET' && p === '/control/status') return json(200, control.status());
      if (req.method === 'GET' && p === '/control/tenants') return json(200, control.tenants());
      if (req.method === 'POST' && p === '/control/tenants') return json(201, control.addTenant(body as unknown as TenantSeed));
      let m = /^\/control\/tenants\/([^/]+)\/(teams|users|admin-consents)$/.exec(p);
      if (m && req.method === 'GET' && m[2] === 'teams') return json(200, control.teamsState(decodeURIComponent(m[1]!)));
      if (m && req.method === 'GET' && m[2] === 'users') return json(200, control.users(decodeURIComponent(m[1]!)));
      if (m && req.method === 'POST' && m[2] === 'admin-consents') {
        control.grantAdminConsent(decodeURIComponent(m[1]!), String(body.clientId));
        return json(204, undefined);
      }
      m = /^\/control\/tenants\/([^/]+)\/users\/([^/]+)(\/calling-plan)?$/.exec(p);
      if (m && req.method === 'POST' && m[3])
        return json(200, control.giveCallingPlan(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
      if (m && req.method === 'DELETE' && !m[3]) {
        control.deleteUser(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
        return json(204, undefined);
      }
      m = /^\/control\/tenants\/([^/]+)\/(policies|numbers)$/.exec(p);
      if (m && req.method === 'POST' && m[2] === 'policies') {
        if (typeof body.policyType !== 'string' || !Array.isArray(body.names) || !body.names.every((n) => typeof n === 'string' && n))
          return json(400, { error: 'body must be { policyType: string, names: string[] }' });
        return json(200, { created: control.addPolicies(decodeURIComponent(m[1]!), body.policyType, body.names as string[]) });
      }
      if (m && req.method === 'POST' && m[2] === 'numbers') {
        if (typeof body.who !== 'string' || typeof body.telephoneNumber !== 'string' || typeof body.numberType !== 'string')
          return json(400, { error: 'body must be { who, telephoneNumber, numberType }' });
        const n = control.assignNumberTo(decodeURIComponent(m[1]!), body.who, body.telephoneNumber, body.numberType as NumberType);
        return json(201, n);
      }
      if (req.method === 'POST' && p === '/control/apps') {
        control.registerApp(body as unknown as AppRegistration);
        return json(204, undefined);
      }
      if (req.method === 'POST' && p === '/control/authorize-outcomes') {
        const list = Array.isArray(body.outcomes) ? (body.outcomes as AuthorizeOutcome[]) : [body as unknown as AuthorizeOutcome];
        control.scriptAuthorize(...list);
        return json(204, undefined);
      }
      if (req.method === 'POST' && p === '/control/token-errors') {
        control.scriptTokenError(body as unknown as TokenErrorScript);
        return json(204, undefined);
      }
      if (p === '/control/faults') {
        if (req.method === 'GET') return json(200, control.faults());
        if (req.method === 'POST') return json(201, control.injectFault(body as FaultSpec));
        if (req.method === 'DELETE') {
          control.clearFaults();
          return json(204, undefined);
        }
      }
      m = /^\/control\/faults\/([^/]+)$/.exec(p);
      if (m && req.method === 'DELETE') return control.removeFault(m[1]!) ? json(204, undefined) : json(404, { error: 'no such fault' });
      if (p === '/control/throttle') {
        if (req.method === 'GET') return json(200, control.throttle());
        if (req.method === 'POST') {
          if (typeof body.enabled !== 'boolean') return json(400, { error: 'body must be { enabled: boolean, limits?: {...} }' });
          return json(200, control.setThrottle(body as { enabled: boolean; limits?: Partial<Record<ThrottleFamily, BucketLimit>> }));
        }
        if (req.method === 'DELETE') {
          control.resetThrottleStats();
          return json(204, undefined);
        }
      }
      if (req.method === 'POST' && p === '/control/number-operations') {
        if (typeof body.polls === 'number') control.setNumberOperationPolls(body.polls);
        if (typeof body.failNumber === 'string')
          control.failNextNumberOperation(body.failNumber, typeof body.detail === 'string' ? body.detail : '');
        return json(204, undefined);
      }
      if (req.method === 'GET' && p === '/control/mailbox') return json(200, control.mailbox());
      if (req.method === 'GET' && p === '/control/requests')
        return json(200, control.requestLog({ service: req.query.get('service') ?? undefined }));
      if (req.method === 'GET' && p === '/control/contract-violations')
        return json(200, { contractChecks: control.contractChecks(), violations: control.contractViolations() });
      if (req.method === 'GET' && p === '/control/secrets') return json(200, control.secrets());
      if (req.method === 'POST' && p === '/control/dns') {
        if (typeof body.zone !== 'string' || !body.zone) return json(400, { error: 'body must be { zone: string }' });
        control.addDnsZone(body.zone);
        return json(204, undefined);
      }
      m = /^\/control\/dns\/([^/]+)$/.exec(p);
      if (m && req.method === 'GET') return json(200, control.dnsRecords(decodeURIComponent(m[1]!)));
      if (req.method === 'POST' && p === '/control/reset') {
        control.reset();
        return json(204, undefined);
      }
    } catch (e) {
      return json(e instanceof NotFound ? 404 : 400, { error: (e as Error).message });
    }
    return json(404, { error: `no control route ${req.method} ${req.path}` });
  };
}
