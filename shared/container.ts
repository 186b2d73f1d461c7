/**
 * Composition root: reads the settings once (failing fast when they are wrong), wires adapters to use cases, and
 * hands each trigger its use cases as `container().<feature>.<useCase>`. Triggers never build SDK clients or reach
 * storage themselves.
 */
import type { DurableClient } from 'durable-functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getAccount, AccountOverview } from './accounts/getAccount';
import { removeIntegration, RemoveOutcome } from './accounts/removeIntegration';
import { upsertAccount } from './accounts/upsertAccount';
import { CallbackResult } from './activation/callbacks';
import { completeConsent, ConsentCallback } from './activation/completeConsent';
import { completeSignIn, SignInCallback } from './activation/completeSignIn';
import { ActivationDeps } from './activation/deps';
import { purgeExpiredSessions } from './activation/purgeExpiredSessions';
import { IntegrationPageView, showIntegrationPage } from './activation/showIntegrationPage';
import { AuthorizeForm, Redirect, startActivation } from './activation/startActivation';
import { acsEmailSender } from './communicationServices/acsEmailSender';
import { Config, loadConfig } from './config';
import { discoverySteps, DiscoverySteps } from './discovery/steps';
import { listTeamsUsers, TeamsUsersPage, TeamsUsersQuery } from './discovery/listTeamsUsers';
import { startDiscovery } from './discovery/startDiscovery';
import { AccountInput } from './domain/account';
import { Result } from './domain/errors';
import { MappingChange } from './domain/mapping';
import { SyncRun } from './domain/syncRun';
import { VoiceUser } from './domain/voiceUser';
import { IfMatch } from './domain/version';
import { durableOrchestrationClient } from './durable/orchestrationClient';
import { azureTrunkDns } from './azureDns/trunkDns';
import { keyVaultTokenVault } from './keyVault/tokenVault';
import { deliverOutbox, deliverQueued, DeliveryReport } from './email/deliverOutbox';
import { purgeFinishedEmails } from './email/purgeFinished';
import { checkHealth, HealthReport } from './health/checkHealth';
import { importDirectory } from './mapping/importDirectory';
import { MappingQuery, readMapping } from './mapping/readMapping';
import { saveMapping } from './mapping/saveMapping';
import { getSyncRun } from './sync/getSyncRun';
import { listSyncRuns, SyncRunsPage } from './sync/listSyncRuns';
import { AppCredential } from './microsoft/appCredential';
import { entraSignIn } from './microsoft/entraSignIn';
import { graphTenantDirectory } from './microsoft/graphDirectory';
import { CsrfTokens } from './security/csrf';
import { KeyRing } from './security/keyRing';
import { Sealer } from './security/sealer';
import { LinkSigner } from './security/signedLinks';
import { purgeExpiredTokens } from './sync/purgeExpiredTokens';
import { previewSync, SyncPreview } from './sync/previewSync';
import { ActivityListing, listActivity } from './sync/listActivity';
import { tableActivityLog } from './storage/activityStore';
import { tableRunPlanStore } from './storage/runPlanStore';
import { graphTeamsVoiceReader } from './microsoft/teamsVoice';
import { graphTeamsVoiceWriter } from './microsoft/teamsVoiceWriter';
import { pacing } from './microsoft/pacing';
import { teamsVoiceConfig } from './microsoft/teamsVoiceConfig';
import { graphTrunkDomains } from './microsoft/trunkDomain';
import { startSync, StartSyncRequest } from './sync/startSync';
import { recordVerification, startVerification, verifyChunk, VerifyRunDeps } from './sync/verifyRun';
import { RecordVerificationInput, StartVerificationInput, VerifyChunkInput } from './sync/contract';
import { VerificationCounts } from './domain/syncVerification';
import { syncSteps, SyncSteps } from './sync/steps';
import { requestSync, SyncLink } from './sync/requestSync';
import { startSyncSignIn } from './sync/startSyncSignIn';
import { completeSyncSignIn } from './sync/completeSyncSignIn';
import { TokenVault } from './sync/tokenVault';
import { TrunkDns } from './sync/trunkDns';
import { tableAccountStore } from './storage/accountStore';
import { tableAuthSessionStore } from './storage/authSessionStore';
import { tableDiscoveryStore } from './storage/discoveryStore';
import { storageQueueSignal } from './storage/outboxQueue';
import { tableOutboxStore } from './storage/outboxStore';
import { tableServiceClient, tableStorageProbe } from './storage/tableService';
import { table } from './storage/tables';
import { tableTeamsUserStore } from './storage/teamsUserStore';
import { tableTenantLinks } from './storage/tenantLinkStore';
import { tableSyncRunStore } from './storage/syncRunStore';
import { tableVoiceUserStore } from './storage/voiceUserStore';

