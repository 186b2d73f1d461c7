/**
 * The app with its Functions host in a child process, as `npm start` runs it (dist/local/bin/host.js), so a test can
 * kill the host with SIGKILL and start it again: Azurite (its own process) and the simulator (this process) outlive
 * it. The helpers of tests/support/sync.ts drive it through the same surface as the in-process stack; "idle" here
 * means no orchestration Pending or Running, as the host's Durable endpoint lists them.
 */
import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { RunningAzurite, startAzurite } from '../../local/azurite';
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, registerLocalApp } from '../../local/appRegistration';
import { freePort } from '../../local/ports';
import { ensureLocalCa } from '../../local/simulator/ca';
import { RunningSimulator, startSimulator } from '../../local/simulator';
import { apiCaller, FUNCTION_KEY, MASTER_KEY, REPO_ROOT, Stack, stackSettings } from '../../local/stack';

export interface ForkedStack {
  url: string;
  simulator: RunningSimulator;
  azurite: RunningAzurite;
  /** What tests/support/sync.ts needs of a stack (its `host.durable` only waits until no orchestration runs). */
  asStack(): Stack;
  /** Kills the host process at once (SIGKILL): no write in flight is finished. */
  kill(): Promise<void>;
  /** Starts the host again on the same storage and port; resolves once it listens. */
  start(): Promise<void>;
  /** The host's last lines of output (for a failure's message). */
  output(): string;
  /** How many times a starting host resumed unfinished orchestrations from the task hub (its log says so). */
  resumes(): number;
  stop(): Promise<void>;
}

export async function startForkedStack(): Promise<ForkedStack> {
  const azurite = await startAzurite({ inMemory: true });
  const caDir = path.join(REPO_ROOT, '.local-data', 'ca');
  const simulator = await startSimulator({ caDir });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  registerLocalApp(simulator, { clientId: LOCAL_CLIENT_ID, clientSecret: LOCAL_CLIENT_SECRET, publicBaseUrl: url });
  const env = {
    ...process.env,
    ...stackSettings(simulator, azurite.connectionString, url),
    FUNCTIONS_HTTP_PORT: String(port),
    LOCAL_FUNCTION_KEY: FUNCTION_KEY,
    LOCAL_MASTER_KEY: MASTER_KEY,
    NODE_EXTRA_CA_CERTS: ensureLocalCa(caDir).caCertPath,
  };
  let child: ChildProcess | undefined;
  const lines: string[] = [];
  let resumes = 0;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    resumes += text.match(/Resumed \d+ unfinished orchestration/g)?.length ?? 0;
    lines.push(...text.split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 200));
    if (process.env.STACK_LOG) process.stdout.write(chunk);
  };

  const start = async (): Promise<void> => {
    const host = fork(path.join(REPO_ROOT, 'dist/local/bin/host.js'), [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child = host;
    host.stdout?.on('data', keep);
    host.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      host.once('message', () => resolve());
      host.once('exit', (code, signal) =>
        reject(new Error(`the host exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}`)),
      );
    });
  };
  const kill = async (): Promise<void> => {
    const host = child;
    if (!host || host.exitCode !== null || host.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      host.once('exit', () => resolve());
      host.kill('SIGKILL');
    });
  };
  await start().catch(async (err: unknown) => {
    await Promise.all([simulator.stop(), azurite.stop()]);
    throw err;
  });

  const call = apiCaller(url);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const whenIdle = async (): Promise<void> => {
    for (;;) {
      const res = await fetch(`${url}/runtime/webhooks/durabletask/instances?runtimeStatus=Pending,Running`, {
        headers: { 'x-functions-key': MASTER_KEY },
      });
      if (res.ok && ((await res.json()) as unknown[]).length === 0) return;
      await sleep(100);
    }
  };
  let mails = 0;
  /** The queue-triggered path sends at once; the deliverOutbox timer, run through the admin API, sweeps the rest. */
  const deliverEmails = async (): Promise<void> => {
    for (const t0 = Date.now(); Date.now() - t0 < 15_000; await sleep(200)) {
      if (simulator.control.mailbox().length > mails) break;
      await fetch(`${url}/admin/functions/deliverOutbox`, { method: 'POST', headers: { 'x-functions-key': MASTER_KEY }, body: '{}' });
    }
    mails = simulator.control.mailbox().length;
  };

  const stack = { url, simulator, azurite, call, deliverEmails, host: { durable: { whenIdle } } };
  return {
    url,
    simulator,
    azurite,
    asStack: () => stack as unknown as Stack,
    kill,
    start,
    output: () => lines.join('\n'),
    resumes: () => resumes,
    stop: async () => {
      await kill();
      await Promise.all([simulator.stop(), azurite.stop()]);
    },
  };
}
