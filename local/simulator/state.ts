/** The simulator's whole in-memory state, shared by all services and the control API. */
import { Faults } from './faults';
import type { ServiceName } from './http';
import { buildTenant, TenantSeed, TenantState } from './tenants/model';
import { Throttle, ThrottleFamily, BucketLimit } from './throttle';

export interface DnsRecordSet {
  ttl: number;
  /** TXT: the strings; A: IPv4 addresses; CNAME: one target. */
  values: string[];
  /** Azure DNS's etag of the record set (changes with every write). */
  etag?: string;
}

/** The key of a record set in a zone of `SimState.dns`: `{relative name, lower-cased; @ for the apex}|{TYPE}`. */
export const dnsKey = (relativeName: string, type: string): string => `${relativeName.toLowerCase()}|${type.toUpperCase()}`;
import { newSigningKey, SigningKey } from './tokens';
import { Rng } from './util';

export const RESOURCE_GRAPH = 'https://graph.microsoft.com';
export const RESOURCE_TEAMS = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';
export const RESOURCE_KEY_VAULT = 'https://vault.azure.net';
/** Azure Resource Manager (Azure DNS is managed through it). */
export const RESOURCE_ARM = 'https://management.azure.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  /** PEM certificate of the app's certificate credential: client assertions signed with its key are accepted */
  certificatePem?: string;
  redirectUris: string[];
  displayName?: string;
  /** tenant the app is registered in (client credentials always work there) */
  homeTenantId?: string;
  /** delegated permissions per resource (resource id or URI -> scope names) */
  delegated?: Record<string, string[]>;
  /** application permissions (app roles) per resource */
  application?: Record<string, string[]>;
  /** optional ID-token claims, e.g. ["wids", "upn", "email"] */
  optionalIdTokenClaims?: string[];
}

export type AuthorizeOutcome =
  /** the user signs in (and consents when asked); `tenantId` picks a user of another tenant */
  | { outcome: 'signIn'; user: string; tenantId?: string }
  /** the user declines the consent prompt (AADSTS65004) */
  | { outcome: 'consentDeclined'; user?: string }
  /** the user cannot consent; an administrator must approve (AADSTS90094) */
  | { outcome: 'adminApprovalRequired'; user?: string }
  /** a Conditional Access / per-user MFA requirement is not met (AADSTS50076) */
  | { outcome: 'mfaRequired'; user?: string };

export type TokenErrorKind = 'mfaRequired' | 'consentRequired' | 'invalidGrant' | 'temporarilyUnavailable';
export interface TokenErrorScript {
  error: TokenErrorKind;
  grantType?: string;
  /** resource (e.g. the Teams admin API id) whose token request fails */
  resource?: string;
  times?: number;
}

export interface AuthCodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  scopes: string[];
  tenantId: string;
  userId: string;
  nonce?: string;
  expiresAt: number;
  used: boolean;
}

export interface RefreshTokenRecord {
  clientId: string;
  tenantId: string;
  userId: string;
  expiresAt: number;
}

export interface RequestLogEntry {
  seq: number;
  time: string;
  service: ServiceName;
  method: string;
  /** path and query, with secrets redacted */
  url: string;
  status: number;
  durationMs: number;
  clientRequestId?: string;
  fault?: string;
}

export interface ContractViolation {
  time: string;
  service: 'graph';
  method: string;
  url: string;
  rule: string;
  message: string;
}

export interface SentEmail {
  operationId: string;
  receivedAt: string;
  senderAddress: string;
  to: Array<{ address: string; displayName?: string }>;
  cc: Array<{ address: string; displayName?: string }>;
  bcc: Array<{ address: string; displayName?: string }>;
  subject: string;
  plainText?: string;
  html?: string;
  headers?: Record<string, string>;
  replyTo?: Array<{ address: string; displayName?: string }>;
  attachments: Array<{ name: string; contentType: string; sizeBytes: number }>;
}

export interface EmailOperation {
  id: string;
  polls: number;
  status: 'Running' | 'Succeeded' | 'Failed';
  /** status reached after the second poll */
  final: 'Succeeded' | 'Failed';
}

export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  exp?: number;
  nbf?: number;
  created: number;
  updated: number;
}

