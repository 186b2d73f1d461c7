/**
 * Composition root: reads the settings once (failing fast when they are wrong) and wires adapters to use cases.
 * Triggers ask the container for what they need and never build SDK clients themselves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { removeIntegration } from './accounts/removeIntegration';
import { upsertAccount } from './accounts/upsertAccount';
import { Config, loadConfig } from './config';
import { Account, AccountInput } from './domain/account';
import { fail, ok, Result } from './domain/errors';
import { acsEmailSender } from './email/acsEmailSender';
import { deliverOutbox, DeliveryReport } from './email/deliverOutbox';
import { checkHealth, HealthReport } from './health/checkHealth';
import { LinkSigner } from './http/signedLinks';
import { tableAccountStore } from './storage/accountStore';
import { tableOutboxStore } from './storage/outboxStore';
import { table } from './storage/tables';
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
    upsert(accountId: string, input: AccountInput, ifMatch?: number): ReturnType<typeof upsertAccount>;
    get(accountId: string): Promise<Result<Account>>;
    remove(accountId: string, ifMatch?: number): Promise<Result<Account>>;
  };
  outbox: { deliver(): Promise<DeliveryReport> };
  links: LinkSigner;
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

  return {
    config,
    version,
    links,
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
    },
  };
}

let instance: Container | undefined;

/** The process-wide container, created on first use. */
export function container(): Container {
  instance ??= createContainer();
  return instance;
}
