/**
 * The teamsUsers table: PartitionKey = account id, RowKey = the Teams (Entra) user id. Writes are upserts (Merge) in
 * transactions of at most 100 operations, Table Storage's limit for one partition, so repeating a page is harmless.
 */
import { odata, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { TeamsUserRecord, TeamsUserStore } from '../discovery/ports';
import { str } from './columns';
import { isStatus, Table } from './tables';

/** Table Storage's limit of operations per transaction. */
export const MAX_TRANSACTION = 100;

type Row = TableEntityResult<Record<string, unknown>>;

function toRow(accountId: string, u: TeamsUserRecord): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: accountId,
    rowKey: u.id,
    displayName: u.displayName ?? '',
    userPrincipalName: u.userPrincipalName ?? '',
    mail: u.mail ?? '',
    department: u.department ?? '',
    accountEnabled: u.accountEnabled,
    eligible: u.eligible,
    ineligibleReason: u.ineligibleReason ?? '',
    teamsPhoneStatus: u.teamsPhoneStatus ?? '',
    callingPlan: u.callingPlan,
    resourceAccount: u.resourceAccount,
    resourceAccountKind: u.resourceAccountKind ?? '',
    lastSeen: u.lastSeen,
    lastSeenAt: u.lastSeenAt,
    gone: u.gone,
    goneSince: u.goneSince ?? '',
  };
}

function fromRow(r: Row): TeamsUserRecord {
  return {
    id: r.rowKey as string,
    displayName: str(r.displayName),
    userPrincipalName: str(r.userPrincipalName),
    mail: str(r.mail),
    department: str(r.department),
    accountEnabled: r.accountEnabled === true,
    eligible: r.eligible === true,
    ineligibleReason: str(r.ineligibleReason) as TeamsUserRecord['ineligibleReason'],
    teamsPhoneStatus: str(r.teamsPhoneStatus),
    callingPlan: r.callingPlan === true,
    resourceAccount: r.resourceAccount === true,
    resourceAccountKind: str(r.resourceAccountKind) as TeamsUserRecord['resourceAccountKind'],
    lastSeen: r.lastSeen as string,
    lastSeenAt: r.lastSeenAt as string,
    gone: r.gone === true,
    goneSince: str(r.goneSince),
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function tableTeamsUserStore(teamsUsers: Table): TeamsUserStore {
  const client = teamsUsers.client;
  return {
    async saveSeen(accountId, users) {
      if (users.length === 0) return;
      await teamsUsers.ready();
      // A user listed twice would make the transaction fail (one operation per row): keep the last.
      const unique = [...new Map(users.map((u) => [u.id, u])).values()];
      for (const batch of chunks(unique, MAX_TRANSACTION)) {
        await client.submitTransaction(batch.map((u): TransactionAction => ['upsert', toRow(accountId, u), 'Merge']));
      }
    },

    async markGone(accountId, discoveryId, at) {
      await teamsUsers.ready();
      const filter = odata`PartitionKey eq ${accountId} and lastSeen ne ${discoveryId}`;
      const notSeen: Row[] = [];
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey', 'gone'] } })) {
        notSeen.push(row as Row);
      }
      const newlyGone = notSeen.filter((r) => r.gone !== true);
      for (const batch of chunks(newlyGone, MAX_TRANSACTION)) {
        await client.submitTransaction(
          batch.map((r): TransactionAction => [
            'update',
            { partitionKey: accountId, rowKey: r.rowKey as string, gone: true, goneSince: at },
            'Merge',
          ]),
        );
      }
      return notSeen.length;
    },

    async listForMapping(accountId) {
      await teamsUsers.ready();
      const out: Awaited<ReturnType<TeamsUserStore['listForMapping']>> = [];
      const filter = odata`PartitionKey eq ${accountId}`;
      const select = ['RowKey', 'displayName', 'userPrincipalName', 'eligible', 'gone'];
      for await (const r of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } })) {
        out.push({
          id: r.rowKey as string,
          displayName: str(r.displayName),
          userPrincipalName: str(r.userPrincipalName),
          eligible: r.eligible === true,
          gone: r.gone === true,
        });
      }
      return out;
    },

    async getMany(accountId, ids) {
      await teamsUsers.ready();
      const found = await Promise.all(
        [...new Set(ids)].map((id) =>
          client.getEntity<Record<string, unknown>>(accountId, id).then(
            (row) => fromRow(row as Row),
            (err: unknown) => {
              if (isStatus(err, 404)) return undefined;
              throw err;
            },
          ),
        ),
      );
      return found.filter((u): u is TeamsUserRecord => u !== undefined);
    },

    async list(accountId) {
      await teamsUsers.ready();
      const out: TeamsUserRecord[] = [];
      const filter = odata`PartitionKey eq ${accountId}`;
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(fromRow(row as Row));
      return out;
    },
  };
}
