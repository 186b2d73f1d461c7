/**
 * The runPlans table (RunPlanStore port): one partition per account; a run's rows keyed
 * `{runId}|{chunk, 5 digits}|{order, 6 digits}` so a chunk is one key range in plan order, and its summary at
 * `{runId}|~` (after every row of the run). Each row holds the planned user as one JSON column: it is read and written
 * whole, by the apply step that owns its chunk.
 */
import { odata, TransactionAction } from '@azure/data-tables';
import { PlannedUser } from '../domain/syncApply';
import { RunPlanStore, RunPlanSummary } from '../sync/ports';
import { jsonColumn } from './columns';
import { isStatus, Table } from './tables';

/** Table Storage allows 100 operations per transaction, all in one partition. */
const ROWS_PER_TRANSACTION = 100;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const chunkPrefix = (runId: string, chunk: number): string => `${runId}|${pad(chunk, 5)}|`;
const rowKey = (runId: string, u: PlannedUser): string => `${chunkPrefix(runId, u.chunk)}${pad(u.order, 6)}`;
const summaryKey = (runId: string): string => `${runId}|~`;

export function tableRunPlanStore(plans: Table): RunPlanStore {
  return {
    async save(accountId, runId, users) {
      await plans.ready();
      const byChunk = new Map<number, PlannedUser[]>();
      for (const u of users) byChunk.set(u.chunk, [...(byChunk.get(u.chunk) ?? []), u]);
      for (const rows of byChunk.values()) {
        for (let i = 0; i < rows.length; i += ROWS_PER_TRANSACTION) {
          const actions = rows
            .slice(i, i + ROWS_PER_TRANSACTION)
            .map((u): TransactionAction => [
              'upsert',
              { partitionKey: accountId, rowKey: rowKey(runId, u), user: JSON.stringify(u) },
              'Replace',
            ]);
          await plans.client.submitTransaction(actions);
        }
      }
    },

    async chunk(accountId, runId, chunk) {
      await plans.ready();
      const prefix = chunkPrefix(runId, chunk);
      // '}' sorts right after '|': the range holds exactly this chunk's keys.
      const rows = plans.client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${accountId} and RowKey ge ${prefix} and RowKey lt ${`${prefix.slice(0, -1)}}`}` },
      });
      const users: PlannedUser[] = [];
      for await (const row of rows) {
        const u = jsonColumn<PlannedUser>(row.user);
        if (u) users.push(u);
      }
      return users.sort((a, b) => a.order - b.order);
    },

    async saveSummary(accountId, runId, summary) {
      await plans.ready();
      await plans.client.upsertEntity({ partitionKey: accountId, rowKey: summaryKey(runId), summary: JSON.stringify(summary) }, 'Replace');
    },

    async summary(accountId, runId) {
      await plans.ready();
      try {
        const row = await plans.client.getEntity<Record<string, unknown>>(accountId, summaryKey(runId));
        return jsonColumn<RunPlanSummary>(row.summary) ?? undefined;
      } catch (err) {
        if (isStatus(err, 404)) return undefined;
        throw err;
      }
    },
  };
}
