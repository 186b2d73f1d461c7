/**
 * Microsoft cloud simulator: entry point. Starts one HTTPS listener per service (Entra ID, Graph, Teams admin
 * ConfigAPI, Communication Services Email, Key Vault, Azure Resource Manager for Azure DNS, control) with certificates from a local CA, seeded tenants,
 * and an in-process control API.
 */
import * as crypto from 'node:crypto';
import type * as https from 'node:https';
import * as path from 'node:path';
import { createArm } from './arm';
import { ensureLocalCa, issueServerCert } from './ca';
import { createControlHandler, SimulatorControl } from './control';
import { createEmail } from './email';
import { createEntra } from './entra';
import { createGraph } from './graph';
import { GraphContract } from './graph/contract';
import type { Handler, ServiceName } from './http';
import { SERVICE_NAMES } from './http';
import { createKeyVault } from './keyVault';
import { close, listen, portOf } from './server';
import { AppRegistration, SimState } from './state';
import { createTeamsAdmin } from './teamsAdmin';
import { loadSeedFile, TenantSeed } from './tenants/model';
import type { BucketLimit, ThrottleFamily } from './throttle';
import { findRepoRoot } from './util';

export type { AppRegistration, AuthorizeOutcome, TokenErrorScript, SentEmail, RequestLogEntry, ContractViolation } from './state';
export type { FaultSpec, FaultRule } from './faults';
export type { BucketLimit, BucketStats, ThrottleFamily, ThrottleSettings } from './throttle';
export { MICROSOFT_LIMITS } from './throttle';
export type { TenantSeed, SeedUser } from './tenants/model';
export { generateTenant } from './tenants/generator';
export { ensureLocalCa, issueServerCert } from './ca';
export { SimulatorControl } from './control';
export { RESOURCE_GRAPH, RESOURCE_TEAMS, RESOURCE_KEY_VAULT, RESOURCE_ARM } from './state';
export { GLOBAL_ADMIN_ROLE } from './tenants/model';
export { contractFile } from './graph/contract';

export const REPO_ROOT = findRepoRoot();
export const DEMO_TENANT_ID = '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51';
export const OTHER_TENANT_ID = '9a7e4d21-3c5b-4f08-b1d6-7e2a9c4f0b83';
export const HOME_TENANT_ID = 'b5e0c7a4-1d2f-4e6a-9c3b-8f7d6e5a4b21';
/** The provider's trunk DNS zone in the simulated Azure DNS, and the subscription and resource group holding it. */
export const DEFAULT_DNS_ZONE = 'trunks.voice.example';
export const DNS_SUBSCRIPTION_ID = 'd1a2b3c4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const DNS_RESOURCE_GROUP = 'voice-dns';
/** The provider's SBC address the local settings point the derived trunk FQDNs at (PROVIDER_SBC_ADDRESSES; TEST-NET-3). */
export const LOCAL_SBC_ADDRESS = '203.0.113.10';

/** The demo customer tenant and the Fabrikam tenant (the provider's home tenant is added by startSimulator). */
export function loadDemoSeeds(): TenantSeed[] {
  return [loadSeedFile('demo'), loadSeedFile('other')];
}

export type SimulatorService = 'entra' | 'graph' | 'teams' | 'email' | 'keyVault' | 'arm' | 'control';

export interface StartSimulatorOptions {
  /** host name used in URLs and certificates (default "localhost"); listeners bind to 127.0.0.1 for localhost */
  host?: string;
  /** port per service; 0 or absent = a free port */
  ports?: Partial<Record<SimulatorService, number>>;
  /** seed for every random choice (token lifetimes, ids, probabilistic faults); default 1 */
  seed?: number;
  /** where the local CA lives (default env SIM_CA_DIR, else <repo>/.local-data/ca) */
  caDir?: string;
  /** tenants to load instead of the demo + Fabrikam tenants (the provider's home tenant is always added) */
  tenants?: TenantSeed[];
  /** access-token lifetime: seconds, or 'random' for Microsoft's 60-90 minutes (default) */
  tokenLifetimeSeconds?: number | 'random';
  /** app registrations to start with (more through control.registerApp) */
  apps?: AppRegistration[];
  /** sender address the Email service accepts (default DoNotReply@voice-sync.local.test) */
  emailSenderAddress?: string;
  /**
   * The provider's trunk DNS zone, present in Azure DNS from the start (default trunks.voice.example); the app's
   * PROVIDER_TRUNK_BASE_DOMAIN. More zones through control.addDnsZone.
   */
  dnsZone?: string;
  /**
   * Throttling per tenant, app and API family (off by default): `{ enabled: true }` for Microsoft's limits, with
   * `limits` to change some. Also through control.setThrottle.
   */
  throttle?: { enabled: boolean; limits?: Partial<Record<ThrottleFamily, BucketLimit>> };
}

