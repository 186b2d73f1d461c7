/**
 * The account's latest discovery: one row in its partition of the accounts table (RowKey "discovery"), replaced when
 * the next discovery begins. Counts and licences are small JSON columns.
 */
import { TableEntityResult, TransactionAction } from '@azure/data-tables';
import { DiscoveryPatch, DiscoveryStatus, DiscoveryStore } from '../discovery/ports';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { accountRow } from './accountStore';
import { str } from './columns';
import { isStatus, Table } from './tables';

export const DISCOVERY_ROW = 'discovery';

type Row = TableEntityResult<Record<string, unknown>>;

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
