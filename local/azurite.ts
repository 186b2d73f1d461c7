/**
 * Azurite (the Azure Storage emulator) from node_modules, started as a child process with its own data folder and
 * ports. 3.35.x is pinned: later versions need Node 22.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './ports';

/** Azurite's fixed development account; public and documented, not a secret. */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  connectionString: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function connectionStringFor(ports: AzuritePorts, host = '127.0.0.1'): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`Azurite did not open port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

interface AzuriteOptions {
  dataDir?: string;
  ports?: Partial<AzuritePorts>;
  inMemory?: boolean;
}

/**
 * Starts Azurite. A free port is picked just before Azurite binds it, so another process (a parallel test's stack)
 * can take it in between: such a start is tried again with new ports (only the ports not given by the caller).
 */
export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function launch(options: AzuriteOptions): Promise<RunningAzurite> {
  const ports: AzuritePorts = {
    blob: options.ports?.blob || (await freePort()),
    queue: options.ports?.queue || (await freePort()),
    table: options.ports?.table || (await freePort()),
  };
  if (!options.inMemory && !options.dataDir) throw new Error('Azurite needs a data folder unless it runs in memory.');
  if (options.dataDir && !options.inMemory) mkdirSync(options.dataDir, { recursive: true });
  const pkgDir = path.dirname(require.resolve('azurite/package.json'));
  const args = [
    path.join(pkgDir, 'dist/src/azurite.js'),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(ports.queue),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(ports.table),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
    '--silent',
    ...(options.inMemory ? ['--inMemoryPersistence'] : ['--location', options.dataDir as string]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Azurite exited (${code}): ${stderr.trim()}`))),
  );
  await Promise.race([
    Promise.all([waitForPort(ports.blob, 20000), waitForPort(ports.queue, 20000), waitForPort(ports.table, 20000)]),
    exited,
  ]);
  exited.catch(() => undefined);
  // A port answered, but it may be another server's: if this Azurite exits at once (EADDRINUSE), say so.
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 150))]);
  return {
    ports,
    connectionString: connectionStringFor(ports),
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
