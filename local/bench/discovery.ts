/**
 * Benchmark of tenant discovery (a script, not a test). Run with `npm run bench:discovery`.
 *
 * Starts the in-process stack (Azurite in memory, the Microsoft simulator, the local Functions host running the built
 * app), adds a generated tenant (default 10,000 users) that has consented to the app, and runs the discoverTenant
 * orchestration in the Durable emulator: a first discovery, then a re-run (every user seen again, nothing changed: it
 * must write no teamsUsers row). For each run it
 * prints the time, the Graph and Entra requests (from the simulator's request log), the Table Storage requests and
 * transactions (counted by a proxy between the app and Azurite, local/bench/tableTraffic.ts), and compares them with the minimum: ceil(users / 999) users
 * pages + 1 subscribedSkus + 1 organization + 1 token, and ceil(users / 100) transactions. Then it times GET teams-users on the result
 * and checks the counts against the simulator's own view of the tenant.
 *
 * Options: --users 10000 --seed 7.
 *
 * The app's SDK clients must trust the simulator's HTTPS and Node reads NODE_EXTRA_CA_CERTS only at process start: when
 * it does not point at the local CA, this script makes sure the CA exists and runs itself again with the variable set.
 */
import os from 'node:os';
import { ensureTrustedCa } from './trustedCa';
import { parseArgs } from 'node:util';
import { OrchestrationClient } from '../../shared/discovery/ports';
import { discoveryInstanceId, startDiscovery } from '../../shared/discovery/startDiscovery';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { LOCAL_CLIENT_ID } from '../appRegistration';
import { DurableEmulator, Instance } from '../durable/emulator';
import { EventType } from '../durable/history';
import { generateTenant } from '../simulator/tenants/generator';
import { Stack, startStack } from '../stack';

