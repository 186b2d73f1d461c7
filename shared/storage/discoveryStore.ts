/**
 * The account's latest discovery: one row in its partition of the accounts table (RowKey "discovery"), replaced when
 * the next discovery begins. Counts and licences are small JSON columns. The user ids each users page saw are rows
 * `discoverySeen|<discovery id>|<page>` beside it (what "gone" is told from), dropped when the next discovery begins.
 */
import { odata, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { DiscoveryPatch, DiscoveryStatus, DiscoveryStore } from '../discovery/ports';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { accountRow } from './accountStore';
import { joinJson, splitJson, str } from './columns';
import { isStatus, Table } from './tables';

export const DISCOVERY_ROW = 'discovery';

type Row = TableEntityResult<Record<string, unknown>>;

const SEEN_PREFIX = 'discoverySeen|';
const seenKey = (discoveryId: string, page: number): string => `${SEEN_PREFIX}${discoveryId}|${String(page).padStart(6, '0')}`;

const parsed = <T>(v: unknown): T | null => (typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : null);

function fromRow(r: Row): DiscoveryStatus {
  const code = str(r.errorCode);
  return {
    discoveryId: r.discoveryId as string,
    status: r.status as DiscoveryStatus['status'],
    startedAt: r.startedAt as string,
    progressAt: str(r.progressAt),
    finishedAt: str(r.finishedAt),
    pagesRead: (r.pagesRead as number) ?? 0,
    usersSeen: (r.usersSeen as number) ?? 0,
    counts: parsed(r.counts),
    licences: parsed(r.licences),
    tenant: parsed(r.tenant),
    error: code ? { code, message: str(r.errorMessage) ?? '' } : null,
  };
}

/** Empty strings stand for null: Table Storage has no nulls and Merge keeps properties that are left out. */
function toColumns(patch: DiscoveryPatch): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (patch.progressAt !== undefined) columns.progressAt = patch.progressAt ?? '';
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.startedAt !== undefined) columns.startedAt = patch.startedAt;
  if (patch.finishedAt !== undefined) columns.finishedAt = patch.finishedAt ?? '';
  if (patch.pagesRead !== undefined) columns.pagesRead = patch.pagesRead;
  if (patch.usersSeen !== undefined) columns.usersSeen = patch.usersSeen;
  if (patch.counts !== undefined) columns.counts = patch.counts ? JSON.stringify(patch.counts) : '';
  if (patch.licences !== undefined) columns.licences = patch.licences ? JSON.stringify(patch.licences) : '';
  if (patch.tenant !== undefined) columns.tenant = patch.tenant ? JSON.stringify(patch.tenant) : '';
  if (patch.error !== undefined) {
    columns.errorCode = patch.error?.code ?? '';
    columns.errorMessage = patch.error?.message ?? '';
  }
  return columns;
}

export function tableDiscoveryStore(accounts: Table): DiscoveryStore {
  const client = accounts.client;

  async function read(accountId: string): Promise<Row | undefined> {
    await accounts.ready();
    try {
      return await client.getEntity<Record<string, unknown>>(accountId, DISCOVERY_ROW);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async function seenRows(accountId: string, prefix: string, select?: string[]): Promise<Row[]> {
    await accounts.ready();
    const filter = odata`PartitionKey eq ${accountId} and RowKey ge ${prefix} and RowKey lt ${`${prefix.slice(0, -1)}}`}`;
    const rows: Row[] = [];
    for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } })) rows.push(row as Row);
    return rows;
  }

  return {
    async get(accountId) {
      const row = await read(accountId);
      return row ? fromRow(row) : undefined;
    },

    async begin(accountId, discoveryId, startedAt) {
      const current = await read(accountId);
      if (current?.discoveryId === discoveryId) return;
      const entity = {
        partitionKey: accountId,
        rowKey: DISCOVERY_ROW,
        kind: 'discovery',
        discoveryId,
        ...toColumns({
          status: 'running',
          startedAt,
          progressAt: startedAt,
          finishedAt: null,
          pagesRead: 0,
          usersSeen: 0,
          counts: null,
          licences: null,
          tenant: null,
          error: null,
        }),
      };
      try {
        if (current) await client.updateEntity(entity, 'Replace', { etag: current.etag });
        else await client.createEntity(entity);
      } catch (err) {
        // Someone wrote in between (a duplicate delivery of this step): whoever won wrote the same or a newer run.
        if (!isStatus(err, 409, 412)) throw err;
      }
      // What earlier runs saw is of no use any more.
      for (const row of await seenRows(accountId, SEEN_PREFIX, ['RowKey'])) {
        if ((row.rowKey as string).startsWith(`${SEEN_PREFIX}${discoveryId}|`)) continue;
        await client.deleteEntity(accountId, row.rowKey as string).catch((err: unknown) => {
          if (!isStatus(err, 404)) throw err;
        });
      }
    },

    async recordSeen(accountId, discoveryId, page, ids) {
      await accounts.ready();
      const entity = { partitionKey: accountId, rowKey: seenKey(discoveryId, page), kind: 'discoverySeen', ...splitJson(ids) };
      await client.upsertEntity(entity, 'Replace');
    },

    async seen(accountId, discoveryId) {
      const rows = await seenRows(accountId, `${SEEN_PREFIX}${discoveryId}|`);
      if (rows.length === 0) return null;
      const ids = new Set<string>();
      for (const row of rows) {
        const page = joinJson<string[]>(row);
        // Unreadable, it would make its users look gone: fail the step instead.
        if (!page) throw new Error(`The seen ids of ${row.rowKey as string} cannot be read.`);
        for (const id of page) ids.add(id);
      }
      return ids;
    },

    async update(accountId, discoveryId, patch) {
      const updated = await retryOnConflict(async (): Promise<Result<boolean>> => {
        const current = await read(accountId);
        if (!current || current.discoveryId !== discoveryId) return ok(false);
        try {
          await client.updateEntity({ partitionKey: accountId, rowKey: DISCOVERY_ROW, ...toColumns(patch) }, 'Merge', {
            etag: current.etag,
          });
          return ok(true);
        } catch (err) {
          if (isStatus(err, 412)) return fail('CONCURRENT_UPDATE', 'The discovery row changed at the same time.');
          throw err;
        }
      });
      if (!updated.ok) throw new Error(`The discovery row of ${accountId} kept changing; giving up this update.`);
      return updated.value;
    },

    async succeed(accountId, discoveryId, patch, activation) {
      const current = await read(accountId);
      if (!current || current.discoveryId !== discoveryId) return ok(false);
      // Both rows live in the account's partition of the accounts table: one transaction writes them.
      const actions: TransactionAction[] = [
        ['update', { partitionKey: accountId, rowKey: DISCOVERY_ROW, ...toColumns(patch) }, 'Merge', { etag: current.etag }],
        ...(activation ? [['update', accountRow(activation.account), 'Replace', { etag: activation.etag }] as TransactionAction] : []),
      ];
      try {
        await client.submitTransaction(actions);
        return ok(true);
      } catch (err) {
        if (isStatus(err, 409, 412)) return fail('CONCURRENT_UPDATE', 'The discovery or its account changed at the same time.');
        throw err;
      }
    },
  };
}
