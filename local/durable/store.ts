/**
 * Where the Durable emulator keeps its state: Table Storage in the task hub's own tables, as the extension's Azure
 * Storage provider does.
 *
 * - `{TaskHub}Instances`: one row per instance (PartitionKey = instance id, RowKey ''), what status queries read.
 * - `{TaskHub}History`: one partition per instance. History rows `h{generation}.{seq}`, the orchestrator's action log
 *   `a{generation}.{n}` (one row per episode, for the non-determinism check), events delivered but not yet shown to the
 *   orchestrator `p{generation}.{seq}` (the provider's control-queue messages) and the checkpoint row `m` (status,
 *   counters, retry groups). A checkpoint is written in the partition's last batch: rows past its counts are ignored
 *   on load, so an episode spread over several batches of 100 still commits at once.
 * - `{TaskHub}LargeMessages`: values over ~30,000 characters (a table property holds 64 KiB), in chunks.
 *
 * Writes go through one promise chain per instance; what is queued while a write is in flight is merged into the
 * next one (fewer requests when many completions arrive at once).
 */
import { odata, RestError, TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { HistoryEvent } from './history';

/** What a checkpoint row holds: the instance's mutable state, authoritative on load. */
export interface Checkpoint {
  generation: number;
  historyCount: number;
  actionRows: number;
  nextEventId: number;
  /** Pending rows of this generation with a lower seq have been shown to the orchestrator. */
  pendingFrom: number;
  nextPendingSeq: number;
  status: string;
  output?: unknown;
  customStatus?: unknown;
  failureDetails?: unknown;
  lastUpdatedTime: string;
  /** Slots that cannot be read back from history (retried tasks, long timers), serialised by the emulator. */
  slots: unknown;
}

/** The Instances row: what status queries and the load need besides the checkpoint. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  input: unknown;
  status: string;
  output?: unknown;
  customStatus?: unknown;
  failureDetails?: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  parent?: unknown;
  generation: number;
}

/** One unit of writes for an instance, captured at a consistent point; later ones extend earlier ones. */
export interface Write {
  history?: { generation: number; from: number; events: HistoryEvent[] };
  actions?: { generation: number; row: number; described: string[] };
  pendingInserts?: { generation: number; seq: number; event: HistoryEvent }[];
  pendingDeletes?: { generation: number; seq: number }[];
  checkpoint?: Checkpoint;
  record?: InstanceRecord;
  /** Rows of earlier generations to remove (after the checkpoint: a crash leaves them, and they are ignored). */
  staleGenerations?: { generation: number; historyCount: number; actionRows: number }[];
  /**
   * Deletes the instance with everything it has: the rows named (its generation as the emulator knows it), or, with
   * `true` (an instance whose history was never read back), whatever the partition holds.
   */
  purge?: true | { generation: number; historyCount: number; actionRows: number; pendingSeqs: number[] };
}

export interface LoadedInstance {
  record: InstanceRecord;
  checkpoint?: Checkpoint;
  history: HistoryEvent[];
  actionLog: string[];
  pending: { seq: number; event: HistoryEvent }[];
}

export interface DurableStore {
  /** Queues a write; resolves once it (and every write queued before it for this instance) is stored. */
  write(instanceId: string, write: Write): Promise<void>;
  /** Resolves once every queued write of the instance is stored. */
  flushed(instanceId: string): Promise<void>;
  /** How many instances have writes queued or in flight. */
  busy(): number;
  /** Every instance's row. */
  records(): Promise<InstanceRecord[]>;
  /** An instance's checkpoint, history, action log and the pending events its orchestrator has not seen. */
  partition(record: InstanceRecord): Promise<LoadedInstance>;
}

const LARGE = 30_000;
const BATCH_OPS = 100;
/** Entity-group transactions carry at most 4 MiB; strings count twice (UTF-16 in the service's limits). */
const BATCH_CHARS = 1_500_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const historyKey = (generation: number, seq: number): string => `h${pad(generation, 6)}.${pad(seq, 8)}`;
const actionKey = (generation: number, row: number): string => `a${pad(generation, 6)}.${pad(row, 6)}`;
const pendingKey = (generation: number, seq: number): string => `p${pad(generation, 6)}.${pad(seq, 10)}`;
const CHECKPOINT_KEY = 'm';

/** Table keys may not hold / \ # ? or control characters: those are escaped as %XX (and % itself). */
function keyOf(instanceId: string): string {
  // eslint-disable-next-line no-control-regex
  return instanceId.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

interface Queued {
  write: Write;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class TableDurableStore implements DurableStore {
  private readonly instancesTable: TableClient;
  private readonly historyTable: TableClient;
  private readonly largeTable: TableClient;
  private ready?: Promise<void>;
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Map<string, Promise<void>>();
  /** Settles once the instance's latest queued write has been stored (or given up on). */
  private readonly last = new Map<string, Promise<void>>();
  /** Partitions known to have rows in the large-message table (written by this process or read back). */
  private readonly withLarge = new Set<string>();

  constructor(
    connectionString: string,
    taskHubName: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    const options = { allowInsecureConnection: /DefaultEndpointsProtocol=http;|TableEndpoint=http:/i.test(connectionString) };
    this.instancesTable = TableClient.fromConnectionString(connectionString, `${taskHubName}Instances`, options);
    this.historyTable = TableClient.fromConnectionString(connectionString, `${taskHubName}History`, options);
    this.largeTable = TableClient.fromConnectionString(connectionString, `${taskHubName}LargeMessages`, options);
  }

  private tables(): Promise<void> {
    const create = (client: TableClient) =>
      client.createTable().catch((err: unknown) => {
        if (!(err instanceof RestError && err.statusCode === 409)) throw err;
      });
    return (this.ready ??= Promise.all([create(this.instancesTable), create(this.historyTable), create(this.largeTable)]).then(
      () => undefined,
      (err: Error) => {
        this.ready = undefined;
        throw err;
      },
    ));
  }

  write(instanceId: string, write: Write): Promise<void> {
    const stored = new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(instanceId) ?? [];
      queue.push({ write, resolve, reject });
      this.queues.set(instanceId, queue);
      if (!this.running.has(instanceId)) this.drain(instanceId);
    });
    const last = stored.catch(() => undefined);
    this.last.set(instanceId, last);
    void last.then(() => this.last.get(instanceId) === last && this.last.delete(instanceId));
    return stored;
  }

  flushed(instanceId: string): Promise<void> {
    return this.last.get(instanceId) ?? Promise.resolve();
  }

  busy(): number {
    return this.running.size;
  }

  private drain(instanceId: string): void {
    const queued = this.queues.get(instanceId);
    if (!queued?.length) {
      this.queues.delete(instanceId);
      this.running.delete(instanceId);
      return;
    }
    this.queues.set(instanceId, []);
    const run = this.store(
      instanceId,
      queued.map((q) => q.write),
    ).then(
      () => queued.forEach((q) => q.resolve()),
      (err: Error) => queued.forEach((q) => q.reject(err)),
    );
    this.running.set(instanceId, run);
    void run.then(() => this.drain(instanceId));
  }

  /** Stores writes in order, with a few tries: Azurite under load may drop a connection now and then. */
  private async store(instanceId: string, writes: Write[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.tables();
        return await this.storeOnce(instanceId, writes);
      } catch (err) {
        if (attempt >= 3) throw err;
        this.log(`Durable store: writing ${instanceId} failed (${(err as Error).message}); trying again.`);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private async storeOnce(instanceId: string, writes: Write[]): Promise<void> {
    const pk = keyOf(instanceId);
    const purgeAt = writes.map((w) => !!w.purge).lastIndexOf(true);
    if (purgeAt >= 0) {
      await this.purge(pk, writes[purgeAt].purge as NonNullable<Write['purge']>);
      writes = writes.slice(purgeAt + 1);
    }
    const upserts = new Map<string, TableEntity>();
    const deletes = new Set<string>();
    let checkpoint: Checkpoint | undefined;
    let record: InstanceRecord | undefined;
    const put = async (rowKey: string, fields: Record<string, unknown>) => {
      upserts.set(rowKey, await this.entity(pk, rowKey, fields));
      deletes.delete(rowKey);
    };
    const drop = (rowKey: string) => {
      if (!upserts.delete(rowKey)) deletes.add(rowKey);
    };
    for (const w of writes) {
      if (w.history)
        for (const [i, e] of w.history.events.entries()) await put(historyKey(w.history.generation, w.history.from + i), eventFields(e));
      if (w.actions) await put(actionKey(w.actions.generation, w.actions.row), { Actions: JSON.stringify(w.actions.described) });
      for (const p of w.pendingInserts ?? []) await put(pendingKey(p.generation, p.seq), eventFields(p.event));
      for (const p of w.pendingDeletes ?? []) drop(pendingKey(p.generation, p.seq));
      for (const stale of w.staleGenerations ?? []) {
        for (let seq = 0; seq < stale.historyCount; seq++) drop(historyKey(stale.generation, seq));
        for (let row = 0; row < stale.actionRows; row++) drop(actionKey(stale.generation, row));
      }
      if (w.checkpoint) checkpoint = w.checkpoint;
      if (w.record) record = w.record;
    }
    if (checkpoint) upserts.set(CHECKPOINT_KEY, await this.entity(pk, CHECKPOINT_KEY, { Checkpoint: JSON.stringify(checkpoint) }));
    // The checkpoint goes in the last batch of upserts, so the rows it counts are stored by the time it is.
    const rows = [...upserts.entries()].sort(([a], [b]) => (a === CHECKPOINT_KEY ? 1 : b === CHECKPOINT_KEY ? -1 : 0));
    const upsertActions = rows.map(([, entity]) => ['upsert', entity, 'Replace'] as TransactionAction);
    const deleteActions = [...deletes].map((rowKey) => ['delete', { partitionKey: pk, rowKey }] as TransactionAction);
    // Usually one transaction does it all (an episode's rows, its checkpoint and the pending rows it consumed).
    const together = upsertActions.length + deleteActions.length <= BATCH_OPS && upsertActions.length > 0 && deleteActions.length > 0;
    const done = together && (await this.submitOnce([...upsertActions, ...deleteActions]));
    if (!done) await this.submit(upsertActions);
    if (record) await this.instancesTable.upsertEntity(await this.entity(pk, '', recordFields(record)), 'Replace');
    if (!done && deleteActions.length) await this.submit(deleteActions, true);
  }

  /** One transaction; false if it was refused because a row to delete is not there (a crash came between). */
  private async submitOnce(actions: TransactionAction[]): Promise<boolean> {
    if (JSON.stringify(actions).length > BATCH_CHARS) return false;
    try {
      await this.historyTable.submitTransaction(actions);
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return false;
      throw err;
    }
  }

  /** Sends actions of one partition in transactions of at most 100 (and ~3 MB). */
  private async submit(actions: TransactionAction[], ignoreMissing = false): Promise<void> {
    let batch: TransactionAction[] = [];
    let chars = 0;
    const flush = async () => {
      if (!batch.length) return;
      const current = batch;
      batch = [];
      chars = 0;
      try {
        await this.historyTable.submitTransaction(current);
      } catch (err) {
        // A delete of a row a crash never let us write: delete the rest one by one.
        if (!(ignoreMissing && err instanceof RestError && err.statusCode === 404)) throw err;
        for (const action of current) {
          await this.historyTable.deleteEntity(action[1].partitionKey, action[1].rowKey).catch((e: unknown) => {
            if (!(e instanceof RestError && e.statusCode === 404)) throw e;
          });
        }
      }
    };
    for (const action of actions) {
      const size = JSON.stringify(action[1]).length;
      if (batch.length >= BATCH_OPS || (batch.length && chars + size > BATCH_CHARS)) await flush();
      batch.push(action);
      chars += size;
    }
    await flush();
  }

  /** An entity whose large string values are moved to the large-message table (written first). */
  private async entity(pk: string, rowKey: string, fields: Record<string, unknown>): Promise<TableEntity> {
    const out: TableEntity = { partitionKey: pk, rowKey };
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (typeof value === 'string' && value.length > LARGE) {
        const blobKey = `${rowKey || 'instance'}.${name}`;
        const chunks: TransactionAction[] = [];
        for (let i = 0; i * LARGE < value.length; i++) {
          chunks.push([
            'upsert',
            { partitionKey: pk, rowKey: `${blobKey}.${pad(i, 4)}`, Data: value.slice(i * LARGE, (i + 1) * LARGE) },
            'Replace',
          ]);
        }
        for (let i = 0; i < chunks.length; i += 50) await this.largeTable.submitTransaction(chunks.slice(i, i + 50));
        out[`${name}LargeMessage`] = `${blobKey}:${chunks.length}`;
        this.withLarge.add(pk);
      } else {
        out[name] = value;
      }
    }
    return out;
  }

  private async readLarge(pk: string, entity: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { ...entity };
    for (const [name, ref] of Object.entries(entity)) {
      if (!name.endsWith('LargeMessage') || typeof ref !== 'string') continue;
      this.withLarge.add(pk);
      const [blobKey, count] = ref.split(/:(?=\d+$)/);
      const parts: string[] = [];
      for (let i = 0; i < Number(count); i++) {
        parts.push(String((await this.largeTable.getEntity<{ Data: string }>(pk, `${blobKey}.${pad(i, 4)}`)).Data));
      }
      out[name.slice(0, -'LargeMessage'.length)] = parts.join('');
      delete out[name];
    }
    return out;
  }

  private async purge(pk: string, what: NonNullable<Write['purge']>): Promise<void> {
    const clients = what === true || this.withLarge.has(pk) ? [this.historyTable, this.largeTable] : [];
    if (what !== true) {
      const rows = [CHECKPOINT_KEY, ...what.pendingSeqs.map((seq) => pendingKey(what.generation, seq))];
      for (let seq = 0; seq < what.historyCount; seq++) rows.push(historyKey(what.generation, seq));
      for (let row = 0; row < what.actionRows; row++) rows.push(actionKey(what.generation, row));
      await this.submit(
        rows.map((rowKey) => ['delete', { partitionKey: pk, rowKey }] as TransactionAction),
        true,
      );
      clients.shift();
    }
    this.withLarge.delete(pk);
    for (const client of clients) {
      const keys: string[] = [];
      for await (const e of client.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['RowKey'] } }))
        keys.push(String(e.rowKey));
      for (let i = 0; i < keys.length; i += BATCH_OPS) {
        await client.submitTransaction(keys.slice(i, i + BATCH_OPS).map((rowKey) => ['delete', { partitionKey: pk, rowKey }]));
      }
    }
    await this.instancesTable.deleteEntity(pk, '').catch((err: unknown) => {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
    });
  }

  async records(): Promise<InstanceRecord[]> {
    await this.tables();
    const out: InstanceRecord[] = [];
    for await (const e of this.instancesTable.listEntities()) {
      const fields = await this.readLarge(String(e.partitionKey), e);
      out.push({
        instanceId: String(fields.InstanceId),
        name: String(fields.Name),
        input: parse(fields.Input),
        status: String(fields.RuntimeStatus),
        output: parse(fields.Output),
        customStatus: parse(fields.CustomStatus),
        failureDetails: parse(fields.FailureDetails),
        createdTime: String(fields.CreatedTime),
        lastUpdatedTime: String(fields.LastUpdatedTime),
        parent: parse(fields.Parent),
        generation: Number(fields.Generation),
      });
    }
    return out;
  }

  async partition(record: InstanceRecord): Promise<LoadedInstance> {
    const pk = keyOf(record.instanceId);
    const rows = new Map<string, Record<string, unknown>>();
    for await (const e of this.historyTable.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } }))
      rows.set(String(e.rowKey), e);
    const read = async (rowKey: string) => {
      const row = rows.get(rowKey);
      return row && this.readLarge(pk, row);
    };
    const checkpointRow = await read(CHECKPOINT_KEY);
    const checkpoint = checkpointRow ? (JSON.parse(String(checkpointRow.Checkpoint)) as Checkpoint) : undefined;
    const generation = checkpoint?.generation ?? record.generation;
    const history: HistoryEvent[] = [];
    const actionLog: string[] = [];
    const pending: LoadedInstance['pending'] = [];
    if (checkpoint) {
      for (let seq = 0; seq < checkpoint.historyCount; seq++) {
        const row = await read(historyKey(generation, seq));
        if (!row) throw new Error(`Durable store: history row ${seq} of ${record.instanceId} is missing.`);
        history.push(eventOf(row));
      }
      for (let row = 0; row < checkpoint.actionRows; row++) {
        const found = await read(actionKey(generation, row));
        if (!found) throw new Error(`Durable store: action row ${row} of ${record.instanceId} is missing.`);
        actionLog.push(...(JSON.parse(String(found.Actions)) as string[]));
      }
    }
    const prefix = pendingKey(generation, 0).slice(0, 8);
    for (const rowKey of [...rows.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const seq = Number(rowKey.slice(8));
      if (seq >= (checkpoint?.pendingFrom ?? 0)) pending.push({ seq, event: eventOf((await read(rowKey))!) });
    }
    return { record, checkpoint, history, actionLog, pending };
  }
}

function eventFields(e: HistoryEvent): Record<string, unknown> {
  // IsPlayed is the replay's business, not the record's.
  return { Event: JSON.stringify({ ...e, IsPlayed: undefined }) };
}

function eventOf(row: Record<string, unknown>): HistoryEvent {
  return { ...(JSON.parse(String(row.Event)) as HistoryEvent), IsPlayed: false };
}

function recordFields(r: InstanceRecord): Record<string, unknown> {
  return {
    InstanceId: r.instanceId,
    Name: r.name,
    RuntimeStatus: r.status,
    Input: json(r.input),
    Output: json(r.output),
    CustomStatus: json(r.customStatus),
    FailureDetails: json(r.failureDetails),
    CreatedTime: r.createdTime,
    LastUpdatedTime: r.lastUpdatedTime,
    Parent: json(r.parent),
    Generation: r.generation,
  };
}

const json = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));
const parse = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : undefined);
