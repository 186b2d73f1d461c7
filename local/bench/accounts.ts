/**
 * Benchmark of the accounts API and the email outbox (a script, not a test). Run with `npm run bench:accounts`.
 *
 * 1. Starts the in-process stack (local/stack.ts: Azurite, the Microsoft simulator, the local Functions host running the
 *    built app) and calls the API through real HTTP: PUT /api/accounts/{id} (one create, then updates, per account;
 *    every other update sends If-Match) and GET /api/accounts/{id} (as provider and as an admin of the account), once
 *    sequentially and once with several callers at a time. Prints p50/p95/p99/max latency (ms) and requests per second.
 * 2. Delivers the emails the API phase queued (not timed), then creates more accounts (two emails each) and runs the
 *    deliverOutbox timer until the simulator's mailbox has them all, with the sending rate raised so that only delivery
 *    speed counts. Prints emails per second and checks the mailbox and the outbox rows.
 *
 * Options: --accounts 100 --puts 1000 --gets 1000 --concurrency 8 --email-accounts 200.
 *
 * The app's SDK clients must trust the simulator's HTTPS, and Node reads NODE_EXTRA_CA_CERTS only at process start: when
 * it does not point at the local CA, this script makes sure the CA exists and runs itself again with the variable set
 * (as local/bin/test.ts does for jest).
 */
import { ensureTrustedCa } from './trustedCa';
import { TableClient } from '@azure/data-tables';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isInsecure } from '../../shared/storage/tables';
import { Actor, PROVIDER, Stack, startStack } from '../stack';

