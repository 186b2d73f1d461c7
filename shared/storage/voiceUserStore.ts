/**
 * The voiceUsers table: one partition per account holding each voice user (with its desired and applied mapping) and
 * a `mapping` state row (version, licences held, queued changes). Every transaction moves the state row on with its
 * ETag, so two admins saving at once can never both win — the rows and the check are one atomic write.
 */
import { odata, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { fail, ok } from '../domain/errors';
import { MappingSummary } from '../domain/mapping';
import { AppliedVoiceState, LastSyncResult, StoredVoiceUser, VoiceUserStore } from '../mapping/ports';
import { jsonColumn, str } from './columns';
import { isStatus, Table } from './tables';

const STATE_ROW = 'mapping';
const USER_PREFIX = 'vu|';
const ROWS_PER_TRANSACTION = 99; // plus the state row: Table Storage allows 100 operations per transaction

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

const stateRow = (accountId: string, version: number, summary: MappingSummary, at: string): Row => ({
  partitionKey: accountId,
  rowKey: STATE_ROW,
  version,
  held: summary.held,
  queued: summary.queued,
  updatedAt: at,
});

export function tableVoiceUserStore(voiceUsers: Table): VoiceUserStore {
  return {
    async read(accountId) {
      await voiceUsers.ready();
      const users: StoredVoiceUser[] = [];
      let state: TableEntityResult<Record<string, unknown>> | undefined;
      const rows = voiceUsers.client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${accountId}` },
      });
      for await (const row of rows) {
        if (row.rowKey === STATE_ROW) state = row;
        else if ((row.rowKey as string).startsWith(USER_PREFIX)) users.push(fromRow(row));
      }
      return {
        version: (state?.version as number | undefined) ?? 0,
        etag: state?.etag ?? null,
        summary: { held: (state?.held as number | undefined) ?? 0, queued: (state?.queued as number | undefined) ?? 0 },
        users,
      };
    },

    async readSome(accountId, ids) {
      await voiceUsers.ready();
      const point = async (rowKey: string) => {
        try {
          return await voiceUsers.client.getEntity<Record<string, unknown>>(accountId, rowKey);
        } catch (err) {
          if (isStatus(err, 404)) return undefined;
          throw err;
        }
      };
      // The state row first: a save that lands after it moves its ETag, so a commit on rows read later cannot lose it.
      const state = await point(STATE_ROW);
      const rows = await Promise.all([...new Set(ids)].map((id) => point(`${USER_PREFIX}${id}`)));
      return {
        version: (state?.version as number | undefined) ?? 0,
        etag: state?.etag ?? null,
        summary: { held: (state?.held as number | undefined) ?? 0, queued: (state?.queued as number | undefined) ?? 0 },
        users: rows.flatMap((r) => (r ? [fromRow(r)] : [])),
      };
    },

    async summary(accountId) {
      await voiceUsers.ready();
      try {
        const s = await voiceUsers.client.getEntity<Record<string, unknown>>(accountId, STATE_ROW);
        return { version: s.version as number, summary: { held: s.held as number, queued: s.queued as number } };
      } catch (err) {
        if (isStatus(err, 404)) return { version: 0, summary: { held: 0, queued: 0 } };
        throw err;
      }
    },

    async commit(accountId, base, upserts, deletions, summary) {
      await voiceUsers.ready();
      const operations: TransactionAction[] = [
        ...upserts.map((u): TransactionAction => ['upsert', toRow(accountId, u), 'Replace']),
        ...deletions.map((id): TransactionAction => ['delete', { partitionKey: accountId, rowKey: `${USER_PREFIX}${id}` }]),
      ];
      let { version, etag } = base;
      for (let i = 0; i === 0 || i < operations.length; i += ROWS_PER_TRANSACTION) {
        // Until the last chunk lands, the summary still describes what is stored: the one read before.
        const last = i + ROWS_PER_TRANSACTION >= operations.length;
        const state = stateRow(accountId, version + 1, last ? summary : base.summary, new Date().toISOString());
        const guard: TransactionAction = etag === null ? ['create', state] : ['update', state, 'Replace', { etag }];
        try {
          const response = await voiceUsers.client.submitTransaction([guard, ...operations.slice(i, i + ROWS_PER_TRANSACTION)]);
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
