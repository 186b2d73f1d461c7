/**
 * The teamsUsers table: PartitionKey = account id, RowKey = the Teams (Entra) user id. Writes are upserts (Merge) in
 * transactions of at most 100 operations, Table Storage's limit for one partition, so repeating a page is harmless.
 * Only what changed is written: each discovery compares a page with the stored rows (their fingerprints) and finds the gone
 * users by set difference against a keys-only read of the partition, so re-discovering an unchanged tenant writes no
 * row (on Azurite, re-upserting 10,000 rows took 145 s; in Azure every write is paid for).
 */
import { createHash } from 'node:crypto';
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

/**
 * A short hash of what a discovery decides about a user (not when it was seen, nor gone: those are compared apart),
 * kept in the row as `fp`, so a page is compared with what is stored by reading two columns. Rows written before
 * `fp` existed have none: the next discovery writes each of them once.
 */
function fingerprint(u: TeamsUserRecord): string {
  const facts = toRow('', u);
  for (const apart of ['lastSeen', 'lastSeenAt', 'gone', 'goneSince']) delete facts[apart];
  return createHash('sha256').update(JSON.stringify(facts)).digest('base64').slice(0, 22);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function tableTeamsUserStore(teamsUsers: Table): TeamsUserStore {
  const client = teamsUsers.client;
  // Callers have awaited ready(). A missing row is undefined.
  const point = (accountId: string, id: string): Promise<TeamsUserRecord | undefined> =>
    client.getEntity<Record<string, unknown>>(accountId, id).then(
      (row) => fromRow(row as Row),
      (err: unknown) => {
        if (isStatus(err, 404)) return undefined;
        throw err;
      },
    );
  return {
    async saveSeen(accountId, users) {
      if (users.length === 0) return 0;
      await teamsUsers.ready();
      // A user listed twice would make the transaction fail (one operation per row): keep the last.
      const unique = [...new Map(users.map((u) => [u.id, u])).values()];
      // One read of two columns per page: Graph pages come in no key order, so point reads would be 999 requests.
      const stored = new Map<string, { fp: unknown; gone: unknown }>();
      const filter = odata`PartitionKey eq ${accountId}`;
      for await (const r of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey', 'fp', 'gone'] } })) {
        stored.set(r.rowKey as string, { fp: r.fp, gone: r.gone });
      }
      const changed = unique.filter((u) => {
        const before = stored.get(u.id);
        return before === undefined || before.gone === true || before.fp !== fingerprint(u);
      });
      for (const batch of chunks(changed, MAX_TRANSACTION)) {
        await client.submitTransaction(
          batch.map((u): TransactionAction => ['upsert', { ...toRow(accountId, u), fp: fingerprint(u) }, 'Merge']),
        );
      }
      return changed.length;
    },

    async markGone(accountId, seen, at) {
      await teamsUsers.ready();
      const filter = odata`PartitionKey eq ${accountId}`;
      const notSeen: Row[] = [];
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey', 'gone'] } })) {
        if (!seen.has(row.rowKey as string)) notSeen.push(row as Row);
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
      const found = await Promise.all([...new Set(ids)].map((id) => point(accountId, id)));
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
