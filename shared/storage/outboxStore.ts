/** Outbox messages, kept in their account's partition of the accounts table (see accountStore.ts). */
import { odata, TableEntityResult } from '@azure/data-tables';
import { OutboxRecord } from '../email/outboxMessage';
import { OutboxStore } from '../email/ports';
import { OUTBOX_PREFIX } from './accountStore';
import { str } from './columns';
import { isStatus, Table } from './tables';

type Row = TableEntityResult<Record<string, unknown>>;

const READ_CONCURRENCY = 8;
/** Characters Table Storage does not allow in a PartitionKey or RowKey. */
const addressable = (key: string): boolean => !/[/\\#?\p{Cc}]/u.test(key);

function fromRow(r: Row): OutboxRecord {
  return {
    id: (r.rowKey as string).slice(OUTBOX_PREFIX.length),
    dedupeKey: r.dedupeKey as string,
    accountId: r.partitionKey as string,
    template: r.template as OutboxRecord['template'],
    to: { address: r.toAddress as string, displayName: r.toName as string },
    subject: r.subject as string,
    html: r.html as string,
    text: r.text as string,
    createdAt: r.createdAt as string,
    status: r.status as OutboxRecord['status'],
    attempts: (r.attempts as number) ?? 0,
    nextAttemptAt: r.nextAttemptAt as string,
    leaseUntil: str(r.leaseUntil),
    lastError: str(r.lastError),
    operationId: str(r.operationId),
    sentAt: str(r.sentAt),
    etag: r.etag,
  };
}

export function tableOutboxStore(accounts: Table): OutboxStore {
  const client = accounts.client;
  const update = async (record: OutboxRecord, patch: Record<string, unknown>): Promise<string | undefined> => {
    const entity = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v === null ? '' : v]));
    try {
      const res = await client.updateEntity(
        { partitionKey: record.accountId, rowKey: `${OUTBOX_PREFIX}${record.id}`, ...entity },
        'Merge',
        { etag: record.etag },
      );
      return res.etag;
    } catch (err) {
      if (isStatus(err, 412, 404)) return undefined;
      throw err;
    }
  };
  return {
    async due(now, limit) {
      await accounts.ready();
      const iso = now.toISOString();
      const filter = odata`kind eq 'outbox' and ((status eq 'Pending' and nextAttemptAt le ${iso}) or (status eq 'Sending' and leaseUntil lt ${iso}))`;
      const found: OutboxRecord[] = [];
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        found.push(fromRow(row as Row));
      }
      // Oldest first, so a burst never starves earlier messages.
      return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(0, limit);
    },
    async getMany(accountId, ids) {
      await accounts.ready();
      // A key Table Storage cannot hold names no row (and would be a bad request, not a miss).
      const todo = addressable(accountId) ? ids.filter(addressable) : [];
      const found: OutboxRecord[] = [];
      const worker = async (): Promise<void> => {
        for (let id = todo.shift(); id !== undefined; id = todo.shift()) {
          try {
            found.push(fromRow(await client.getEntity<Record<string, unknown>>(accountId, `${OUTBOX_PREFIX}${id}`)));
          } catch (err) {
            if (!isStatus(err, 404)) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, todo.length) }, worker));
      return found;
    },
    async sentWithin(now, windowsMs) {
      await accounts.ready();
      const starts = windowsMs.map((ms) => new Date(now.getTime() - ms).toISOString());
      const since = starts.reduce((a, b) => (a < b ? a : b), now.toISOString());
      const filter = odata`kind eq 'outbox' and ((status eq 'Sent' and sentAt ge ${since}) or (status eq 'Sending' and leaseUntil ge ${now.toISOString()}))`;
      const counts = starts.map(() => 0);
      for await (const row of client.listEntities({ queryOptions: { filter, select: ['status', 'sentAt'] } })) {
        // A live lease is a send happening now: it counts in every window.
        starts.forEach((start, i) => {
          if (row.status === 'Sending' || String(row.sentAt) >= start) counts[i]++;
        });
      }
      return counts;
    },
    async lease(record, _now, leaseUntil) {
      const patch = { status: 'Sending', attempts: record.attempts + 1, leaseUntil: leaseUntil.toISOString(), operationId: record.id };
      const etag = await update(record, patch);
      return etag ? { ...record, ...patch, etag, status: 'Sending' } : undefined;
    },
    async purgeFinished(before) {
      await accounts.ready();
      const filter = odata`kind eq 'outbox' and (status eq 'Sent' or status eq 'Failed') and createdAt lt ${before.toISOString()}`;
      let purged = 0;
      for await (const row of client.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
        await client.deleteEntity(row.partitionKey as string, row.rowKey as string).catch((err: unknown) => {
          if (!isStatus(err, 404)) throw err;
        });
        purged++;
      }
      return purged;
    },
    async settle(record, patch) {
      // A finished email's body holds a signed link that stays valid for days: keep the record, drop the body.
      const finished = patch.status === 'Sent' || patch.status === 'Failed';
      await update(record, finished ? { ...patch, html: '', text: '' } : patch);
    },
  };
}
