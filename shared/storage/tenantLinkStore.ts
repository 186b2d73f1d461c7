/**
 * The tenantLinks table: one row per Microsoft tenant (PartitionKey = tenant id, lower case) naming the account it
 * serves and when it was claimed. Every write is ETag-conditional, so claims and releases never undo each other.
 */
import { TenantLinks } from '../activation/ports';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { isStatus, Table } from './tables';

const ROW = 'account';
const lostRace = fail<never>('CONCURRENT_UPDATE', 'The tenant link changed at the same time.');

interface LinkRow {
  accountId: string;
  /** Absent on rows written before claims were dated: the row's own timestamp stands in. */
  claimedAt?: string;
  timestamp?: string;
  etag: string;
}

export function tableTenantLinks(links: Table): TenantLinks {
  const read = async (partitionKey: string): Promise<LinkRow | undefined> => {
    try {
      return await links.client.getEntity<LinkRow>(partitionKey, ROW);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  };

  return {
    async claim(tenantId, accountId, at, abandoned) {
      await links.ready();
      const partitionKey = tenantId.toLowerCase();
      const row = { partitionKey, rowKey: ROW, accountId, claimedAt: at.toISOString() };
      return retryOnConflict(async (): Promise<Result<{ etag: string }>> => {
        const existing = await read(partitionKey);
        try {
          if (!existing) return ok({ etag: (await links.client.createEntity(row)).etag as string });
          const claimedAt = new Date(existing.claimedAt ?? existing.timestamp ?? 0);
          if (existing.accountId !== accountId && !(await abandoned({ accountId: existing.accountId, claimedAt }))) {
            return fail('TENANT_ALREADY_LINKED', 'This Microsoft tenant is already linked to another account of the provider.');
          }
          // Rewritten even when the account holds it already: the claim is fresh, and an older claim's release misses.
          return ok({ etag: (await links.client.updateEntity(row, 'Replace', { etag: existing.etag })).etag as string });
        } catch (err) {
          if (isStatus(err, 409, 412, 404)) return lostRace;
          throw err;
        }
      }, 'The tenant link was being changed at the same time; please try again.');
    },

    async release(tenantId, accountId, claim) {
      await links.ready();
      const partitionKey = tenantId.toLowerCase();
      const released = await retryOnConflict(async (): Promise<Result<void>> => {
        const existing = await read(partitionKey);
        if (!existing || existing.accountId !== accountId) return ok(undefined);
        if (claim && existing.etag !== claim.etag) return ok(undefined);
        try {
          await links.client.deleteEntity(partitionKey, ROW, { etag: existing.etag });
          return ok(undefined);
        } catch (err) {
          if (isStatus(err, 404)) return ok(undefined);
          if (isStatus(err, 412)) return lostRace;
          throw err;
        }
      });
      if (!released.ok) throw new Error('The tenant link kept changing while it was being released.');
    },
  };
}
