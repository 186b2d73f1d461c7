/** Which emails an account change sends, rendered and keyed so the same event can never queue twice. */
import { Account, AccountEvent } from '../domain/account';
import { messageIdFor, OutboxMessage } from '../email/outboxMessage';
import { Brand, EmailData, renderEmail } from '../email/templates';
import { integrationLink, IntegrationLinkDeps } from './integrationLink';

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
