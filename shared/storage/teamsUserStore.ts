/**
 * The teamsUsers table: PartitionKey = account id, RowKey = the Teams (Entra) user id. Writes are upserts (Merge) in
 * transactions of at most 100 operations, Table Storage's limit for one partition, so repeating a page is harmless.
 * Only what changed is written: each discovery compares a page with the stored rows (their fingerprints) and finds the gone
 * users by set difference against a keys-only read of the partition, so re-discovering an unchanged tenant writes no
 * row (on Azurite, re-upserting 10,000 rows took 145 s; in Azure every write is paid for).
 */
import { createHash, randomUUID } from 'node:crypto';
import { odata, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { TeamsUserName, TeamsUserRecord, TeamsUserStore } from '../discovery/ports';
import { byDisplayName } from '../domain/mapping';
import { joinJson, splitJson, str } from './columns';
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

/** Bookkeeping rows sort after every user id (GUIDs): `~rev` changes whenever a discovery writes a user. */
const BOOKKEEPING = '~';
const REV_ROW = '~rev';
const ELIGIBLE_PREFIX = '~eligible|';
const ELIGIBLE_CHUNK = 500;
const eligibleKey = (i: number): string => `${ELIGIBLE_PREFIX}${String(i).padStart(6, '0')}`;
const usersOf = (accountId: string): string => odata`PartitionKey eq ${accountId} and RowKey lt ${BOOKKEEPING}`;
/** [id, displayName, userPrincipalName] */
type NameEntry = [string, string | null, string | null];

export function tableTeamsUserStore(teamsUsers: Table): TeamsUserStore {
  const client = teamsUsers.client;

  const row = async (accountId: string, rowKey: string): Promise<Row | undefined> => {
    try {
      return (await client.getEntity<Record<string, unknown>>(accountId, rowKey)) as Row;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  };

  /** After users were written: lists kept from them are out of date. */
  const outdateLists = (accountId: string): Promise<unknown> =>
    client.upsertEntity({ partitionKey: accountId, rowKey: REV_ROW, rev: randomUUID() }, 'Replace');

  /** The eligible list from every user, kept for the next reads (best effort: a lost race only costs a rebuild). */
  async function rebuildEligible(accountId: string, stamp: string): Promise<NameEntry[]> {
    const users: Array<{ id: string; displayName: string | null; userPrincipalName: string | null }> = [];
    const existing: string[] = [];
    const select = ['RowKey', 'displayName', 'userPrincipalName', 'eligible', 'gone'];
    await Promise.all([
      (async () => {
        for await (const r of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: usersOf(accountId), select } })) {
          if (r.eligible === true && r.gone !== true) {
            users.push({ id: r.rowKey as string, displayName: str(r.displayName), userPrincipalName: str(r.userPrincipalName) });
          }
        }
      })(),
      (async () => {
        const filter = odata`PartitionKey eq ${accountId} and RowKey ge ${ELIGIBLE_PREFIX} and RowKey lt ${'~eligible}'}`;
        for await (const r of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) existing.push(r.rowKey as string);
      })(),
    ]);
    const entries = users.sort(byDisplayName).map((u): NameEntry => [u.id, u.displayName, u.userPrincipalName]);
    const count = Math.max(1, Math.ceil(entries.length / ELIGIBLE_CHUNK));
    const operations: TransactionAction[] = [
      ...Array.from({ length: count }, (_, i): TransactionAction => [
        'upsert',
        {
          partitionKey: accountId,
          rowKey: eligibleKey(i),
          stamp,
          total: entries.length,
          ...splitJson(entries.slice(i * ELIGIBLE_CHUNK, (i + 1) * ELIGIBLE_CHUNK)),
        },
        'Replace',
      ]),
      ...existing.filter((k) => k >= eligibleKey(count)).map((k): TransactionAction => ['delete', { partitionKey: accountId, rowKey: k }]),
    ];
    try {
      for (const batch of chunks(operations, MAX_TRANSACTION)) await client.submitTransaction(batch);
    } catch (err) {
      if (!isStatus(err, 404, 409, 412)) throw err;
    }
    return entries;
  }

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
      const filter = usersOf(accountId);
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
      if (changed.length > 0) await outdateLists(accountId);
      return changed.length;
    },

    async markGone(accountId, seen, at) {
      await teamsUsers.ready();
      const filter = usersOf(accountId);
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
      if (newlyGone.length > 0) await outdateLists(accountId);
      return notSeen.length;
    },

    async eligibleByName(accountId, wanted, limit) {
      await teamsUsers.ready();
      const [marker, chunk0] = await Promise.all([row(accountId, REV_ROW), row(accountId, eligibleKey(0))]);
      const stamp = str(marker?.rev) ?? '';
      const out: TeamsUserName[] = [];
      const take = (entries: NameEntry[]): boolean => {
        for (const [id, displayName, userPrincipalName] of entries) {
          const u = { id, displayName, userPrincipalName };
          if (!wanted(u)) continue;
          if (out.length === limit) return true;
          out.push(u);
        }
        return false;
      };
      let chunk = chunk0;
      for (let i = 0; chunk && chunk.stamp === stamp;) {
        const entries = joinJson<NameEntry[]>(chunk);
        if (!entries) break;
        if (take(entries)) return { users: out, more: true };
        if (++i * ELIGIBLE_CHUNK >= (chunk.total as number)) return { users: out, more: false };
        chunk = await row(accountId, eligibleKey(i));
      }
      // No list yet, or one from before the last discovery that wrote: rebuilt from every user.
      out.length = 0;
      const all = await rebuildEligible(accountId, stamp);
      return { users: out, more: take(all) };
    },

    async getMany(accountId, ids) {
      await teamsUsers.ready();
      const found = await Promise.all([...new Set(ids)].map((id) => point(accountId, id)));
      return found.filter((u): u is TeamsUserRecord => u !== undefined);
    },

    async list(accountId) {
      await teamsUsers.ready();
      const out: TeamsUserRecord[] = [];
      const filter = usersOf(accountId);
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(fromRow(row as Row));
      return out;
    },
  };
}
