/**
 * The syncRuns table: PartitionKey = account id, one row per run. RowKey = the start time inverted (13 digits of
 * 9999999999999 − epoch ms) + "_" + run id: Table Storage returns a partition in RowKey order, so a plain listing is
 * newest first with no sort of our own, and the run id keeps two runs started in the same millisecond apart. Looking a
 * run up by id is a query on the `runId` column within the partition (one account holds a run per sync, a few
 * hundred a year). Counts and the error are plain columns, the post-sync verification one JSON column; Table Storage keeps no nulls, so empty strings stand for
 * null (shared/storage/columns.ts reads them back).
 */
import { odata, TableEntityResult } from '@azure/data-tables';
import { fail, ok, Result } from '../domain/errors';
import { SyncRun } from '../domain/syncRun';
import { RunVerification } from '../domain/syncVerification';
import { StoredSyncRun, SyncRunPatch, SyncRunStore } from '../sync/ports';
import { jsonColumn, str } from './columns';
import { isStatus, Table } from './tables';

type Row = TableEntityResult<Record<string, unknown>>;

const LATEST = 9_999_999_999_999; // 2286-11-20: 13 digits of epoch milliseconds

export function syncRunRowKey(startedAt: string, runId: string): string {
  return `${String(LATEST - Date.parse(startedAt)).padStart(13, '0')}_${runId}`;
}

function fromRow(r: Row): SyncRun {
  const code = str(r.errorCode);
  return {
    runId: r.runId as string,
    accountId: r.partitionKey as string,
    trigger: r.trigger as SyncRun['trigger'],
    startedBy: r.startedBy as string,
    startedAt: r.startedAt as string,
    finishedAt: str(r.finishedAt),
    status: r.status as SyncRun['status'],
    stage: r.stage as SyncRun['stage'],
    counts: {
      planned: (r.planned as number) ?? 0,
      applied: (r.applied as number) ?? 0,
      failed: (r.failed as number) ?? 0,
      left: (r.left as number) ?? 0,
    },
    deadline: r.deadline as string,
    error: code ? { code, message: str(r.errorMessage) ?? '' } : null,
    verification: jsonColumn<RunVerification>(r.verification) ?? null,
  };
}

/** The columns a patch sets; Merge keeps the others. */
function toColumns(patch: SyncRunPatch): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (patch.finishedAt !== undefined) columns.finishedAt = patch.finishedAt ?? '';
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.stage !== undefined) columns.stage = patch.stage;
  if (patch.deadline !== undefined) columns.deadline = patch.deadline;
  if (patch.counts !== undefined) Object.assign(columns, patch.counts);
  if (patch.verification !== undefined) columns.verification = patch.verification ? JSON.stringify(patch.verification) : '';
  if (patch.error !== undefined) {
    columns.errorCode = patch.error?.code ?? '';
    columns.errorMessage = patch.error?.message ?? '';
  }
  return columns;
}

function toRow(run: SyncRun): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: run.accountId,
    rowKey: syncRunRowKey(run.startedAt, run.runId),
    runId: run.runId,
    trigger: run.trigger,
    startedBy: run.startedBy,
    startedAt: run.startedAt,
    ...toColumns(run),
  };
}

const lostRace = fail<never>('CONCURRENT_UPDATE', 'The sync run was changed at the same time.');

export function tableSyncRunStore(runs: Table): SyncRunStore {
  const client = runs.client;

  async function first(filter: string): Promise<Row | undefined> {
    await runs.ready();
    for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) return row as Row;
    return undefined;
  }

  const find = (accountId: string, runId: string) => first(odata`PartitionKey eq ${accountId} and runId eq ${runId}`);

  return {
    async create(run) {
      await runs.ready();
      try {
        const created = await client.createEntity(toRow(run));
        return ok({ run, etag: created.etag as string });
      } catch (err) {
        if (isStatus(err, 409)) return lostRace;
        throw err;
      }
    },

    async get(accountId, runId) {
      const row = await find(accountId, runId);
      return row ? { run: fromRow(row), etag: row.etag } : undefined;
    },

    async list(accountId, { page, pageSize }) {
      await runs.ready();
      const all: SyncRun[] = [];
      for await (const row of client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${accountId}` },
      })) {
        all.push(fromRow(row as Row));
      }
      return { runs: all.slice((page - 1) * pageSize, page * pageSize), total: all.length };
    },

    async update(accountId, runId, patch, etag): Promise<Result<StoredSyncRun>> {
      const row = await find(accountId, runId);
      if (!row) return fail('SYNC_RUN_NOT_FOUND', `There is no sync run ${runId} for account ${accountId}.`);
      try {
        const updated = await client.updateEntity({ partitionKey: accountId, rowKey: row.rowKey as string, ...toColumns(patch) }, 'Merge', {
          etag: etag ?? row.etag,
        });
        const current = fromRow(row);
        return ok({ run: { ...current, ...patch, counts: { ...current.counts, ...patch.counts } }, etag: updated.etag as string });
      } catch (err) {
        if (isStatus(err, 404)) return fail('SYNC_RUN_NOT_FOUND', `There is no sync run ${runId} for account ${accountId}.`);
        if (isStatus(err, 412)) return lostRace;
        throw err;
      }
    },

    async running(accountId) {
      const row = await first(odata`PartitionKey eq ${accountId} and status eq ${'Running'}`);
      return row ? fromRow(row) : undefined;
    },
  };
}
