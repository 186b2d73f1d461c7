/**
 * The accounts table. Each account's partition holds its profile row and its outbox messages, so a change and the
 * emails it causes are written in one transaction: no email without its change, no change without its email.
 */
import { TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { AccountStore, StoredAccount } from '../accounts/ports';
import { Account } from '../domain/account';
import { fail, ok, Result } from '../domain/errors';
import { OutboxMessage } from '../email/outboxMessage';
import { str } from './columns';
import { isStatus, Table } from './tables';

export const PROFILE_ROW = 'profile';
export const OUTBOX_PREFIX = 'outbox|';

type Row = TableEntity<Record<string, unknown>>;

/** Table Storage keeps no nulls: absent properties read back as null. */
const withoutNulls = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined)) as Row;

/** The account's profile row (the discovery store writes it in the same transaction as a finished discovery). */
export function accountRow(a: Account): Row {
  return withoutNulls({
    partitionKey: a.accountId,
    rowKey: PROFILE_ROW,
    kind: 'account',
    name: a.name,
    licenseCount: a.licenseCount,
    gaPortalUserId: a.globalAdmin.portalUserId,
    gaDisplayName: a.globalAdmin.displayName,
    gaEmail: a.globalAdmin.email,
    gaObjectId: a.globalAdminObjectId,
    tenantId: a.tenantId,
    tenantBound: a.tenantBound,
    policyPrefix: a.settings.policyPrefix,
    numberType: a.settings.numberType,
    mainNumber: a.settings.mainNumber,
    state: a.state,
    actionNeeded: a.actionNeeded,
    lastSyncAt: a.lastSyncAt,
    lastSyncStatus: a.lastSyncStatus,
    runningRunId: a.runningRunId,
    version: a.version,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  });
}

function fromRow(r: TableEntityResult<Record<string, unknown>>): Account {
  return {
    accountId: r.partitionKey as string,
    name: r.name as string,
    licenseCount: r.licenseCount as number,
    globalAdmin: { portalUserId: r.gaPortalUserId as string, displayName: r.gaDisplayName as string, email: r.gaEmail as string },
    globalAdminObjectId: str(r.gaObjectId),
    tenantId: str(r.tenantId),
    tenantBound: r.tenantBound === true,
    settings: {
      policyPrefix: r.policyPrefix as string,
      numberType: r.numberType as Account['settings']['numberType'],
      mainNumber: str(r.mainNumber),
    },
    state: r.state as Account['state'],
    actionNeeded: r.actionNeeded as Account['actionNeeded'],
    lastSyncAt: str(r.lastSyncAt),
    lastSyncStatus: str(r.lastSyncStatus) as Account['lastSyncStatus'],
    runningRunId: str(r.runningRunId),
    version: r.version as number,
    createdAt: r.createdAt as string,
    updatedAt: r.updatedAt as string,
  };
}

export function outboxRow(m: OutboxMessage): Row {
  return {
    partitionKey: m.accountId,
    rowKey: `${OUTBOX_PREFIX}${m.id}`,
    kind: 'outbox',
    dedupeKey: m.dedupeKey,
    template: m.template,
    toAddress: m.to.address,
    toName: m.to.displayName,
    subject: m.subject,
    html: m.html,
    text: m.text,
    createdAt: m.createdAt,
    status: 'Pending',
    attempts: 0,
    nextAttemptAt: m.createdAt,
  };
}

export function tableAccountStore(accounts: Table): AccountStore {
  return {
    async get(accountId) {
      await accounts.ready();
      try {
        const row = await accounts.client.getEntity<Record<string, unknown>>(accountId, PROFILE_ROW);
        return { account: fromRow(row), etag: row.etag };
      } catch (err) {
        if (isStatus(err, 404)) return undefined;
        throw err;
      }
    },

    async save(account, etag, outbox): Promise<Result<StoredAccount>> {
      await accounts.ready();
      const actions: TransactionAction[] = [
        etag === null ? ['create', accountRow(account)] : ['update', accountRow(account), 'Replace', { etag }],
        // The outbox row id comes from the event's dedupe key: an event queued twice makes the transaction fail.
        ...outbox.map((m): TransactionAction => ['create', outboxRow(m)]),
      ];
      try {
        const response = await accounts.client.submitTransaction(actions);
        const first = response.subResponses[0];
        return ok({ account, etag: first.rowKey === PROFILE_ROW && first.etag ? first.etag : '' });
      } catch (err) {
        if (isStatus(err, 409, 412)) return fail('CONCURRENT_UPDATE', 'The account was changed at the same time.');
        throw err;
      }
    },
  };
}
