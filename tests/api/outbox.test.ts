/**
 * The outbox timer's delivery through Communication Services Email (the simulator), with faults and crashes. Queue
 * triggers are off, so the emails wait for the sweeper as they would when their signal was lost; the fast path is
 * tested in outboxQueue.test.ts.
 */
import { TableClient } from '@azure/data-tables';
import { acsEmailSender } from '../../shared/communicationServices/acsEmailSender';
import { tableOutboxStore } from '../../shared/storage/outboxStore';
import { isInsecure, table } from '../../shared/storage/tables';
import { Stack, startStack } from '../support/stack';

let stack: Stack;
let rows: TableClient;
beforeAll(async () => {
  stack = await startStack({ queueTriggers: false });
  const conn = process.env.AzureWebJobsStorage as string;
  rows = TableClient.fromConnectionString(conn, 'accounts', { allowInsecureConnection: isInsecure(conn) });
});
afterAll(() => stack?.stop());
afterEach(() => stack.simulator.control.clearFaults());

const deliver = () => stack.host.runTimer('deliverOutbox');

async function outboxRows(accountId: string) {
  const found: Record<string, unknown>[] = [];
  for await (const row of rows.listEntities({ queryOptions: { filter: `PartitionKey eq '${accountId}' and kind eq 'outbox'` } }))
    found.push(row);
  return found;
}

async function enable(accountId: string, email: string): Promise<void> {
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: `Account ${accountId}`, licenseCount: 5, globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'Robin', email } },
  });
  expect(res.status).toBe(201);
}

test('a 429 from Communication Services, then success, delivers each email exactly once', async () => {
  stack.simulator.control.injectFault({
    service: 'email',
    method: 'POST',
    path: 'emails:send',
    status: 429,
    retryAfterSeconds: 1,
    times: 1,
  });
  await enable('throttled', 'robin@throttled.example');
  await deliver();
  const mails = stack.simulator.control.mailbox().filter((m) => m.to[0].address === 'robin@throttled.example');
  expect(mails).toHaveLength(2);
  const stored = await outboxRows('throttled');
  expect(stored.map((r) => r.status)).toEqual(['Sent', 'Sent']);
  expect(stored.every((r) => typeof r.operationId === 'string' && r.operationId === String(r.rowKey).replace('outbox|', ''))).toBe(true);
  // The bodies carried signed links: once sent, they are not kept.
  expect(stored.every((r) => !r.html && !r.text)).toBe(true);
});

test('throttling beyond the SDK retries leaves the email pending with a backoff, then it is sent once', async () => {
  stack.simulator.control.injectFault({
    service: 'email',
    method: 'POST',
    path: 'emails:send',
    status: 503,
    retryAfterSeconds: 0,
    times: 4,
  });
  await enable('busy', 'robin@busy.example');
  await deliver();
  let stored = await outboxRows('busy');
  expect(stored.map((r) => r.status).sort()).toEqual(['Pending', 'Pending']);
  expect(stored[0].lastError).toMatch(/503/);
  expect(new Date(stored[0].nextAttemptAt as string).getTime()).toBeGreaterThan(Date.now() + 20_000);
  // Bring the retry forward instead of waiting for the backoff.
  for (const row of stored)
    await rows.updateEntity({ partitionKey: 'busy', rowKey: row.rowKey as string, nextAttemptAt: new Date(0).toISOString() }, 'Merge');
  await deliver();
  stored = await outboxRows('busy');
  expect(stored.map((r) => r.status)).toEqual(['Sent', 'Sent']);
  expect(stored.map((r) => r.attempts)).toEqual([2, 2]);
  expect(stack.simulator.control.mailbox().filter((m) => m.to[0].address === 'robin@busy.example')).toHaveLength(2);
});

test('a sender that dies after sending but before recording it does not cause a second email', async () => {
  await enable('crashy', 'robin@crashy.example');
  const accounts = table(process.env.AzureWebJobsStorage as string, 'accounts');
  const store = tableOutboxStore(accounts);
  const [first] = (await store.due(new Date(), 10)).filter((m) => m.accountId === 'crashy');
  // The "crashed" attempt: claimed and sent, never settled.
  const claimed = await store.lease(first, new Date(), new Date(Date.now() + 60_000));
  expect(claimed).toBeDefined();
  const sender = acsEmailSender(process.env.EMAIL_CONNECTION_STRING as string, process.env.EMAIL_SENDER_ADDRESS as string, 100);
  expect(await sender.send(claimed!, claimed!.id)).toEqual({ ok: true, value: undefined });
  expect(
    stack.simulator.control.mailbox().filter((m) => m.subject === first.subject && m.to[0].address === 'robin@crashy.example'),
  ).toHaveLength(1);

  await deliver(); // the lease has not expired: the claimed message is left alone, the other one goes out
  let stored = await outboxRows('crashy');
  expect(stored.map((r) => r.status).sort()).toEqual(['Sending', 'Sent']);

  await rows.updateEntity({ partitionKey: 'crashy', rowKey: `outbox|${first.id}`, leaseUntil: new Date(0).toISOString() }, 'Merge');
  await deliver(); // after the lease: the same operation id is sent again, and the service does not deliver twice
  stored = await outboxRows('crashy');
  expect(stored.map((r) => r.status)).toEqual(['Sent', 'Sent']);
  expect(stack.simulator.control.mailbox().filter((m) => m.to[0].address === 'robin@crashy.example')).toHaveLength(2);
});

test('a permanent failure ends Failed with its reason and is not retried', async () => {
  await enable('bouncy', 'bounce@bouncy.example');
  await deliver();
  const stored = await outboxRows('bouncy');
  expect(stored.map((r) => r.status)).toEqual(['Failed', 'Failed']);
  expect(stored[0].lastError).toMatch(/^Failed: .*suppress/i);
  await deliver();
  expect((await outboxRows('bouncy')).map((r) => r.attempts)).toEqual([1, 1]);
});

test('records of finished emails are dropped after the retention; pending ones never', async () => {
  await enable('retained', 'robin@retained.example');
  await deliver();
  stack.simulator.control.injectFault({
    service: 'email',
    method: 'POST',
    path: 'emails:send',
    status: 503,
    retryAfterSeconds: 0,
    times: 1000,
  });
  await enable('still-pending', 'robin@pending.example');
  await deliver();
  stack.simulator.control.clearFaults();
  expect((await outboxRows('retained')).map((r) => r.status)).toEqual(['Sent', 'Sent']);
  expect((await outboxRows('still-pending')).every((r) => r.status === 'Pending')).toBe(true);

  await stack.host.runTimer('purgeOutbox'); // retention 90 days: nothing is that old
  expect(await outboxRows('retained')).toHaveLength(2);

  const store = tableOutboxStore(table(process.env.AzureWebJobsStorage as string, 'accounts'));
  const purged = await store.purgeFinished(new Date(Date.now() + 86_400_000));
  expect(purged).toBeGreaterThanOrEqual(2);
  expect(await outboxRows('retained')).toHaveLength(0);
  expect((await outboxRows('still-pending')).length).toBeGreaterThan(0);
});
