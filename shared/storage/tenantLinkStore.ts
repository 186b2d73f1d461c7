/** The tenantLinks table: one row per Microsoft tenant (PartitionKey = tenant id) naming the account it serves. */
import { TenantLinks } from '../activation/ports';
import { fail, ok } from '../domain/errors';
import { isStatus, Table } from './tables';

const ROW = 'account';

export function tableTenantLinks(links: Table): TenantLinks {
  return {
    async claim(tenantId, accountId) {
      await links.ready();
      const partitionKey = tenantId.toLowerCase();
      try {
        await links.client.createEntity({ partitionKey, rowKey: ROW, accountId });
        return ok(undefined);
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
      }
      const existing = await links.client.getEntity<{ accountId: string }>(partitionKey, ROW);
      return existing.accountId === accountId
        ? ok(undefined)
        : fail('TENANT_ALREADY_LINKED', 'This Microsoft tenant is already linked to another account of the provider.');
    },
  };
}
