/**
 * The voiceUsers table: one partition per account holding
 * - `mapping`: the state row (version, licences held, queued changes). Every transaction moves it on with its ETag, so
 *   two admins saving at once can never both win — the rows and the check are one atomic write;
 * - `vu|<voice user id>`: each voice user with its desired and applied mapping;
 * - `tu|<Teams user id>`: the index of the desired mapping, the voice user holding that Teams user ('' once let go),
 *   written in the same transaction as the voice user's row: a save checks "already mapped" and the page lists the
 *   free Teams users without reading every voice user. Partitions from before the index have no `claims` flag on
 *   their state row: the first read that needs the index builds it (idempotent; the flag is set under the state row's
 *   ETag, so a save racing the build makes it run again);
 * - `order|<n>`: the page order, voice user ids by display name in chunks of 1,000, stamped with `orderAt` (the
 *   version of the last write that added, removed or renamed a voice user). A page reads one or two chunks and its
 *   rows; chunks with another stamp (or none yet) are rebuilt by the read that finds them so (one read of every
 *   voice user's name).
 */
import { odata, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { fail, ok } from '../domain/errors';
import { byDisplayName, MappingSummary } from '../domain/mapping';
import { AppliedVoiceState, LastSyncResult, MappingSnapshot, StoredVoiceUser, VoiceUserStore } from '../mapping/ports';
import { joinJson, jsonColumn, splitJson, str } from './columns';
import { isStatus, Table } from './tables';

const STATE_ROW = 'mapping';
const USER_PREFIX = 'vu|';
const HOLDER_PREFIX = 'tu|';
const ORDER_PREFIX = 'order|';
const ORDER_CHUNK = 1000;
const MAX_TRANSACTION = 100;
/** The state row's `claims` once the Teams-user index is complete. */
const CLAIMS_BUILT = 1;

type Row = TableEntity<Record<string, unknown>>;

function toRow(accountId: string, u: StoredVoiceUser): Row {
  const row: Row = {
    partitionKey: accountId,
    rowKey: `${USER_PREFIX}${u.id}`,
    displayName: u.displayName,
    voicemail: u.voicemail,
    callForwarding: u.callForwarding,
    musicOnHold: u.musicOnHold,
    inDirectory: u.inDirectory,
  };
  // Table Storage has no nulls: absent properties read back as null.
  for (const [k, v] of Object.entries({
    email: u.email,
    extension: u.extension,
    phoneNumber: u.phoneNumber,
    desired: u.desired,
    applied: u.applied,
    appliedState: u.appliedState ? JSON.stringify(u.appliedState) : null,
    lastSync: u.lastSync ? JSON.stringify(u.lastSync) : null,
  })) {
    if (v !== null) row[k] = v;
  }
  return row;
}

function fromRow(r: TableEntityResult<Record<string, unknown>>): StoredVoiceUser {
  return {
    id: (r.rowKey as string).slice(USER_PREFIX.length),
    displayName: r.displayName as string,
    email: str(r.email),
    extension: str(r.extension),
    phoneNumber: str(r.phoneNumber),
    voicemail: r.voicemail === true,
    callForwarding: r.callForwarding === true,
    musicOnHold: r.musicOnHold === 'provider' ? 'provider' : 'teams',
    desired: str(r.desired),
    applied: str(r.applied),
    inDirectory: r.inDirectory !== false,
    appliedState: jsonColumn<AppliedVoiceState>(r.appliedState),
    lastSync: jsonColumn<LastSyncResult>(r.lastSync),
  };
}

type Result = TableEntityResult<Record<string, unknown>>;

const stateRow = (accountId: string, version: number, summary: MappingSummary, at: string): Row => ({
  partitionKey: accountId,
  rowKey: STATE_ROW,
  version,
  held: summary.held,
  queued: summary.queued,
  updatedAt: at,
});

const stateOf = (state: Result | undefined): Pick<MappingSnapshot, 'version' | 'etag' | 'summary'> => ({
  version: (state?.version as number | undefined) ?? 0,
  etag: state?.etag ?? null,
  summary: { held: (state?.held as number | undefined) ?? 0, queued: (state?.queued as number | undefined) ?? 0 },
});

/** RowKeys from `prefix` up to (not including) the next prefix: '}' follows '|'. */
const range = (accountId: string, prefix: string): string =>
  odata`PartitionKey eq ${accountId} and RowKey ge ${prefix} and RowKey lt ${`${prefix.slice(0, -1)}}`}`;

