/**
 * What `npm start` does, end to end: Azurite, the simulator and the local host come up, /api/health answers with
 * storage up, the demo account's integration page it prints opens, and SIGINT (Ctrl-C) stops every child process.
 * Each run gets a throw-away data folder (LOCAL_DATA_DIR), so the developer's own .local-data is never touched.
 */
import { TableClient } from '@azure/data-tables';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectionStringFor } from '../../local/azurite';
import { freePort } from '../../local/ports';

const repoRoot = path.resolve(__dirname, '../..');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
  });
}

let child: ChildProcess | undefined;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tvs-npm-start-'));
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

type Ports = { http: number; blob: number; queue: number; table: number };

/** Runs `npm start`'s script until it has printed where to go; answers its output so far. */
async function npmStart(ports: Ports, args: string[] = []): Promise<{ output: () => string }> {
  child = spawn(process.execPath, [path.join(repoRoot, 'dist/local/bin/start.js'), ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
      FUNCTIONS_HTTP_PORT: String(ports.http),
      AZURITE_BLOB_PORT: String(ports.blob),
      AZURITE_QUEUE_PORT: String(ports.queue),
      AZURITE_TABLE_PORT: String(ports.table),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; i < 300 && !output.includes('Press Ctrl-C to stop'); i++) await new Promise((r) => setTimeout(r, 100));
  // On failure, the output says why.
  expect(output.slice(-3000)).toContain('Press Ctrl-C to stop');
  return { output: () => output };
}

async function stop(ports: Ports): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child!.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const port of [ports.http, ports.blob, ports.queue, ports.table]) expect(await portOpen(port)).toBe(false);
}

test('npm start answers /api/health within 30 s and Ctrl-C leaves nothing behind', async () => {
  const ports = { http: await freePort(), blob: await freePort(), queue: await freePort(), table: await freePort() };
  const started = Date.now();
  const run = await npmStart(ports);

  let health: Response | undefined;
  while (Date.now() - started < 30_000) {
    try {
      health = await fetch(`http://127.0.0.1:${ports.http}/api/health`);
      if (health.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (Date.now() - started) / 1000;
  expect(health?.status).toBe(200);
  const report = (await health!.json()) as { status: string; version: string; checks: Record<string, { status: string }> };
  expect(report.status).toBe('healthy');
  expect(report.version).toBe(require('../../package.json').version);
  expect(report.checks.tableStorage.status).toBe('up');
  expect(health!.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  console.log(`npm start: healthy after ${seconds.toFixed(1)} s`);

  const output = run.output();
  expect(output).toContain(`http://127.0.0.1:${ports.http}/api/health`);
  expect(output).toContain('x-functions-key');
  // Which simulated tenants exist, and who can sign in as their Global Administrator.
  expect(output).toMatch(/Contoso Demo\s+contoso-demo\.onmicrosoft\.com\s+3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51\s+megan\.bowen@/);
  expect(output).toContain('Fabrikam');
  // Where to go: the demo account's integration page, ready to authorize.
  const demoPage = new RegExp(`(http://127\\.0\\.0\\.1:${ports.http}/api/integration\\?link=\\S+)`).exec(output)?.[1];
  expect(demoPage).toBeDefined();
  const page = await fetch(demoPage as string);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Microsoft Teams integration for Contoso Demo');
  await stop(ports);
}, 60_000);

test('when the demo tenant serves another account, the next npm start puts the demo on a free tenant; --reset starts afresh', async () => {
  const ports = { http: await freePort(), blob: await freePort(), queue: await freePort(), table: await freePort() };
  // What a developer's own activation with the demo tenant leaves behind (the first test's storage is kept).
  await npmStart(ports);
  const links = TableClient.fromConnectionString(connectionStringFor(ports), 'tenantLinks', { allowInsecureConnection: true });
  await links.createTable().catch(() => undefined);
  await links.upsertEntity({ partitionKey: '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51', rowKey: 'account', accountId: 'acme-own' });
  await stop(ports);

  const moved = await npmStart(ports);
  const link = new RegExp(`(http://127\\.0\\.0\\.1:${ports.http}/api/integration\\?link=\\S+)`).exec(moved.output())?.[1];
  expect(moved.output()).toContain('the demo account "Fabrikam"');
  const page = await (await fetch(link as string)).text();
  expect(page).toContain('Microsoft Teams integration for Fabrikam');
  await stop(ports);

  const fresh = await npmStart(ports, ['--reset']);
  expect(fresh.output()).toContain('the demo account "Contoso Demo" (invited)');
  await stop(ports);
}, 120_000);
