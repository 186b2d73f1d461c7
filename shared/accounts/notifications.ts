/** Which emails an account change sends, rendered and keyed so the same event can never queue twice. */
import { Account, AccountEvent } from '../domain/account';
import { SyncRun } from '../domain/syncRun';
import { messageIdFor, OutboxMessage } from '../email/outboxMessage';
import { Brand, EmailData, renderEmail } from '../email/templates';
import { integrationLink, IntegrationLinkDeps, syncLink } from './integrationLink';

export interface NotificationDeps extends IntegrationLinkDeps {
  brand: Brand;
}

export async function emailsFor(account: Account, events: AccountEvent[], deps: NotificationDeps, now: Date): Promise<OutboxMessage[]> {
  const link = (): Promise<string> => integrationLink(deps, account, now);
  const ga = account.globalAdmin;
  const messages: OutboxMessage[] = [];
  for (const event of events) {
    const base = { accountName: account.name };
    let data: EmailData;
    let to = { address: ga.email, displayName: ga.displayName };
    switch (event.type) {
      case 'IntegrationEnabled':
        data = { template: 'activateIntegration', to, ...base, integrationLink: await link() };
        break;
      case 'GlobalAdminAssigned':
        data = { template: 'youAreGlobalAdmin', to, ...base, integrationLink: await link() };
        break;
      case 'GlobalAdminReassigned':
        to = { address: event.previous.email, displayName: event.previous.displayName };
        data = { template: 'noLongerGlobalAdmin', to, ...base };
        break;
      case 'LicenseCountChanged':
        data = { template: 'licenseCountChanged', to, ...base, previous: event.previous, current: event.current };
        break;
      case 'IntegrationRemoved':
        data = { template: 'integrationRemoved', to, ...base, finalSyncNeeded: event.finalSyncNeeded, integrationLink: await link() };
        break;
    }
    const dedupeKey = `${account.accountId}|v${account.version}|${data.template}|${to.address.toLowerCase()}`;
    const rendered = renderEmail(data, deps.brand);
    messages.push({
      id: messageIdFor(dedupeKey),
      dedupeKey,
      accountId: account.accountId,
      template: data.template,
      to,
      ...rendered,
      createdAt: now.toISOString(),
    });
  }
  return messages;
}

/**
 * The "Sync failed" email of a failed or expired run, to the Global Admin, with a sync link (the default link life:
 * it may be read hours later). Keyed by the run, so a run finishing twice queues it once; none for any other outcome.
 */
export async function syncFailedEmail(account: Account, run: SyncRun, deps: NotificationDeps, now: Date): Promise<OutboxMessage[]> {
  if (run.status !== 'Failed' && run.status !== 'Expired') return [];
  const to = { address: account.globalAdmin.email, displayName: account.globalAdmin.displayName };
  const data: EmailData = {
    template: 'syncFailed',
    to,
    accountName: account.name,
    runId: run.runId,
    status: run.status,
    reason: run.error,
    applied: run.counts.applied,
    left: run.counts.left,
    syncLink: await syncLink(deps, account, now),
  };
  const dedupeKey = `${account.accountId}|run|${run.runId}|syncFailed`;
  return [
    {
      id: messageIdFor(dedupeKey),
      dedupeKey,
      accountId: account.accountId,
      template: data.template,
      to,
      ...renderEmail(data, deps.brand),
      createdAt: now.toISOString(),
    },
  ];
}