export interface DeletedSecret {
  latest: SecretVersion;
  versions: SecretVersion[];
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SimulatorConfig {
  seed: number;
  tokenLifetimeSeconds: number | 'random';
  emailSenderAddress: string;
  emailAccessKey: string;
  homeTenantId: string;
  authCodeLifetimeSeconds: number;
  /** Azure DNS: the subscription (of the home tenant) and resource group holding the zones, and the zones at start. */
  dnsSubscriptionId: string;
  dnsResourceGroup: string;
  dnsZones: string[];
  /** Throttling at start and after a reset (off when absent). */
  throttle?: { enabled: boolean; limits?: Partial<Record<ThrottleFamily, BucketLimit>> };
}

export class SimState {
  readonly rng: Rng;
  readonly faults: Faults;
  readonly throttle = new Throttle();
  readonly signingKey: SigningKey = newSigningKey();
  readonly tenants = new Map<string, TenantState>();
  readonly apps = new Map<string, AppRegistration>();
  readonly authorizeScripts: AuthorizeOutcome[] = [];
  readonly tokenErrorScripts: TokenErrorScript[] = [];
  readonly codes = new Map<string, AuthCodeRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  /** Every access and refresh token handed out (newest last, bounded), for tests that scan the app for leaks. */
  readonly issuedTokens: string[] = [];
  /** pending interactive sign-ins (HTML page), keyed by transaction id */
  readonly pendingSignIns = new Map<string, { tenant: string; params: Record<string, string>; kind: 'authorize' | 'adminconsent' }>();
  readonly requestLog: RequestLogEntry[] = [];
  readonly contractViolations: ContractViolation[] = [];
  readonly mailbox: SentEmail[] = [];
  readonly emailOperations = new Map<string, EmailOperation>();
  readonly secrets = new Map<string, SecretVersion[]>();
  readonly deletedSecrets = new Map<string, DeletedSecret>();
  contractChecks: { enabled: boolean; reason?: string; source?: string } = { enabled: false, reason: 'not loaded yet' };
  /**
   * Simulated public DNS zones (the provider's trunk base domain, as Azure DNS serves it): zone name (lower-cased) →
   * record sets keyed `{relative name}|{TYPE}` (`@` for the apex). Graph's domain `verify` looks up TXT records here.
   */
  dns = new Map<string, Map<string, DnsRecordSet>>();
  urls: Record<ServiceName, string> = { entra: '', graph: '', teams: '', email: '', keyVault: '', arm: '', control: '' };
  private logSeq = 0;
  private readonly initialSeeds: TenantSeed[];
  private readonly initialApps: AppRegistration[];

  constructor(
    readonly config: SimulatorConfig,
    seeds: TenantSeed[],
    apps: AppRegistration[],
  ) {
    this.rng = new Rng(config.seed);
    this.faults = new Faults(this.rng);
    if (config.throttle) this.throttle.configure(config.throttle);
    this.initialSeeds = seeds;
    this.initialApps = apps;
    this.loadData();
  }

  private loadData(): void {
    this.tenants.clear();
    for (const seed of this.initialSeeds) this.tenants.set(seed.id, buildTenant(seed));
    this.apps.clear();
    for (const app of this.initialApps) this.apps.set(app.clientId, { ...app });
    this.dns.clear();
    for (const zone of this.config.dnsZones) this.addDnsZone(zone);
  }

  /** Adds an empty DNS zone (kept when it exists). */
  addDnsZone(name: string): Map<string, DnsRecordSet> {
    const key = name.toLowerCase().replace(/\.$/, '');
    const zone = this.dns.get(key) ?? new Map<string, DnsRecordSet>();
    this.dns.set(key, zone);
    return zone;
  }

  addTenant(seed: TenantSeed): TenantState {
    const t = buildTenant(seed);
    this.tenants.set(t.id, t);
    this.initialSeeds.push(seed);
    return t;
  }

  /** Back to the seeded state: tenants, apps, DNS zones (empty again), scripts, faults, throttling, logs, mailbox, vault. */
  reset(): void {
    this.loadData();
    this.authorizeScripts.length = 0;
    this.tokenErrorScripts.length = 0;
    this.codes.clear();
    this.refreshTokens.clear();
    this.issuedTokens.length = 0;
    this.pendingSignIns.clear();
    this.requestLog.length = 0;
    this.contractViolations.length = 0;
    this.mailbox.length = 0;
    this.emailOperations.clear();
    this.secrets.clear();
    this.deletedSecrets.clear();
    this.faults.clear();
    this.throttle.configure(this.config.throttle ?? { enabled: false });
  }

  recordIssued(token: string): void {
    this.issuedTokens.push(token);
    if (this.issuedTokens.length > 1000) this.issuedTokens.shift();
  }

  /** Looks a tenant up by id or by its domain name. */
  findTenant(idOrDomain: string): TenantState | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const t of this.tenants.values()) if (t.domain.toLowerCase() === key) return t;
    return undefined;
  }

  tokenLifetime(): number {
    const l = this.config.tokenLifetimeSeconds;
    return l === 'random' ? this.rng.int(3600, 5400) : l;
  }

  log(entry: Omit<RequestLogEntry, 'seq' | 'time'>): void {
    this.logSeq += 1;
    this.requestLog.push({ seq: this.logSeq, time: new Date().toISOString(), ...entry });
    if (this.requestLog.length > 5000) this.requestLog.splice(0, this.requestLog.length - 5000);
  }

  violation(v: Omit<ContractViolation, 'time' | 'service'>): void {
    this.contractViolations.push({ time: new Date().toISOString(), service: 'graph', ...v });
  }
}

const SECRET_PARAM = /(code|secret|token|assertion|password|verifier|sig|signature|accesskey|key)$/i;

/** Removes secrets (codes, tokens, client secrets, signatures) from a path + query string before logging. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const out: string[] = [];
  for (const [k, v] of params) out.push(`${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? '[redacted]' : encodeURIComponent(v)}`);
  return `${url.slice(0, q)}?${out.join('&')}`;
}