const orderKey = (i: number): string => `${ORDER_PREFIX}${String(i).padStart(6, '0')}`;
const holderKey = (teamsUserId: string): string => `${HOLDER_PREFIX}${teamsUserId}`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The ids of chunks first..last (as far as the order goes) when they are all there with this stamp; undefined
 * otherwise. `ids` starts at the first chunk's first position.
 */
function orderSlice(rows: Result[], first: number, last: number, stamp: number): { total: number; ids: string[] } | undefined {
  const byIndex = new Map(rows.map((r) => [Number((r.rowKey as string).slice(ORDER_PREFIX.length)), r]));
  const head = byIndex.get(first);
  if (!head || head.stamp !== stamp || typeof head.total !== 'number') return undefined;
  const total = head.total;
  const ids: string[] = [];
  for (let i = first; i <= last && i * ORDER_CHUNK < total; i++) {
    const r = byIndex.get(i);
    const part = r && r.stamp === stamp && r.total === total ? joinJson<string[]>(r) : undefined;
    if (!part) return undefined;
    ids.push(...part);
  }
  return { total, ids };
}

export function tableVoiceUserStore(voiceUsers: Table): VoiceUserStore {
  const client = voiceUsers.client;

  const point = async (accountId: string, rowKey: string, select?: string[]): Promise<Result | undefined> => {
    try {
      return await client.getEntity<Record<string, unknown>>(accountId, rowKey, select ? { queryOptions: { select } } : undefined);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  };

  async function scan(accountId: string, prefix: string, select?: string[]): Promise<Result[]> {
    const rows: Result[] = [];
    for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: range(accountId, prefix), select } })) {
      rows.push(row);
    }
    return rows;
  }

  async function submitAll(operations: TransactionAction[]): Promise<void> {
    for (const batch of chunks(operations, MAX_TRANSACTION)) await client.submitTransaction(batch);
  }

  /** Builds the Teams-user index of a partition written before it existed; returns the state row as it then is. */
  async function withClaims(accountId: string, state: Result | undefined): Promise<Result | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!state || state.claims === CLAIMS_BUILT) return state;
      const [users, claims] = await Promise.all([
        scan(accountId, USER_PREFIX, ['RowKey', 'desired']),
        scan(accountId, HOLDER_PREFIX, ['RowKey', 'voiceUserId']),
      ]);
      const want = new Map<string, string>();
      for (const u of users) {
        if (typeof u.desired === 'string' && u.desired !== '') want.set(u.desired, (u.rowKey as string).slice(USER_PREFIX.length));
      }
      const have = new Map(claims.map((c) => [(c.rowKey as string).slice(HOLDER_PREFIX.length), str(c.voiceUserId) ?? '']));
      const writes = [...new Set([...want.keys(), ...have.keys()])]
        .filter((t) => (want.get(t) ?? '') !== (have.get(t) ?? ''))
        .map((t): TransactionAction => [
          'upsert',
          { partitionKey: accountId, rowKey: holderKey(t), voiceUserId: want.get(t) ?? '' },
          'Replace',
        ]);
      await submitAll(writes);
      try {
        await client.updateEntity({ partitionKey: accountId, rowKey: STATE_ROW, claims: CLAIMS_BUILT }, 'Merge', { etag: state.etag });
      } catch (err) {
        if (!isStatus(err, 412)) throw err;
      }
      state = await point(accountId, STATE_ROW);
    }
    throw new Error(`The mapping of ${accountId} kept changing while its Teams-user index was built.`);
  }

  /** The page order from every voice user's name, written for the next reads (best effort: a lost race only costs a rebuild). */
  async function rebuildOrder(accountId: string, stamp: number): Promise<string[]> {
    const [names, existing] = await Promise.all([
      scan(accountId, USER_PREFIX, ['RowKey', 'displayName']),
      scan(accountId, ORDER_PREFIX, ['RowKey']),
    ]);
    const ids = names
      .map((r) => ({ id: (r.rowKey as string).slice(USER_PREFIX.length), displayName: str(r.displayName) }))
      .sort(byDisplayName)
      .map((u) => u.id);
    const count = Math.max(1, Math.ceil(ids.length / ORDER_CHUNK));
    const operations: TransactionAction[] = [
      ...Array.from({ length: count }, (_, i): TransactionAction => [
        'upsert',
        {
          partitionKey: accountId,
          rowKey: orderKey(i),
          stamp,
          total: ids.length,
          ...splitJson(ids.slice(i * ORDER_CHUNK, (i + 1) * ORDER_CHUNK)),
        },
        'Replace',
      ]),
      ...existing
        .filter((r) => Number((r.rowKey as string).slice(ORDER_PREFIX.length)) >= count)
        .map((r): TransactionAction => ['delete', { partitionKey: accountId, rowKey: r.rowKey as string }]),
    ];
    try {
      await submitAll(operations);
    } catch (err) {
      if (!isStatus(err, 404, 409, 412)) throw err;
    }
    return ids;
  }

  return {
    async read(accountId) {
      await voiceUsers.ready();
      // The state row first: a write that lands after it moves its ETag, so a commit on rows read later cannot lose it.
      const state = await point(accountId, STATE_ROW);
      const rows = await scan(accountId, USER_PREFIX);
      return { ...stateOf(state), users: rows.map(fromRow) };
    },

    async readSome(accountId, ids) {
      await voiceUsers.ready();
      const state = await withClaims(accountId, await point(accountId, STATE_ROW));
      const rows = await Promise.all([...new Set(ids)].map((id) => point(accountId, `${USER_PREFIX}${id}`)));
      return { ...stateOf(state), users: rows.flatMap((r) => (r ? [fromRow(r)] : [])) };
    },

    async page(accountId, offset, limit) {
      await voiceUsers.ready();
      const first = Math.floor(offset / ORDER_CHUNK);
      const last = Math.floor((offset + Math.max(1, limit) - 1) / ORDER_CHUNK);
      const chunkRange = odata`PartitionKey eq ${accountId} and RowKey ge ${orderKey(first)} and RowKey le ${orderKey(last)}`;
      const readChunks = async (filter: string): Promise<Result[]> => {
        const rows: Result[] = [];
        for await (const r of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) rows.push(r);
        return rows;
      };
      // The state row is read before anything the order is rebuilt from: its stamp then never claims newer rows.
      const [state, rows] = await Promise.all([point(accountId, STATE_ROW), readChunks(chunkRange)]);
      const stamp = (state?.orderAt as number | undefined) ?? 0;
      let slice = orderSlice(rows, first, last, stamp);
      if (!slice && rows.length === 0 && first > 0) {
        // Past the last chunk, or no order yet: the first chunk tells which.
        const chunk0 = await point(accountId, orderKey(0));
        const head = chunk0 ? orderSlice([chunk0], 0, 0, stamp) : undefined;
        if (head && head.total <= first * ORDER_CHUNK) slice = { total: head.total, ids: [] };
      }
      if (!slice) {
        const ids = await rebuildOrder(accountId, stamp);
        slice = { total: ids.length, ids: ids.slice(first * ORDER_CHUNK, (last + 1) * ORDER_CHUNK) };
      }
      const start = offset - first * ORDER_CHUNK;
      const found = await Promise.all(slice.ids.slice(start, start + limit).map((id) => point(accountId, `${USER_PREFIX}${id}`)));
      return { ...stateOf(state), total: slice.total, users: found.flatMap((r) => (r ? [fromRow(r)] : [])) };
    },

    async holders(accountId, teamsUserIds) {
      await voiceUsers.ready();
      const rows = await Promise.all([...new Set(teamsUserIds)].map((t) => point(accountId, holderKey(t))));
      const out = new Map<string, string>();
      for (const r of rows) if (r && str(r.voiceUserId)) out.set((r.rowKey as string).slice(HOLDER_PREFIX.length), r.voiceUserId as string);
      return out;
    },

    async held(accountId) {
      await voiceUsers.ready();
      const state = await withClaims(accountId, await point(accountId, STATE_ROW));
      if (!state) return new Set();
      const filter = odata`PartitionKey eq ${accountId} and RowKey ge ${HOLDER_PREFIX} and RowKey lt ${'tu}'} and voiceUserId ne ${''}`;
      const out = new Set<string>();
      for await (const r of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } })) {
        out.add((r.rowKey as string).slice(HOLDER_PREFIX.length));
      }
      return out;
    },

    async summary(accountId) {
      await voiceUsers.ready();
      const s = await point(accountId, STATE_ROW);
      return s
        ? { version: s.version as number, summary: { held: s.held as number, queued: s.queued as number } }
        : { version: 0, summary: { held: 0, queued: 0 } };
    },

    async commit(accountId, base, upserts, deletions, summary) {
      await voiceUsers.ready();
      const before = new Map(base.users.map((u) => [u.id, u]));
      const after = new Map<string, StoredVoiceUser | null>([
        ...upserts.map((u): [string, StoredVoiceUser] => [u.id, u]),
        ...deletions.map((id): [string, null] => [id, null]),
      ]);
      // The index rows that change, each with the voice user whose transaction carries it (the new holder, else the old).
      const index = new Map<string, { holder: string; carrier: string }>();
      for (const [id, next] of after) {
        const was = before.get(id)?.desired ?? null;
        const now = next?.desired ?? null;
        if (was === now) continue;
        if (was !== null && index.get(was)?.holder === undefined) index.set(was, { holder: '', carrier: id });
        if (now !== null) index.set(now, { holder: id, carrier: id });
      }
      const groups = new Map<string, TransactionAction[]>();
      for (const [id, next] of after) {
        groups.set(id, [
          next ? ['upsert', toRow(accountId, next), 'Replace'] : ['delete', { partitionKey: accountId, rowKey: `${USER_PREFIX}${id}` }],
        ]);
      }
      for (const [teamsUserId, { holder, carrier }] of index) {
        groups.get(carrier)!.push(['upsert', { partitionKey: accountId, rowKey: holderKey(teamsUserId), voiceUserId: holder }, 'Replace']);
      }
      // A voice user's row and its index rows never split across transactions (99 operations each, with the state row).
      const transactions: TransactionAction[][] = [[]];
      for (const group of groups.values()) {
        if (transactions.at(-1)!.length + group.length > MAX_TRANSACTION - 1) transactions.push([]);
        transactions.at(-1)!.push(...group);
      }
      const reordered = deletions.length > 0 || upserts.some((u) => !before.has(u.id) || before.get(u.id)!.displayName !== u.displayName);

      let { version, etag } = base;
      for (const [i, operations] of transactions.entries()) {
        // Until the last transaction lands, the summary still describes what is stored: the one read before.
        const last = i === transactions.length - 1;
        const state: Row = {
          ...stateRow(accountId, version + 1, last ? summary : base.summary, new Date().toISOString()),
          ...(reordered ? { orderAt: version + 1 } : {}),
        };
        // A new partition starts with its index; an older one keeps whatever its state row says (Merge).
        const guard: TransactionAction =
          etag === null ? ['create', { ...state, claims: CLAIMS_BUILT }] : ['update', state, 'Merge', { etag }];
        try {
          const response = await client.submitTransaction([guard, ...operations]);
          version += 1;
          etag = response.subResponses[0]?.etag ?? null;
        } catch (err) {
          if (isStatus(err, 409, 412)) return fail('CONCURRENT_UPDATE', 'The voice users or their mapping were changed at the same time.');
          throw err;
        }
      }
      return ok({ version, etag: etag ?? '' });
    },
  };
}