interface Options {
  accounts: number;
  puts: number;
  gets: number;
  concurrency: number;
  emailAccounts: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '100' },
      puts: { type: 'string', default: '1000' },
      gets: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '8' },
      'email-accounts': { type: 'string', default: '200' },
    },
  });
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min} (got ${value}).`);
    return n;
  };
  const options = {
    accounts: int('accounts', values.accounts, 1),
    puts: int('puts', values.puts, 1),
    gets: int('gets', values.gets, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    emailAccounts: int('email-accounts', values['email-accounts'], 1),
  };
  if (options.concurrency > options.accounts)
    throw new Error('--concurrency must not exceed --accounts (one caller per account at a time).');
  return options;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface PhaseResult {
  label: string;
  latencies: number[];
  seconds: number;
}

function printHeader(): void {
  console.log(
    `${'phase'.padEnd(22)}${'n'.padStart(6)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'req/s'.padStart(8)}`,
  );
}

function printPhase(r: PhaseResult): void {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const ms = (v: number): string => v.toFixed(1).padStart(8);
  console.log(
    `${r.label.padEnd(22)}${String(sorted.length).padStart(6)}${ms(percentile(sorted, 50))}${ms(percentile(sorted, 95))}` +
      `${ms(percentile(sorted, 99))}${ms(sorted[sorted.length - 1])}${(sorted.length / r.seconds).toFixed(0).padStart(8)}`,
  );
}

/** What the bench knows of an account, to build valid updates and to predict the emails they queue. */
interface Tracked {
  id: string;
  index: number;
  version: number;
  licenseCount: number;
  puts: number;
}

const accountBody = (a: Tracked, revision: number) => ({
  name: `Bench Account ${a.index} (revision ${revision})`,
  // Every third update changes the licence count, which queues one email.
  licenseCount: 10 + Math.floor(revision / 3),
  globalAdmin: { portalUserId: `bench-ga-${a.index}`, displayName: `Bench Admin ${a.index}`, email: `ga-${a.id}@bench.example` },
  settings: { policyPrefix: revision % 2 === 0 ? 'BenchVoice' : 'BenchVoiceB', numberType: 'directRouting' as const },
});

/** Calls `job(k)` for k in [0, n) with `concurrency` callers; `job` must be safe to run that many at a time. */
async function timed(label: string, n: number, concurrency: number, job: (k: number) => Promise<void>): Promise<PhaseResult> {
  const latencies: number[] = new Array(n);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let k = worker; k < n; k += concurrency) {
        const start = performance.now();
        await job(k);
        latencies[k] = performance.now() - start;
      }
    }),
  );
  return { label, latencies, seconds: (performance.now() - t0) / 1000 };
}

async function expectStatus(res: Response, allowed: number[], what: string): Promise<string> {
  const text = await res.text();
  if (!allowed.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** PUT phase: `puts` requests over `accounts` accounts; caller w only touches accounts with index ≡ w (mod concurrency). */
async function putPhase(
  stack: Stack,
  label: string,
  prefix: string,
  o: Options,
  concurrency: number,
): Promise<[PhaseResult, Tracked[], number]> {
  const accounts: Tracked[] = Array.from({ length: o.accounts }, (_, i) => ({
    id: `${prefix}-${pad(i, 4)}`,
    index: i,
    version: 0,
    licenseCount: -1,
    puts: 0,
  }));
  let emails = 0;
  // Request k goes to account k mod accounts, handled by caller (account mod concurrency): a caller works through its
  // accounts in order and no two callers ever hold the same account, so every If-Match is current.
  const byCaller = Array.from({ length: concurrency }, () => [] as number[]);
  for (let k = 0; k < o.puts; k++) byCaller[(k % o.accounts) % concurrency].push(k % o.accounts);
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    byCaller.map(async (list) => {
      for (const index of list) {
        const a = accounts[index];
        const body = accountBody(a, a.puts);
        const headers: Record<string, string> = a.version > 0 && a.puts % 2 === 0 ? { 'if-match': `"${a.version}"` } : {};
        const start = performance.now();
        const res = await stack.call('PUT', `accounts/${a.id}`, { body, headers });
        await expectStatus(res, a.version === 0 ? [201] : [200], `PUT accounts/${a.id}`);
        latencies.push(performance.now() - start);
        emails += a.version === 0 ? 2 : body.licenseCount !== a.licenseCount ? 1 : 0;
        a.version = Number(/"(\d+)"/.exec(res.headers.get('etag') ?? '')?.[1]);
        a.licenseCount = body.licenseCount;
        a.puts++;
      }
    }),
  );
  return [{ label, latencies, seconds: (performance.now() - t0) / 1000 }, accounts, emails];
}

async function getPhase(stack: Stack, label: string, accounts: Tracked[], o: Options, concurrency: number): Promise<PhaseResult> {
  return timed(label, o.gets, concurrency, async (k) => {
    // Callers start at different accounts; half the reads come from an admin of the account, half from the provider.
    const a = accounts[(k * 7) % accounts.length];
    const actor: Actor = k % 2 === 0 ? PROVIDER : { id: `bench-admin-${a.index}`, role: 'admin', account: a.id };
    const res = await stack.call('GET', `accounts/${a.id}`, { actor });
    const body = JSON.parse(await expectStatus(res, [200], `GET accounts/${a.id}`)) as { accountId: string };
    if (body.accountId !== a.id) throw new Error(`GET accounts/${a.id} answered account ${body.accountId}`);
  });
}

async function deliverAll(stack: Stack, target: number): Promise<{ runs: number; seconds: number; delivered: number }> {
  const mailbox = (): number => stack.simulator.control.mailbox().length;
  const before = mailbox();
  let runs = 0;
  const t0 = performance.now();
  while (mailbox() < target) {
    const previous = mailbox();
    await stack.host.runTimer('deliverOutbox');
    runs++;
    if (mailbox() === previous) break; // no progress: report what arrived instead of looping
  }
  return { runs, seconds: (performance.now() - t0) / 1000, delivered: mailbox() - before };
}

async function outboxStatuses(connectionString: string): Promise<Record<string, number>> {
  const client = TableClient.fromConnectionString(connectionString, 'accounts', { allowInsecureConnection: isInsecure(connectionString) });
  const counts: Record<string, number> = {};
  for await (const row of client.listEntities<{ status: string }>({ queryOptions: { filter: "kind eq 'outbox'", select: ['status'] } })) {
    counts[row.status] = (counts[row.status] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  ensureTrustedCa(__filename);
  const o = readOptions();
  const cpus = os.cpus();
  console.log(`Accounts API and outbox benchmark — Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}`);
  const startedAt = performance.now();
  // Queue triggers off: this measures the deliverOutbox timer's sweep, not the per-change fast path.
  const stack = await startStack({
    env: { EMAIL_RATE_PER_MINUTE: '1000000', EMAIL_RATE_PER_HOUR: '1000000' },
    queueTriggers: false,
  });
  console.log(
    `Stack (Azurite in memory, simulator, local host) started in ${((performance.now() - startedAt) / 1000).toFixed(1)} s at ${stack.url}`,
  );
  try {
    const creates = Math.min(o.accounts, o.puts);
    console.log(
      `\nAccounts API over HTTP: ${o.puts} PUT (${creates} creates, ${o.puts - creates} updates, on ${o.accounts} accounts) and ` +
        `${o.gets} GET per pass; latency in ms`,
    );
    printHeader();
    const [putSeq, seqAccounts, seqEmails] = await putPhase(stack, 'PUT  sequential', 'bench-seq', o, 1);
    printPhase(putSeq);
    const [putPar, parAccounts, parEmails] = await putPhase(stack, `PUT  ${o.concurrency} concurrent`, 'bench-par', o, o.concurrency);
    printPhase(putPar);
    printPhase(await getPhase(stack, 'GET  sequential', seqAccounts, o, 1));
    printPhase(await getPhase(stack, `GET  ${o.concurrency} concurrent`, parAccounts, o, o.concurrency));

    // Outbox: first send what the API phase queued, so that the timed part starts from an empty outbox.
    const queued = seqEmails + parEmails;
    const drained = await deliverAll(stack, queued);
    console.log(
      `\nOutbox: the API phase queued ${queued} emails; delivered ${drained.delivered} in ${drained.seconds.toFixed(1)} s ` +
        `(${drained.runs} deliverOutbox run(s)); mailbox ${stack.simulator.control.mailbox().length}/${queued}`,
    );

    const emailAccounts: Tracked[] = Array.from({ length: o.emailAccounts }, (_, i) => ({
      id: `bench-mail-${pad(i, 4)}`,
      index: i,
      version: 0,
      licenseCount: -1,
      puts: 0,
    }));
    const t0 = performance.now();
    await timed('enqueue', emailAccounts.length, o.concurrency, async (k) => {
      const res = await stack.call('PUT', `accounts/${emailAccounts[k].id}`, { body: accountBody(emailAccounts[k], 0) });
      await expectStatus(res, [201], `PUT accounts/${emailAccounts[k].id}`);
    });
    const expected = 2 * o.emailAccounts;
    console.log(
      `Outbox: ${o.emailAccounts} accounts created → ${expected} emails queued in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const target = queued + expected;
    const run = await deliverAll(stack, target);
    const mailbox = stack.simulator.control.mailbox();
    const operationIds = new Set(mailbox.map((m) => m.operationId)).size;
    const statuses = await outboxStatuses(stack.azurite.connectionString);
    console.log(
      `Outbox: delivered ${run.delivered} emails in ${run.seconds.toFixed(2)} s over ${run.runs} deliverOutbox run(s) → ` +
        `${(run.delivered / run.seconds).toFixed(1)} emails/s`,
    );
    const ok = mailbox.length === target && operationIds === target && statuses.Sent === target && Object.keys(statuses).length === 1;
    console.log(
      `Check: mailbox ${mailbox.length}/${target}, distinct operation ids ${operationIds}, outbox rows ` +
        `${Object.entries(statuses)
          .map(([status, n]) => `${status} ${n}`)
          .join(', ')} → ${ok ? 'OK' : 'MISMATCH'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:accounts failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
