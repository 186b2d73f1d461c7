/**
 * Composition root: reads the settings once (failing fast when they are wrong) and wires adapters to use cases.
 * Triggers ask the container for what they need and never build SDK clients themselves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { removeIntegration } from './accounts/removeIntegration';
import { ActivationDeps } from './activation/deps';
import { MappingChange, MappingSummary } from './domain/mapping';
import { VoiceUser } from './domain/voiceUser';
import { importDirectory } from './mapping/importDirectory';
import { readMapping } from './mapping/readMapping';
import { saveMapping } from './mapping/saveMapping';
import { tableVoiceUserStore } from './storage/voiceUserStore';
import { upsertAccount } from './accounts/upsertAccount';
import { IfMatch } from './http/etag';
import { Config, loadConfig } from './config';
import { DiscoveryStatus } from './discovery/ports';
import { discoverySteps, DiscoverySteps } from './discovery/steps';
import { listTeamsUsers, TeamsUsersPage, TeamsUsersQuery } from './discovery/teamsUsers';
import { Account, AccountInput } from './domain/account';
import { fail, ok, Result } from './domain/errors';
import { acsEmailSender } from './email/acsEmailSender';
import { deliverOutbox, DeliveryReport } from './email/deliverOutbox';
import { checkHealth, HealthReport } from './health/checkHealth';
import { CsrfTokens } from './http/browserGuard';
import { LinkSigner } from './http/signedLinks';
import { AppCredential } from './microsoft/appCredential';
import { entraSignIn } from './microsoft/entraSignIn';
import { graphTenantDirectory } from './microsoft/graphDirectory';
import { PageBrand } from './pages/layout';
import { Sealer } from './secrets/sealer';
import { tableAccountStore } from './storage/accountStore';
import { tableAuthSessionStore } from './storage/authSessionStore';
import { tableTenantLinks } from './storage/tenantLinkStore';
import { tableDiscoveryStore } from './storage/discoveryStore';
import { tableOutboxStore } from './storage/outboxStore';
import { table } from './storage/tables';
import { tableTeamsUserStore } from './storage/teamsUserStore';
import { tableServiceClient, tableStorageProbe } from './storage/tableService';

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
  health(): Promise<HealthReport>;
  accounts: {
    upsert(accountId: string, input: AccountInput, ifMatch?: IfMatch): ReturnType<typeof upsertAccount>;
    get(accountId: string): Promise<Result<Account>>;
    remove(accountId: string, ifMatch?: IfMatch): Promise<Result<Account>>;
  };
  outbox: {
    deliver(): Promise<DeliveryReport>;
    /** Drops the records of emails finished longer ago than the retention; returns how many. */
    purgeFinished(): Promise<number>;
  };
  links: LinkSigner;
  /** Tenant discovery: its status, the discovered Teams users, and the steps its activities run. */
  discovery: {
    status(accountId: string): Promise<DiscoveryStatus | undefined>;
    teamsUsers(accountId: string, query: TeamsUsersQuery): Promise<Result<TeamsUsersPage>>;
    steps: DiscoverySteps;
  };
  /** The voice-user directory and its licence mapping to Teams users. */
  mapping: {
    importDirectory(accountId: string, directory: VoiceUser[]): ReturnType<typeof importDirectory>;
    read(accountId: string, page: number, pageSize: number): ReturnType<typeof readMapping>;
    save(accountId: string, changes: MappingChange[], ifMatch: number): ReturnType<typeof saveMapping>;
    summary(accountId: string): Promise<MappingSummary>;
  };
  /** The integration page and the Microsoft callbacks (browser endpoints). */
  activation: ActivationDeps & { brand: PageBrand; publicBaseUrl: string };
}