/** The vault signs in with the app's own credential when its tenant is configured, else with the managed identity. */
export function tokenVaultFor(config: Config, appCredential: AppCredential, now: () => Date): TokenVault {
  return keyVaultTokenVault({
    vaultUrl: config.KEY_VAULT_URL,
    identity: config.KEY_VAULT_TENANT_ID
      ? {
          kind: 'app',
          tenantId: config.KEY_VAULT_TENANT_ID,
          clientId: config.ENTRA_CLIENT_ID,
          credential: appCredential,
          authorityHost: config.ENTRA_AUTHORITY_HOST,
        }
      : { kind: 'managedIdentity', clientId: config.AZURE_CLIENT_ID },
    now,
  });
}

/**
 * The provider's trunk DNS zone (Azure DNS), or undefined when the trunk DNS settings are absent (they go together:
 * shared/config.ts). Signs in like the vault: the app's own credential in DNS_TENANT_ID, else the managed identity.
 */
export function trunkDnsFor(config: Config, appCredential: AppCredential, options: { maxRetries?: number } = {}): TrunkDns | undefined {
  if (!config.PROVIDER_TRUNK_BASE_DOMAIN || !config.DNS_SUBSCRIPTION_ID || !config.DNS_RESOURCE_GROUP) return undefined;
  return azureTrunkDns({
    endpoint: config.AZURE_RESOURCE_MANAGER_URL,
    subscriptionId: config.DNS_SUBSCRIPTION_ID,
    resourceGroup: config.DNS_RESOURCE_GROUP,
    zone: config.PROVIDER_TRUNK_BASE_DOMAIN,
    identity: config.DNS_TENANT_ID
      ? {
          kind: 'app',
          tenantId: config.DNS_TENANT_ID,
          clientId: config.ENTRA_CLIENT_ID,
          credential: appCredential,
          authorityHost: config.ENTRA_AUTHORITY_HOST,
        }
      : { kind: 'managedIdentity', clientId: config.AZURE_CLIENT_ID },
    ...options,
  });
}

