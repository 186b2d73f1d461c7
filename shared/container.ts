/**
 * Composition root: reads the settings once (failing fast when they are wrong) and wires adapters to use cases.
 * Triggers ask the container for what they need and never build SDK clients themselves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Config, loadConfig } from './config';
import { checkHealth, HealthReport } from './health/checkHealth';
import { tableServiceClient, tableStorageProbe } from './storage/tableService';

function appVersion(): string {
  // package.json sits at the app root, two levels above this file in both the sources and dist/.
  for (const candidate of [path.resolve(__dirname, '../package.json'), path.resolve(__dirname, '../../package.json')]) {
    try {
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export interface Container {
  config: Config;
  version: string;
  health(): Promise<HealthReport>;
}

export function createContainer(config: Config = loadConfig()): Container {
  const tables = tableServiceClient(config.AzureWebJobsStorage);
  const version = appVersion();
  return {
    config,
    version,
    health: () => checkHealth(version, [tableStorageProbe(tables)]),
  };
}

let instance: Container | undefined;

/** The process-wide container, created on first use. */
export function container(): Container {
  instance ??= createContainer();
  return instance;
}
