/** Table clients from the storage connection string, each table created once per process on first use. */
import { PipelinePolicy } from '@azure/core-rest-pipeline';
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

/** Requests sent per table since the process started (or the last clear), and their time: benchmarks report them. */
export const tableRequestCounts = new Map<string, { requests: number; transactions: number; ms: number }>();

function countingPolicy(name: string): PipelinePolicy {
  return {
    name: 'countTableRequests',
    async sendRequest(request, next) {
      const started = performance.now();
      try {
        return await next(request);
      } finally {
        const counts = tableRequestCounts.get(name) ?? { requests: 0, transactions: 0, ms: 0 };
        counts.requests++;
        if (/\/\$batch(\?|$)/.test(request.url)) counts.transactions++;
        counts.ms += performance.now() - started;
        tableRequestCounts.set(name, counts);
      }
    },
  };
}

export function table(connectionString: string, name: string): Table {
  const client = TableClient.fromConnectionString(connectionString, name, {
    allowInsecureConnection: isInsecure(connectionString),
    additionalPolicies: [{ policy: countingPolicy(name), position: 'perCall' }],
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