function readOptions(): { users: number; seed: number } {
  const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' }, seed: { type: 'string', default: '7' } } });
  const users = Number(values.users);
  const seed = Number(values.seed);
  if (!Number.isInteger(users) || users < 10) throw new Error(`--users must be an integer of at least 10 (got ${values.users}).`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer (got ${values.seed}).`);
  return { users, seed };
}

/** Starts through the emulator directly, as the host's Durable client would. */
function emulatorStarter(durable: DurableEmulator): OrchestrationClient {
  return {
    isRunning: async (id) => ['Pending', 'Running'].includes(durable.instances.get(id)?.status ?? ''),
    start: async (name, id, input) => void durable.startNew(name, input, id),
    terminate: async (id, reason) => void durable.terminate(id, reason),
  };
}

async function finished(stack: Stack, instanceId: string): Promise<Instance> {
  for (;;) {
    await stack.host.durable.whenIdle();
    const instance = stack.host.durable.instances.get(instanceId);
    if (instance && ['Completed', 'Failed', 'Terminated'].includes(instance.status)) return instance;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface RunReport {
  seconds: number;
  instance: Instance;
  graph: Record<string, number>;
  graphTotal: number;
  tokens: number;
  tables: Record<string, { requests: number; transactions: number; ms: number }>;
  /** Write requests (transactions included) to the teamsUsers table. */
  teamsWrites: number;
  graphMs: number;
  activities: number;
  episodes: number;
}

async function runDiscovery(stack: Stack, accountId: string, tenantId: string): Promise<RunReport> {
  const seq = stack.simulator.control.requestLog().at(-1)?.seq ?? 0;
  stack.tableTraffic!.clear();
  const writesBefore = stack.tableTraffic!.writes('teamsUsers');
  const stats = { ...stack.host.durable.stats };
  const t0 = performance.now();
  const started = await startDiscovery(
    {
      orchestrations: emulatorStarter(stack.host.durable),
      discoveries: { get: async () => undefined },
      now: () => new Date(),
      stallMs: 60_000,
    },
    { accountId, tenantId },
  );
  if (started.alreadyRunning) throw new Error('a discovery was already running');
  const instance = await finished(stack, discoveryInstanceId(accountId));
  const seconds = (performance.now() - t0) / 1000;
  const log = stack.simulator.control.requestLog().filter((e) => e.seq > seq);
  const graph: Record<string, number> = {};
  for (const e of log.filter((x) => x.service === 'graph')) {
    const key = `${e.method} ${e.url.split('?')[0]} ${e.status}`;
    graph[key] = (graph[key] ?? 0) + 1;
  }
  return {
    seconds,
    instance,
    graph,
    graphTotal: log.filter((x) => x.service === 'graph').length,
    graphMs: log.filter((x) => x.service === 'graph').reduce((ms, x) => ms + x.durationMs, 0),
    tokens: log.filter((x) => x.service === 'entra' && x.url.includes('/oauth2/v2.0/token')).length,
    tables: Object.fromEntries(stack.tableTraffic!.counts()),
    teamsWrites: stack.tableTraffic!.writes('teamsUsers') - writesBefore,
    activities: stack.host.durable.stats.activities - stats.activities,
    episodes: stack.host.durable.stats.episodes - stats.episodes,
  };
}

/** Seconds spent in each activity (scheduled → completed or failed), summed per activity name, from the history. */
function activityTimes(instance: Instance): Record<string, { calls: number; seconds: number }> {
  const scheduled = new Map<number, { name: string; at: number }>();
  const out: Record<string, { calls: number; seconds: number }> = {};
  for (const e of instance.history) {
    if (e.EventType === EventType.TaskScheduled) scheduled.set(e.EventId, { name: String(e.Name), at: Date.parse(e.Timestamp) });
    if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) {
      const s = scheduled.get(e.TaskScheduledId as number);
      if (!s) continue;
      const entry = (out[s.name] ??= { calls: 0, seconds: 0 });
      entry.calls++;
      entry.seconds += (Date.parse(e.Timestamp) - s.at) / 1000;
    }
  }
  return out;
}

function print(label: string, r: RunReport, users: number): void {
  const minPages = Math.ceil(users / 999);
  const minTransactions = Math.ceil(users / 100);
  const teams = r.tables.teamsUsers ?? { requests: 0, transactions: 0, ms: 0 };
  const accounts = r.tables.accounts ?? { requests: 0, transactions: 0, ms: 0 };
  const pages = Object.entries(r.graph)
    .filter(([k]) => k.startsWith('GET /v1.0/users '))
    .reduce((n, [, v]) => n + v, 0);
  console.log(`\n${label}: ${r.instance.status}, ${JSON.stringify(r.instance.output)}`);
  console.log(`  time                 ${r.seconds.toFixed(2)} s  (${(users / r.seconds).toFixed(0)} users/s)`);
  console.log(
    `  Graph requests       ${r.graphTotal}  (minimum ${minPages + 2}: ${minPages} users pages of 999 + 1 subscribedSkus + 1 organization); ` +
      `${(r.graphMs / 1000).toFixed(2)} s answering (simulator)`,
  );
  for (const [k, v] of Object.entries(r.graph)) console.log(`    ${k.padEnd(34)} ${v}`);
  console.log(`  users pages          ${pages}  (minimum ${minPages})`);
  console.log(`  Entra token requests ${r.tokens}  (minimum 1 per process and tenant; the credential caches the token)`);
  console.log(
    `  teamsUsers table     ${teams.transactions} transactions (minimum ${minTransactions}), ${teams.requests} requests in all; ` +
      `${(teams.ms / 1000).toFixed(2)} s waiting for Azurite`,
  );
  console.log(`  teamsUsers writes    ${r.teamsWrites} write requests (an unchanged tenant needs 0)`);
  console.log(`  accounts table       ${accounts.requests} requests (discovery row and the account); ${(accounts.ms / 1000).toFixed(2)} s`);
  console.log(`  durable              ${r.activities} activities, ${r.episodes} orchestrator episodes`);
  for (const [name, t] of Object.entries(activityTimes(r.instance))) {
    console.log(`    ${name.padEnd(22)} ${String(t.calls).padStart(3)} call(s) ${t.seconds.toFixed(2).padStart(8)} s`);
  }
}

async function main(): Promise<void> {
  ensureTrustedCa(__filename);
  const o = readOptions();
  const cpus = os.cpus();
  console.log(`Discovery benchmark — Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}`);
  const stack = await startStack({ tableTraffic: true });
  try {
    const seed = generateTenant({ users: o.users, seed: o.seed });
    seed.adminConsentedClients = [LOCAL_CLIENT_ID];
    stack.simulator.control.addTenant(seed);
    const accountId = 'bench-discovery';
    const res = await stack.call('PUT', `accounts/${accountId}`, {
      body: {
        name: 'Bench tenant',
        licenseCount: 100,
        globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@bench.example' },
        tenantId: seed.id,
      },
    });
    if (res.status !== 201) throw new Error(`PUT account: HTTP ${res.status} ${await res.text()}`);
    // As activation leaves it: consented, tenant bound.
    const store = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
    const stored = (await store.get(accountId))!;
    const a = stored.account;
    await store.save({ ...a, state: 'consented', tenantBound: true, version: a.version + 1 }, stored.etag, []);
    console.log(`Tenant: ${o.users} users (seed ${o.seed}), ${seed.id}`);

    print('First discovery', await runDiscovery(stack, accountId, seed.id), o.users);
    print('Re-run (all users seen again, nothing changed)', await runDiscovery(stack, accountId, seed.id), o.users);

    const t0 = performance.now();
    const page = (await (await stack.call('GET', `accounts/${accountId}/teams-users?filter=eligible&pageSize=1000`)).json()) as {
      total: number;
      counts: Record<string, number>;
    };
    const getMs = performance.now() - t0;
    const sim = stack.simulator.control.users(seed.id);
    const expected = {
      users: sim.length,
      eligible: sim.filter((u) => u.eligible && u.accountEnabled).length,
      callingPlan: sim.filter((u) => u.callingPlan && !u.resourceAccount).length,
      resourceAccounts: sim.filter((u) => u.resourceAccount).length,
      gone: 0,
    };
    console.log(`\nGET teams-users?filter=eligible&pageSize=1000: ${getMs.toFixed(0)} ms, ${page.total} eligible`);
    const ok = JSON.stringify(page.counts) === JSON.stringify(expected) && page.total === expected.eligible;
    console.log(`Check: counts ${JSON.stringify(page.counts)} vs simulator ${JSON.stringify(expected)} → ${ok ? 'OK' : 'MISMATCH'}`);
    const violations = stack.simulator.control.contractViolations();
    console.log(`Graph contract violations: ${violations.length}`);
    if (!ok || violations.length) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:discovery failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
