/** Table clients from the storage connection string, each table created once per process on first use. */
import { RestError, TableClient } from '@azure/data-tables';

/** Azurite is served over http; the SDK refuses plain http unless told otherwise. */
export function isInsecure(connectionString: string): boolean {
  return /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true|TableEndpoint=http:/i.test(connectionString);
}

export interface Table {
  client: TableClient;
  /** Resolves once the table exists. */
  ready(): Promise<void>;
}

export function table(connectionString: string, name: string): Table {
  const client = TableClient.fromConnectionString(connectionString, name, {
    allowInsecureConnection: isInsecure(connectionString),
  });
  let creating: Promise<void> | undefined;
  return {
    client,
    ready: () =>
      (creating ??= client.createTable().catch((err: unknown) => {
        creating = undefined;
        if (!(err instanceof RestError && err.statusCode === 409)) throw err;
      })),
  };
}

export const isStatus = (err: unknown, ...codes: number[]): boolean => err instanceof RestError && codes.includes(err.statusCode ?? 0);
