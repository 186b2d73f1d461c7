/** Table Storage access from the storage connection string (Azurite locally, a Storage account in Azure). */
import { TableServiceClient } from '@azure/data-tables';
import { DependencyProbe } from '../health/checkHealth';

export function tableServiceClient(connectionString: string): TableServiceClient {
  // Azurite is served over http; the SDK refuses plain http unless told otherwise.
  const insecure = /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true|TableEndpoint=http:/i.test(connectionString);
  return TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: insecure, retryOptions: { maxRetries: 1 } });
}

export function tableStorageProbe(client: TableServiceClient): DependencyProbe {
  return {
    name: 'tableStorage',
    ping: async () => {
      await client.getProperties();
    },
  };
}
