/**
 * Benchmark of the voice-user directory and the mapping (a script, not a test): an active account with 10,000
 * eligible Teams users; import 10,000 voice users as CSV through the local host, re-import it unchanged, read mapping
 * pages, save 99 changes at once, and race 20 saves for one licence. Prints times and Table Storage transactions.
 * Run with `npm run bench:mapping` (`-- --users 2000` for another size).
 */
import { parseArgs } from 'node:util';
import { transition } from '../../shared/domain/account';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { table } from '../../shared/storage/tables';
import { tableTeamsUserStore } from '../../shared/storage/teamsUserStore';
import { Stack, startStack } from '../stack';
import { ensureTrustedCa } from './trustedCa';

const ACCOUNT = 'bench-mapping';

let traffic: NonNullable<Stack['tableTraffic']>;

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  traffic.clear();
  const t0 = performance.now();
  const result = await run();
  const ms = performance.now() - t0;
  const voiceUsers = traffic.counts().get('voiceUsers');
  console.log(
    `${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms   voiceUsers table: ${voiceUsers?.requests ?? 0} requests, ${voiceUsers?.transactions ?? 0} transactions`,
  );
  return result;
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
    const licenses = users; // enough for the 99-change save; the race below uses a fresh account state
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

    const reads: number[] = [];
    let etag = '';
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await stack.call('GET', `accounts/${ACCOUNT}/mapping?page=${i + 1}`);
      etag = res.headers.get('etag') as string;
      await res.text();
      reads.push(performance.now() - t0);
    }
    reads.sort((a, b) => a - b);
    console.log(`${'GET mapping page (20 reads)'.padEnd(44)} p50 ${reads[10]!.toFixed(0)} ms, max ${reads[19]!.toFixed(0)} ms`);

    const changes = Array.from({ length: 99 }, (_, i) => ({ voiceUserId: `v${i}`, teamsUserId: teamsIds[i] }));
    const saved = await timed('save 99 changes (one transaction)', () =>
      stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: { 'if-match': etag } }),
    );
    if (saved.status !== 200) throw new Error(`save answered ${saved.status}: ${await saved.text()}`);
    etag = saved.headers.get('etag') as string;

    const statuses = await timed('20 concurrent saves on the same ETag', () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stack
            .call('PUT', `accounts/${ACCOUNT}/mapping`, {
              body: { changes: [{ voiceUserId: `v${200 + i}`, teamsUserId: teamsIds[200 + i] }] },
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
