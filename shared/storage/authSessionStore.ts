/**
 * The authSessions table: one row per OAuth round trip in progress (PartitionKey = the random state). The PKCE
 * verifier and nonce are sealed, each bound to its row and field (a sealed value copied elsewhere does not open); a session is consumed with an ETag-conditional write, so two callbacks racing
 * with the same state cannot both win.
 */
import { AuthSession, AuthSessionStore } from '../activation/ports';
import { fail, ok } from '../domain/errors';
import { Sealer } from '../security/sealer';
import { SYNC_TRIGGERS, SyncTrigger } from '../domain/syncRun';
import { isStatus, Table } from './tables';
import { odata } from '@azure/data-tables';

const ROW = 'session';
/** A used single-use link shares the table (and its hourly purge) under its own key, which no state can match. */
const USED_LINK_ROW = 'usedLink';
const usedLinkKey = (linkId: string): string => `link:${linkId}`;
/** Where a sealed value lives: it opens only there. */
const sealedAt = (state: string, field: 'verifier' | 'nonce'): string => `authSessions/${state}/${field}`;

export function tableAuthSessionStore(sessions: Table, sealer: Sealer): AuthSessionStore {
  return {
    async create(s) {
      await sessions.ready();
      await sessions.client.createEntity({
        partitionKey: s.state,
        rowKey: ROW,
        purpose: s.purpose,
        accountId: s.accountId,
        globalAdminId: s.globalAdminId,
        browserBinding: s.browserBinding,
        sealedVerifier: s.codeVerifier ? await sealer.seal(s.codeVerifier, sealedAt(s.state, 'verifier')) : '',
        sealedNonce: s.nonce ? await sealer.seal(s.nonce, sealedAt(s.state, 'nonce')) : '',
        trigger: s.trigger ?? '',
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
        used: false,
      });
    },

    async consume(state, { purpose, browserBinding, now }) {
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(state)) return fail('STATE_UNKNOWN', 'This sign-in request is unknown to us.');
      await sessions.ready();
      let row;
      try {
        row = await sessions.client.getEntity<Record<string, unknown>>(state, ROW);
      } catch (err) {
        if (isStatus(err, 404)) return fail('STATE_UNKNOWN', 'This sign-in request is unknown to us.');
        throw err;
      }
      if (row.used === true) return fail('STATE_ALREADY_USED', 'This sign-in request was already completed once.');
      // Checked before the session is used up: a state seen by someone else cannot spoil the real user's flow.
      if (row.purpose !== purpose) return fail('STATE_WRONG_PURPOSE', 'This answer from Microsoft belongs to another step.');
      if (browserBinding === null || row.browserBinding !== browserBinding) {
        return fail('STATE_OTHER_BROWSER', 'This sign-in was started in another browser (or its cookies were cleared).');
      }
      try {
        await sessions.client.updateEntity({ partitionKey: state, rowKey: ROW, used: true, usedAt: now.toISOString() }, 'Merge', {
          etag: row.etag,
        });
      } catch (err) {
        if (isStatus(err, 412, 404)) return fail('STATE_ALREADY_USED', 'This sign-in request was already completed once.');
        throw err;
      }
      if (new Date(row.expiresAt as string).getTime() <= now.getTime()) {
        return fail('STATE_EXPIRED', 'This sign-in request took too long and has expired.');
      }
      const open = async (v: unknown, field: 'verifier' | 'nonce'): Promise<string | undefined> =>
        typeof v === 'string' && v ? sealer.open(v, sealedAt(state, field)) : undefined;
      return ok({
        state,
        purpose: row.purpose as AuthSession['purpose'],
        accountId: row.accountId as string,
        globalAdminId: row.globalAdminId as string,
        browserBinding: row.browserBinding as string,
        codeVerifier: await open(row.sealedVerifier, 'verifier'),
        nonce: await open(row.sealedNonce, 'nonce'),
        ...(typeof row.trigger === 'string' && SYNC_TRIGGERS.includes(row.trigger as SyncTrigger)
          ? { trigger: row.trigger as SyncTrigger }
          : {}),
        createdAt: row.createdAt as string,
        expiresAt: row.expiresAt as string,
      });
    },

    async useLink(linkId, expiresAt, now) {
      await sessions.ready();
      try {
        await sessions.client.createEntity({
          partitionKey: usedLinkKey(linkId),
          rowKey: USED_LINK_ROW,
          usedAt: now.toISOString(),
          expiresAt: expiresAt.toISOString(),
        });
      } catch (err) {
        if (isStatus(err, 409)) return fail('LINK_ALREADY_USED', 'This link was already used once.');
        throw err;
      }
      return ok(undefined);
    },

    async purgeExpired(before) {
      await sessions.ready();
      let purged = 0;
      const expired = sessions.client.listEntities({
        queryOptions: { filter: odata`expiresAt lt ${before.toISOString()}`, select: ['PartitionKey', 'RowKey'] },
      });
      for await (const row of expired) {
        await sessions.client.deleteEntity(row.partitionKey as string, row.rowKey as string).catch((err: unknown) => {
          if (!isStatus(err, 404)) throw err;
        });
        purged++;
      }
      return purged;
    },
  };
}
