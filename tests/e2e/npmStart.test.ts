/**
 * What `npm start` does, end to end: Azurite, the simulator and the local host come up, /api/health answers with
 * storage up, the demo account's integration page it prints opens, and SIGINT (Ctrl-C) stops every child process.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
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
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('npm start answers /api/health within 30 s and Ctrl-C leaves nothing behind', async () => {
  const ports = { http: await freePort(), blob: await freePort(), queue: await freePort(), table: await freePort() };
  const started = Date.now();
  child = spawn(process.execPath, [path.join(repoRoot, 'dist/local/bin/start.js')], {
    cwd: repoRoot,
    env: {
      ...process.env,
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

  for (let i = 0; i < 100 && !output.includes('Press Ctrl-C to stop'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(output).toContain(`http://127.0.0.1:${ports.http}/api/health`);
  expect(output).toContain('x-functions-key');
  // Where to go: the demo account's integration page, ready to authorize.
  const demoPage = new RegExp(`(http://127\\.0\\.0\\.1:${ports.http}/api/integration\\?link=\\S+)`).exec(output)?.[1];
  expect(demoPage).toBeDefined();
  const page = await fetch(demoPage as string);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Microsoft Teams integration for Contoso Demo');

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const port of [ports.http, ports.blob, ports.queue, ports.table]) expect(await portOpen(port)).toBe(false);
}, 60_000);
