/**
 * Benchmark of the voice-user directory and the mapping (a script, not a test): an active account with 10,000
 * eligible Teams users; import 10,000 voice users as CSV through the local host, re-import it unchanged, read mapping
 * pages across the directory (and search the free Teams users), save 10 changes 30 times, save the most changes one
 * save may carry, and race 20 saves for one licence. Prints p50/p99 and the Table Storage requests of each call.
 * Run with `npm run bench:mapping` (`-- --users 2000` for another size).
 */
import { parseArgs } from 'node:util';
import { transition } from '../../shared/domain/account';
import { MAX_CHANGES_PER_SAVE } from '../../shared/domain/mapping';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { tableTeamsUserStore } from '../../shared/storage/teamsUserStore';
import { Stack, startStack } from '../stack';
import { ensureTrustedCa } from './trustedCa';

const ACCOUNT = 'bench-mapping';

let traffic: NonNullable<Stack['tableTraffic']>;

/** Table requests since the last clear, per table, as `name n` (transactions in brackets). */
function tableRequests(): string {
  return [...traffic.counts()]
    .filter(([name]) => name !== 'Tables')
    .map(([name, c]) => `${name} ${c.requests}${c.transactions ? ` (${c.transactions} tx)` : ''}`)
    .join(', ');
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  traffic.clear();
  const t0 = performance.now();
  const result = await run();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(66)} ${ms.toFixed(0).padStart(7)} ms   table requests: ${tableRequests()}`);
  return result;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Runs `run` once per item, one after another; prints p50/p99/max and the table requests of each call (min–max). */
async function sampled<T>(label: string, items: T[], run: (item: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  const perCall = new Map<string, number[]>();
  for (const item of items) {
    traffic.clear();
    const t0 = performance.now();
    await run(item);
    times.push(performance.now() - t0);
    for (const [name, c] of traffic.counts())
      if (name !== 'Tables') (perCall.get(name) ?? perCall.set(name, []).get(name)!).push(c.requests);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const requests = [...perCall].map(([name, n]) => `${name} ${Math.min(...n)}–${Math.max(...n)}`).join(', ');
  console.log(
    `${label.padEnd(66)} p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms` +
      `   table requests per call: ${requests}`,
  );
  return times;
}

async function seed(stack: Stack, users: number, licenses: number): Promise<string[]> {
  const put = await stack.call('PUT', `accounts/${ACCOUNT}`, {
    body: { name: 'Bench', licenseCount: licenses, globalAdmin: { portalUserId: 'ga', displayName: 'GA', email: 'ga@bench.example' } },
  });
  if (put.status !== 201) throw new Error(`PUT account answered ${put.status}`);
  const accounts = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const stored = await accounts.get(ACCOUNT);
  const consented = transition(stored!.account, 'consented', new Date());
  const active = consented.ok ? transition(consented.value, 'active', new Date()) : consented;
  if (!active.ok) throw new Error(active.error.code);
  await accounts.save({ ...active.value, actionNeeded: 'none' }, stored!.etag, []);
  const teamsIds = Array.from({ length: users }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  await tableTeamsUserStore(table(stack.azurite.connectionString, 'teamsUsers')).saveSeen(
    ACCOUNT,
    teamsIds.map((id, i) => ({
      id,
      displayName: `Teams User ${i}`,
      userPrincipalName: `user${i}@bench.example`,
      mail: null,
      department: null,
      accountEnabled: true,
      eligible: true,
      ineligibleReason: null,
      teamsPhoneStatus: 'Enabled',
      callingPlan: false,
      resourceAccount: false,
      resourceAccountKind: null,
      lastSeen: 'bench',
      lastSeenAt: new Date().toISOString(),
      gone: false,
      goneSince: null,
    })),
  );
  return teamsIds;
}

async function main(): Promise<void> {
  ensureTrustedCa(__filename);
  const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' } } });
  const users = Number(values.users);
  const stack = await startStack({ tableTraffic: true });
  traffic = stack.tableTraffic!;
  try {
    const licenses = users; // enough for every save below
    const teamsIds = await seed(stack, users, licenses);
    const csv = [
      'id,displayName,email,extension,phoneNumber',
      ...Array.from(
        { length: users },
        (_, i) =>
          `v${i},Voice User ${i},v${i}@bench.example,${100000 + i},+1 425 ${String(2000000 + i).slice(0, 3)} ${String(i).padStart(4, '0')}`,
      ),
    ].join('\n');
    console.log(`${users} voice users, ${users} eligible Teams users, CSV ${(csv.length / 1024).toFixed(0)} KiB\n`);

    const put = (body: string) =>
      stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, { rawBody: body, headers: { 'content-type': 'text/csv' } });
    const first = await timed('import (all new)', () => put(csv));
    if (first.status !== 200) throw new Error(`import answered ${first.status}: ${await first.text()}`);
    await timed('import again (unchanged)', () => put(csv));

    const cold = await timed('GET mapping page 1 (first read: builds the page order and free list)', () =>
      stack.call('GET', `accounts/${ACCOUNT}/mapping?page=1`),
    );
    let etag = cold.headers.get('etag') as string;
    await cold.text();

    const pages = Array.from({ length: 50 }, (_, i) => 1 + ((i * 97) % Math.ceil(users / 10)));
    await sampled('GET mapping page (50 pages across the directory)', pages, async (page) => {
      const res = await stack.call('GET', `accounts/${ACCOUNT}/mapping?page=${page}`);
      const body = (await res.json()) as { rows: unknown[] };
      if (res.status !== 200 || body.rows.length !== 10)
        throw new Error(`page ${page} answered ${res.status} with ${body.rows.length} rows`);
    });
    await sampled(
      'GET mapping ?teamsUserSearch= (20 searches)',
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        const res = await stack.call('GET', `accounts/${ACCOUNT}/mapping?page=1&teamsUserSearch=${encodeURIComponent(`User ${i * 37}`)}`);
        if (res.status !== 200) throw new Error(`search answered ${res.status}`);
        await res.text();
      },
    );

    const rounds = Array.from({ length: 30 }, (_, i) => i);
    await sampled('PUT mapping, 10 changes (30 saves in a row)', rounds, async (round) => {
      const changes = Array.from({ length: 10 }, (_, j) => ({ voiceUserId: `v${round * 10 + j}`, teamsUserId: teamsIds[round * 10 + j] }));
      const saved = await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: { 'if-match': etag } });
      if (saved.status !== 200) throw new Error(`save answered ${saved.status}: ${await saved.text()}`);
      etag = saved.headers.get('etag') as string;
    });

    const max = Array.from({ length: MAX_CHANGES_PER_SAVE }, (_, i) => ({ voiceUserId: `v${400 + i}`, teamsUserId: teamsIds[400 + i] }));
    const saved = await timed(`save ${MAX_CHANGES_PER_SAVE} changes (one transaction)`, () =>
      stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes: max }, headers: { 'if-match': etag } }),
    );
    if (saved.status !== 200) throw new Error(`save answered ${saved.status}: ${await saved.text()}`);
    etag = saved.headers.get('etag') as string;

    const statuses = await timed('20 concurrent saves on the same ETag', () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stack
            .call('PUT', `accounts/${ACCOUNT}/mapping`, {
              body: { changes: [{ voiceUserId: `v${600 + i}`, teamsUserId: teamsIds[600 + i] }] },
              headers: { 'if-match': etag },
            })
            .then((r) => r.status),
        ),
      ),
    );
    console.log(`  winners: ${statuses.filter((s) => s === 200).length}, refused 412: ${statuses.filter((s) => s === 412).length}`);
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