export interface RunningSimulator {
  /** origin of each service, e.g. https://localhost:51234 */
  urls: Record<SimulatorService, string>;
  caCertPath: string;
  /** the voice provider's own tenant (app registration home, Key Vault tenant) */
  homeTenantId: string;
  /** settings the app uses to reach the simulator */
  appSettings(): Record<string, string>;
  control: SimulatorControl;
  contractChecks: { enabled: boolean; reason?: string; source?: string };
  stop(): Promise<void>;
}

export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const host = opts.host ?? 'localhost';
  const bindHost = host === 'localhost' ? '127.0.0.1' : host;
  const ca = ensureLocalCa(opts.caDir ?? process.env.SIM_CA_DIR ?? path.join(REPO_ROOT, '.local-data', 'ca'));
  const cert = issueServerCert(ca, [...new Set([host, 'localhost', '127.0.0.1'])]);
  const home = loadSeedFile('home');
  const seeds: TenantSeed[] = opts.tenants ? [...opts.tenants] : loadDemoSeeds();
  if (!seeds.some((s) => s.id === home.id)) seeds.push(home);
  const seed = opts.seed ?? 1;
  const dnsZone = (opts.dnsZone ?? DEFAULT_DNS_ZONE).toLowerCase();
  const accessKey = crypto.createHash('sha256').update(`email-key|${seed}`).digest('base64');
  const state = new SimState(
    {
      seed,
      tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 'random',
      emailSenderAddress: opts.emailSenderAddress ?? 'DoNotReply@voice-sync.local.test',
      emailAccessKey: accessKey,
      homeTenantId: home.id,
      authCodeLifetimeSeconds: 600,
      dnsSubscriptionId: DNS_SUBSCRIPTION_ID,
      dnsResourceGroup: DNS_RESOURCE_GROUP,
      dnsZones: [dnsZone],
      throttle: opts.throttle,
    },
    seeds,
    (opts.apps ?? []).map((a) => ({ homeTenantId: home.id, ...a })),
  );
  // Always on: the repository carries the contract subset, and a missing file throws here rather than switching off.
  const contract = GraphContract.load();
  state.contractChecks = { enabled: true, source: contract.source };
  const control = new SimulatorControl(state);
  const handlers: Record<ServiceName, Handler> = {
    entra: createEntra(state),
    graph: createGraph(state, contract),
    teams: createTeamsAdmin(state),
    email: createEmail(state),
    keyVault: createKeyVault(state),
    arm: createArm(state),
    control: createControlHandler(state, control),
  };
  const servers: https.Server[] = [];
  try {
    for (const name of SERVICE_NAMES) {
      const server = await listen(state, name, handlers[name], cert, bindHost, opts.ports?.[name] ?? 0);
      servers.push(server);
      state.urls[name] = `https://${host}:${portOf(server)}`;
    }
  } catch (e) {
    await Promise.all(servers.map(close));
    throw e;
  }
  const urls = { ...state.urls };
  let stopped = false;
  return {
    urls,
    caCertPath: ca.caCertPath,
    homeTenantId: home.id,
    control,
    contractChecks: { ...state.contractChecks },
    appSettings: () => ({
      ENTRA_AUTHORITY_HOST: urls.entra,
      GRAPH_BASE_URL: urls.graph,
      TEAMS_ADMIN_BASE_URL: urls.teams,
      EMAIL_CONNECTION_STRING: `endpoint=${urls.email}/;accesskey=${accessKey}`,
      EMAIL_SENDER_ADDRESS: state.config.emailSenderAddress,
      KEY_VAULT_URL: urls.keyVault,
      KEY_VAULT_TENANT_ID: home.id,
      AZURE_RESOURCE_MANAGER_URL: urls.arm,
      DNS_SUBSCRIPTION_ID,
      DNS_RESOURCE_GROUP,
      DNS_TENANT_ID: home.id,
      PROVIDER_TRUNK_BASE_DOMAIN: dnsZone,
      PROVIDER_SBC_ADDRESSES: LOCAL_SBC_ADDRESS,
      SIMULATOR_CONTROL_URL: urls.control,
      NODE_EXTRA_CA_CERTS: ca.caCertPath,
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map(close));
    },
  };
}
