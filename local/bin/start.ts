/**
 * `npm start`: the whole app locally on its embedded defaults — Azurite, the Microsoft cloud simulator with the
 * seeded demo tenant, and the local Functions host running the built app — then prints where to go.
 * Ctrl-C stops every child process.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../azurite';
import { preferredPort } from '../ports';
import { ensureLocalCa } from '../simulator/ca';
import { startSimulator } from '../simulator';

const repoRoot = path.resolve(__dirname, '../../..');
const dataDir = path.join(repoRoot, '.local-data');

function localSettings(): Record<string, string> {
  for (const file of ['local.settings.json', 'local.settings.sample.json']) {
    const full = path.join(repoRoot, file);
    if (existsSync(full)) return (JSON.parse(readFileSync(full, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  }
  return {};
}

async function main(): Promise<void> {
  const started = Date.now();
  const settings = localSettings();
  const ca = ensureLocalCa(path.join(dataDir, 'ca'));
  const azurite = await startAzurite({
    dataDir: path.join(dataDir, 'azurite'),
    ports: {
      blob: await preferredPort(Number(process.env.AZURITE_BLOB_PORT ?? 10000)),
      queue: await preferredPort(Number(process.env.AZURITE_QUEUE_PORT ?? 10001)),
      table: await preferredPort(Number(process.env.AZURITE_TABLE_PORT ?? 10002)),
    },
  });
  const simulator = await startSimulator({ caDir: path.join(dataDir, 'ca') });
  const port = Number(process.env.FUNCTIONS_HTTP_PORT ?? 7071);
  const functionKey = settings.LOCAL_FUNCTION_KEY ?? 'local-function-key';
  const masterKey = settings.LOCAL_MASTER_KEY ?? 'local-master-key';

  const host: ChildProcess = fork(path.join(__dirname, 'host.js'), [], {
    env: {
      ...process.env,
      ...settings,
      ...simulator.appSettings(),
      AzureWebJobsStorage: azurite.connectionString,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      FUNCTIONS_HTTP_PORT: String(port),
      LOCAL_FUNCTION_KEY: functionKey,
      LOCAL_MASTER_KEY: masterKey,
      NODE_EXTRA_CA_CERTS: ca.caCertPath,
    },
    stdio: 'inherit',
  });

  let stopping = false;
  const stop = async (code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    if (host.exitCode === null && host.signalCode === null) {
      await new Promise<void>((resolve) => {
        host.once('exit', () => resolve());
        host.kill('SIGTERM');
        setTimeout(() => host.kill('SIGKILL'), 5000).unref();
      });
    }
    await Promise.all([azurite.stop(), simulator.stop()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  host.once('exit', (code) => void stop(code ?? 1));

  await new Promise<void>((resolve) => host.once('message', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  console.log(
    [
      '',
      `Teams Voice Sync is running locally (ready in ${((Date.now() - started) / 1000).toFixed(1)} s).`,
      '',
      `  Health           ${base}/api/health`,
      `  API              ${base}/api/…   (header x-functions-key: ${functionKey})`,
      `  Admin API        ${base}/admin/functions   (master key: ${masterKey})`,
      `  Azurite          ${azurite.connectionString
        .split(';')
        .filter((p) => p.includes('Endpoint'))
        .join('  ')}`,
      ...Object.entries(simulator.urls).map(([name, url]) => `  Simulator ${name.padEnd(7)}${url}`),
      `  Local CA         ${ca.caCertPath}`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
