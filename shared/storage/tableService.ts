/** Table Storage access from the storage connection string (Azurite locally, a Storage account in Azure). */
import { TableServiceClient } from '@azure/data-tables';
import { DependencyProbe } from '../health/checkHealth';
import { isInsecure } from './tables';

export function tableServiceClient(connectionString: string): TableServiceClient {
  return TableServiceClient.fromConnectionString(connectionString, {
    allowInsecureConnection: isInsecure(connectionString),
    retryOptions: { maxRetries: 1 },
  });
}

export function tableStorageProbe(client: TableServiceClient): DependencyProbe {
  return {
    name: 'tableStorage',
    ping: async () => {
      await client.getProperties();
    },
  };
}