export function createContainer(config: Config = loadConfig()): Container {
  const version = appVersion();
  const now = (): Date => new Date();
  const accountsTable = table(config.AzureWebJobsStorage, 'accounts');
  const store = tableAccountStore(accountsTable);
  const links = new LinkSigner(config.LINK_SIGNING_KEY, config.LINK_TTL_HOURS * 3600);
  const notify = {
    brand: { providerName: config.PROVIDER_NAME, supportContact: config.PROVIDER_SUPPORT_CONTACT, portalUrl: config.PROVIDER_PORTAL_URL },
    links,
    integrationPageUrl: `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/api/integration`,
  };
  const defaults = { policyPrefix: config.DEFAULT_POLICY_PREFIX, numberType: config.DEFAULT_NUMBER_TYPE };
  const sender = acsEmailSender(config.EMAIL_CONNECTION_STRING, config.EMAIL_SENDER_ADDRESS);
  const voiceUsers = tableVoiceUserStore(table(config.AzureWebJobsStorage, 'voiceUsers'));
  const appCredential: AppCredential = config.ENTRA_CLIENT_CERTIFICATE_PEM
    ? { kind: 'certificate', pem: config.ENTRA_CLIENT_CERTIFICATE_PEM }
    : { kind: 'secret', secret: config.ENTRA_CLIENT_SECRET as string };
  const publicBaseUrl = config.PUBLIC_BASE_URL.replace(/\/$/, '');
  const activation: Container['activation'] = {
    links,
    store,
    sessions: tableAuthSessionStore(
      table(config.AzureWebJobsStorage, 'authSessions'),
      new Sealer(config.LINK_SIGNING_KEY, 'auth-sessions'),
    ),
    tenantLinks: tableTenantLinks(table(config.AzureWebJobsStorage, 'tenantLinks')),
    microsoft: entraSignIn({
      authorityHost: config.ENTRA_AUTHORITY_HOST,
      graphBaseUrl: config.GRAPH_BASE_URL,
      clientId: config.ENTRA_CLIENT_ID,
      credential: appCredential,
      consentRedirectUri: `${publicBaseUrl}/api/auth/consent`,
      signInRedirectUri: `${publicBaseUrl}/api/auth/signin`,
    }),
    csrf: new CsrfTokens(config.LINK_SIGNING_KEY),
    stateTtlMinutes: config.AUTH_STATE_TTL_MINUTES,
    integrationPageUrl: notify.integrationPageUrl,
    now,
    brand: { providerName: config.PROVIDER_NAME, supportContact: config.PROVIDER_SUPPORT_CONTACT },
    publicBaseUrl,
  };

  const discoveries = tableDiscoveryStore(accountsTable);
  const teamsUsers = tableTeamsUserStore(table(config.AzureWebJobsStorage, 'teamsUsers'));
  const directory = graphTenantDirectory({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential: appCredential,
  });
  const mappingDeps = { accounts: store, voiceUsers, teamsUsers };

  return {
    config,
    version,
    links,
    discovery: {
      status: (accountId) => discoveries.get(accountId),
      teamsUsers: (accountId, query) => listTeamsUsers({ accounts: store, teamsUsers, discoveries }, accountId, query),
      steps: discoverySteps({ directory, teamsUsers, discoveries, accounts: store, now }),
    },
    activation,
    mapping: {
      importDirectory: (accountId, directory) => importDirectory(mappingDeps, accountId, directory),
      read: (accountId, page, pageSize) => readMapping(mappingDeps, accountId, page, pageSize),
      save: (accountId, changes, ifMatch) => saveMapping(mappingDeps, accountId, changes, ifMatch),
      summary: async (accountId) => (await voiceUsers.summary(accountId)).summary,
    },
    health: () => checkHealth(version, [tableStorageProbe(tableServiceClient(config.AzureWebJobsStorage))]),
    accounts: {
      upsert: (accountId, input, ifMatch) => upsertAccount({ ...notify, store, defaults, now }, accountId, input, ifMatch),
      get: async (accountId) => {
        const stored = await store.get(accountId);
        return stored ? ok(stored.account) : fail('ACCOUNT_NOT_FOUND', `There is no account ${accountId}.`);
      },
      remove: (accountId, ifMatch) => removeIntegration({ ...notify, store, now }, accountId, ifMatch),
    },
    outbox: {
      deliver: () =>
        deliverOutbox({
          outbox: tableOutboxStore(accountsTable),
          sender,
          now,
          perMinute: config.EMAIL_RATE_PER_MINUTE,
          perHour: config.EMAIL_RATE_PER_HOUR,
          maxAttempts: config.EMAIL_MAX_ATTEMPTS,
        }),
      purgeFinished: () =>
        tableOutboxStore(accountsTable).purgeFinished(new Date(now().getTime() - config.EMAIL_RETENTION_DAYS * 86_400_000)),
    },
  };
}

let instance: Container | undefined;

/** The process-wide container, created on first use. */
export function container(): Container {
  instance ??= createContainer();
  return instance;
}
