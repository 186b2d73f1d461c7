/**
 * The activity table (ActivityLog port): one partition per account, one row per entry keyed `{runId}|{entryId}`, so a
 * run's entries are one key range in plan order and writing an entry again (an activity that ran twice) replaces it.
 */
import { odata, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { ActivityEntry, ActivityLog } from '../sync/ports';
import { jsonColumn, str } from './columns';
import { Table } from './tables';

/** Table Storage allows 100 operations per transaction, all in one partition. */
const ROWS_PER_TRANSACTION = 100;

type Row = TableEntity<Record<string, unknown>>;

const rowKey = (runId: string, entryId: string): string => `${runId}|${entryId}`;

function toRow(e: ActivityEntry): Row {
  const row: Row = {
    partitionKey: e.accountId,
    rowKey: rowKey(e.runId, e.entryId),
    runId: e.runId,
    entryId: e.entryId,
    at: e.at,
    teamsUserId: e.teamsUserId,
    voiceUserIds: JSON.stringify(e.voiceUserIds),
    kind: e.kind,
    result: e.result,
  };
  for (const [k, v] of Object.entries({
    target: e.target,
    before: e.before,
    after: e.after,
    clientRequestId: e.clientRequestId,
    requestId: e.requestId,
    error: e.error ? JSON.stringify(e.error) : null,
  })) {
    if (v !== null) row[k] = v;
  }
  return row;
}

function fromRow(r: TableEntityResult<Record<string, unknown>>): ActivityEntry {
  return {
    accountId: r.partitionKey as string,
    runId: r.runId as string,
    entryId: r.entryId as string,
    at: r.at as string,
    teamsUserId: r.teamsUserId as string,
    voiceUserIds: jsonColumn<string[]>(r.voiceUserIds) ?? [],
    kind: r.kind as string,
    target: str(r.target),
    before: str(r.before),
    after: str(r.after),
    result: r.result as ActivityEntry['result'],
    clientRequestId: str(r.clientRequestId),
    requestId: str(r.requestId),
    error: jsonColumn<{ code: string; message: string }>(r.error),
  };
}

export function tableActivityLog(activity: Table): ActivityLog {
  return {
    async record(entries) {
      await activity.ready();
      const byAccount = new Map<string, ActivityEntry[]>();
      for (const e of entries) byAccount.set(e.accountId, [...(byAccount.get(e.accountId) ?? []), e]);
      for (const list of byAccount.values()) {
        for (let i = 0; i < list.length; i += ROWS_PER_TRANSACTION) {
          const actions = list.slice(i, i + ROWS_PER_TRANSACTION).map((e): TransactionAction => ['upsert', toRow(e), 'Replace']);
          await activity.client.submitTransaction(actions);
        }
      }
    },

    async list(accountId, runId, { page, pageSize }) {
      await activity.ready();
      // '}' sorts right after '|': the range holds exactly this run's keys.
      const rows = activity.client.listEntities<Record<string, unknown>>({
        queryOptions: {
          filter: odata`PartitionKey eq ${accountId} and RowKey ge ${`${runId}|`} and RowKey lt ${`${runId}}`}`,
        },
      });
      const all: ActivityEntry[] = [];
      for await (const row of rows) all.push(fromRow(row));
      const start = (page - 1) * pageSize;
      return { entries: all.slice(start, start + pageSize), total: all.length };
    },
  };
}