function appVersion(): string {
  // package.json sits at the app root: one level above this file in the sources, two in dist/.
  for (const candidate of [path.resolve(__dirname, '../package.json'), path.resolve(__dirname, '../../package.json')]) {
    try {
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export interface Container {
  config: Config;
  version: string;
  /**
   * The browser pages: the provider's brand they show, the origins their forms may lead to (the Microsoft authority),
   * and the public origin their cookies are scoped to.
   */
  web: { site: { brand: { providerName: string; supportContact: string }; formTargets: string[] }; publicBaseUrl: string };
  health: { check(): Promise<HealthReport> };
  accounts: {
    upsert(accountId: string, input: AccountInput, ifMatch?: IfMatch): ReturnType<typeof upsertAccount>;
    get(accountId: string): Promise<Result<AccountOverview>>;
    remove(accountId: string, ifMatch?: IfMatch): Promise<Result<RemoveOutcome>>;
  };
  outbox: {
    /** The timer's sweep: every due email within the sending rate. */
    deliver(): Promise<DeliveryReport>;
    /** The queue trigger's fast path: the emails one signal names. */
    deliverQueued(accountId: string, messageIds: string[]): Promise<DeliveryReport>;
    /** Drops the records of emails finished longer ago than the retention; returns how many. */
    purgeFinished(): Promise<number>;
  };
  /** The integration page and the Microsoft callbacks (browser endpoints). */
  activation: {
    showPage(link: string, csrfCookie: string): Promise<Result<IntegrationPageView>>;
    authorize(form: AuthorizeForm): Promise<Result<Redirect>>;
    completeConsent(callback: ConsentCallback): Promise<CallbackResult>;
    /** `durable` is the trigger's Durable client: a successful sign-in starts discovery with it. */
    completeSignIn(callback: SignInCallback, durable: DurableClient): Promise<CallbackResult>;
    purgeExpiredSessions(): Promise<number>;
  };
  /** Tenant discovery: the discovered Teams users, and the steps its activities run. */
  discovery: {
    teamsUsers(accountId: string, query: TeamsUsersQuery): Promise<Result<TeamsUsersPage>>;
    steps: DiscoverySteps;
  };
  /** The voice-user directory and its licence mapping to Teams users. */
  mapping: {
    importDirectory(accountId: string, directory: VoiceUser[]): ReturnType<typeof importDirectory>;
    read(accountId: string, query: MappingQuery): ReturnType<typeof readMapping>;
    save(accountId: string, changes: MappingChange[], ifMatch: number): ReturnType<typeof saveMapping>;
  };
  /** Sync runs, as data. */
  sync: {
    listRuns(accountId: string, page: number, pageSize: number): Promise<Result<SyncRunsPage>>;
    getRun(accountId: string, runId: string): Promise<Result<SyncRun>>;
    /** The hourly sweep: removes every run token past its expiry; returns how many. */
    purgeExpiredTokens(): Promise<number>;
    /** POST /sync: the Global Admin's short-lived link to the page that starts a sync. */
    requestLink(accountId: string, actorId: string): Promise<Result<SyncLink>>;
    /** "Sync now" on the integration page: on to Microsoft's delegated sign-in. */
    startSignIn(form: AuthorizeForm): Promise<Result<Redirect>>;
    /** Microsoft's answer to the sync sign-in: checks both identities, then starts the run. */
    completeSignIn(callback: SignInCallback, durable: DurableClient): Promise<CallbackResult>;
    /** The run's entry point (tokens in, run id out). */
    start(request: StartSyncRequest, durable: DurableClient): Promise<Result<{ runId: string }>>;
    /** The steps the sync orchestration's activities run. */
    steps: SyncSteps;
    /** GET /sync-plan: what the next sync would change, read now with the app's own permissions. */
    preview(accountId: string): Promise<Result<SyncPreview>>;
    /** GET /activity: a page of a run's activity log. */
    activity(accountId: string, query: { runId?: string; page: number; pageSize: number }): Promise<Result<ActivityListing>>;
    /** The post-sync verification's steps (orchestrations/verifySyncRun.ts). */
    verification: {
      start(input: StartVerificationInput, durable: DurableClient): Promise<{ started: boolean }>;
      checkChunk(input: VerifyChunkInput): Promise<VerificationCounts>;
      record(input: RecordVerificationInput): Promise<void>;
    };
  };
}

/** How long the portal's sync link opens the page: minutes, as it is meant to be followed at once. */
const SYNC_LINK_TTL_MINUTES = 10;

export function createContainer(config: Config = loadConfig()): Container {
  const version = appVersion();
  const now = (): Date => new Date();
  const storage = config.AzureWebJobsStorage;
  const publicBaseUrl = config.PUBLIC_BASE_URL.replace(/\/$/, '');

  // Adapters
  const accountsTable = table(storage, 'accounts');
  const store = tableAccountStore(accountsTable);
  const discoveries = tableDiscoveryStore(accountsTable);
  const outbox = tableOutboxStore(accountsTable);
  const signal = storageQueueSignal(storage);
  const voiceUsers = tableVoiceUserStore(table(storage, 'voiceUsers'));
  const teamsUsers = tableTeamsUserStore(table(storage, 'teamsUsers'));
  const syncRuns = tableSyncRunStore(table(storage, 'syncRuns'));
  const activity = tableActivityLog(table(storage, 'activity'));
  const runPlans = tableRunPlanStore(table(storage, 'runPlans'));
  const keys: KeyRing = {
    current: { id: config.LINK_SIGNING_KEY_ID, secret: config.LINK_SIGNING_KEY },
    previous: config.LINK_SIGNING_KEYS_PREVIOUS,
  };
  const sessions = tableAuthSessionStore(table(storage, 'authSessions'), new Sealer(keys));
  const tenantLinks = tableTenantLinks(table(storage, 'tenantLinks'));
  const sender = acsEmailSender(config.EMAIL_CONNECTION_STRING, config.EMAIL_SENDER_ADDRESS);
  const appCredential: AppCredential = config.ENTRA_CLIENT_CERTIFICATE_PEM
    ? { kind: 'certificate', pem: config.ENTRA_CLIENT_CERTIFICATE_PEM }
    : { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET as string };
  const microsoft = entraSignIn({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
    consentRedirectUri: `${publicBaseUrl}/api/auth/consent`,
    signInRedirectUri: `${publicBaseUrl}/api/auth/signin`,
    syncRedirectUri: `${publicBaseUrl}/api/auth/sync`,
  });
  const directory = graphTenantDirectory({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
  });
  const tokens = tokenVaultFor(config, appCredential, now);
  // One pacing for the process: every apply chunk and read of a tenant shares its buckets.
  const pace = (perSecond: number) => ({ perSecond, burst: Math.max(1, Math.floor(perSecond)) });
  const microsoftPacing = pacing({
    graphTeams: pace(config.GRAPH_TEAMS_REQUESTS_PER_SECOND),
    teamsAdmin: pace(config.TEAMS_ADMIN_REQUESTS_PER_SECOND),
  });
  const teamsVoice = graphTeamsVoiceReader({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
    tokens,
    pacing: microsoftPacing,
  });
  const trunkDns = trunkDnsFor(config, appCredential);
  const trunkDomains = graphTrunkDomains({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
    tokens,
  });
  const teamsConfig = teamsVoiceConfig({ teamsAdminBaseUrl: config.TEAMS_ADMIN_BASE_URL, tokens, pacing: microsoftPacing });
  const teamsWriter = graphTeamsVoiceWriter({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    teamsAdminBaseUrl: config.TEAMS_ADMIN_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
    tokens,
    pacing: microsoftPacing,
  });

  // What several use cases share
  const integrationLinks = {
    links: new LinkSigner(keys, config.LINK_TTL_HOURS * 3600),
    integrationPageUrl: `${publicBaseUrl}/api/integration`,
  };
  const notify = {
    ...integrationLinks,
    brand: { providerName: config.PROVIDER_NAME, supportContact: config.PROVIDER_SUPPORT_CONTACT, portalUrl: config.PROVIDER_PORTAL_URL },
  };
  const defaults = { policyPrefix: config.DEFAULT_POLICY_PREFIX, numberType: config.DEFAULT_NUMBER_TYPE };
  const activation: ActivationDeps = {
    ...integrationLinks,
    store,
    sessions,
    tenantLinks,
    microsoft,
    csrf: new CsrfTokens(keys),
    stateTtlMinutes: config.AUTH_STATE_TTL_MINUTES,
    now,
  };
  const mappingDeps = { accounts: store, voiceUsers, teamsUsers };
  /** Reads a discovery as it stands now (a stalled one counts as failed). */
  const discoveryNow = { discoveries, now, stallMs: config.DISCOVERY_STALL_MINUTES * 60_000 };
  const delivery = {
    outbox,
    sender,
    now,
    perMinute: config.EMAIL_RATE_PER_MINUTE,
    perHour: config.EMAIL_RATE_PER_HOUR,
    maxAttempts: config.EMAIL_MAX_ATTEMPTS,
  };

  // Replaced at merge: the real startSync takes its own deps (the durable client among them).
  /** What the next sync would change: GET /sync-plan, and the sentence on the integration page. */
  const preview = (accountId: string) => previewSync({ accounts: store, voiceUsers, teamsVoice, now }, accountId);
  const verifyDeps: VerifyRunDeps = { runPlans, activity, voiceUsers, syncRuns, teamsVoice, now };
  /** The run's entry point: tokens in, run id out (the trigger hands over its Durable client). */
  const startRun = (request: StartSyncRequest, durable: DurableClient) =>
    startSync({ accounts: store, syncRuns, tokens, orchestrations: durableOrchestrationClient(durable), now }, request);

  return {
    config,
    version,
    web: {
      site: {
        brand: { providerName: config.PROVIDER_NAME, supportContact: config.PROVIDER_SUPPORT_CONTACT },
        formTargets: [new URL(config.ENTRA_AUTHORITY_HOST).origin],
      },
      publicBaseUrl,
    },
    health: { check: () => checkHealth(version, [tableStorageProbe(tableServiceClient(storage))]) },
    accounts: {
      upsert: (accountId, input, ifMatch) => upsertAccount({ ...notify, store, signal, defaults, now }, accountId, input, ifMatch),
      get: (accountId) => getAccount({ ...discoveryNow, store, voiceUsers, syncRuns }, accountId),
      remove: (accountId, ifMatch) => removeIntegration({ ...notify, store, signal, now }, accountId, ifMatch),
    },
    outbox: {
      deliver: () => deliverOutbox(delivery),
      deliverQueued: (accountId, messageIds) => deliverQueued(delivery, accountId, messageIds),
      purgeFinished: () => purgeFinishedEmails({ outbox, now, retentionDays: config.EMAIL_RETENTION_DAYS }),
    },
    activation: {
      showPage: (link, csrfCookie) =>
        showIntegrationPage({ ...activation, ...discoveryNow, voiceUsers, syncRuns, previewSync: preview }, link, csrfCookie),
      authorize: (form) => startActivation(activation, form),
      completeConsent: (callback) => completeConsent(activation, callback),
      completeSignIn: (callback, durable) =>
        completeSignIn(
          activation,
          (input) => startDiscovery({ ...discoveryNow, orchestrations: durableOrchestrationClient(durable) }, input),
          callback,
        ),
      purgeExpiredSessions: () => purgeExpiredSessions(activation),
    },
    discovery: {
      teamsUsers: (accountId, query) => listTeamsUsers({ ...discoveryNow, accounts: store, teamsUsers }, accountId, query),
      steps: discoverySteps({ directory, teamsUsers, discoveries, accounts: store, now }),
    },
    mapping: {
      importDirectory: (accountId, users) => importDirectory(mappingDeps, accountId, users),
      read: (accountId, query) => readMapping(mappingDeps, accountId, query),
      save: (accountId, changes, ifMatch) => saveMapping(mappingDeps, accountId, changes, ifMatch),
    },
    sync: {
      listRuns: (accountId, page, pageSize) => listSyncRuns({ accounts: store, syncRuns }, accountId, page, pageSize),
      getRun: (accountId, runId) => getSyncRun({ accounts: store, syncRuns }, accountId, runId),
      purgeExpiredTokens: () => purgeExpiredTokens({ tokens, now }),
      requestLink: (accountId, actorId) =>
        requestSync({ ...integrationLinks, store, syncRuns, syncLinkTtlMinutes: SYNC_LINK_TTL_MINUTES, now }, accountId, actorId),
      startSignIn: (form) => startSyncSignIn(activation, form),
      completeSignIn: (callback, durable) => completeSyncSignIn(activation, (request) => startRun(request, durable), callback),
      start: startRun,
      steps: syncSteps({
        accounts: store,
        syncRuns,
        tokens,
        notify,
        now,
        voiceUsers,
        runPlans,
        activity,
        teamsVoice,
        teamsWriter,
        teamsConfig,
        tenantLinks,
        trunkDomains,
        trunkDns,
        sbcAddresses: config.PROVIDER_SBC_ADDRESSES ?? [],
        trunkPattern: config.PROVIDER_TRUNK_SUBDOMAIN_PATTERN,
        activationUsageLocation: config.TRUNK_ACTIVATION_USAGE_LOCATION,
        trunkPollSeconds: config.SYNC_TRUNK_POLL_SECONDS,
        providerName: config.PROVIDER_NAME,
        pollSeconds: config.SYNC_POLL_SECONDS,
      }),
      activity: (accountId, query) => listActivity({ accounts: store, syncRuns, activity }, accountId, query),
      preview,
      verification: {
        start: (input, durable) =>
          startVerification(
            {
              orchestrations: durableOrchestrationClient(durable),
              now,
              windowSeconds: config.SYNC_VERIFY_WINDOW_SECONDS,
              pollSeconds: config.SYNC_VERIFY_POLL_SECONDS,
            },
            input,
          ),
        checkChunk: (input) => verifyChunk(verifyDeps, input),
        record: (input) => recordVerification(verifyDeps, input),
      },
    },
  };
}

let instance: Container | undefined;

/** The process-wide container, created on first use. */
export function container(): Container {
  instance ??= createContainer();
  return instance;
}
