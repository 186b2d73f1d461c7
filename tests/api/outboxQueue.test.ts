/**
 * The outbox's fast path: a change's emails are signalled on the `outbox-send` queue and the queue trigger sends them
 * at once, without waiting for the deliverOutbox timer; the timer and the trigger racing on one email send it once.
 */
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { enableAccount } from '../../shared/domain/account';
import { ok } from '../../shared/domain/errors';
import { deliverOutbox, DeliveryDeps, deliverQueued } from '../../shared/email/deliverOutbox';
import { messageIdFor, OutboxMessage } from '../../shared/email/outboxMessage';
import { OUTBOX_QUEUE } from '../../shared/email/outboxSignal';
import { EmailSender } from '../../shared/email/ports';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableOutboxStore } from '../../shared/storage/outboxStore';
import { isInsecure, table } from '../../shared/storage/tables';
import { Stack, startStack } from '../support/stack';

let stack: Stack;
let rows: TableClient;
let conn: string;
beforeAll(async () => {
  stack = await startStack();
  conn = process.env.AzureWebJobsStorage as string;
  rows = TableClient.fromConnectionString(conn, 'accounts', { allowInsecureConnection: isInsecure(conn) });
});
afterAll(() => stack?.stop());
afterEach(() => stack.simulator.control.clearFaults());

const mailTo = (address: string) => stack.simulator.control.mailbox().filter((m) => m.to.some((t) => t.address === address));
const sendRequests = () =>
  stack.simulator.control.requestLog({ service: 'email' }).filter((e) => e.method === 'POST' && e.url.includes('emails:send')).length;

async function outboxRows(accountId: string) {
  const found: Record<string, unknown>[] = [];
  for await (const row of rows.listEntities({ queryOptions: { filter: `PartitionKey eq '${accountId}' and kind eq 'outbox'` } }))
    found.push(row);
  return found;
}

async function waitFor<T>(what: () => T | undefined, withinMs: number): Promise<T | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = what();
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const enable = (accountId: string, email: string) =>
  stack.call('PUT', `accounts/${accountId}`, {
    body: { name: `Account ${accountId}`, licenseCount: 5, globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'Robin', email } },
  });

test('the invitation of a new account reaches the mailbox within seconds, without the outbox timer', async () => {
  const started = Date.now();
  expect((await enable('prompt', 'robin@prompt.example')).status).toBe(201);
  const invitation = await waitFor(() => mailTo('robin@prompt.example').find((m) => /^Activate/.test(m.subject)), 3000);
  expect(invitation).toBeDefined();
  expect(Date.now() - started).toBeLessThan(3000);
  await stack.host.queuesIdle(); // the send operations have ended and their rows are settled
  expect(mailTo('robin@prompt.example')).toHaveLength(2);
  const stored = await outboxRows('prompt');
  expect(stored.map((r) => [r.status, r.attempts])).toEqual([
    ['Sent', 1],
    ['Sent', 1],
  ]);
});

test('the removal email goes out the same way', async () => {
  expect((await enable('leaving', 'robin@leaving.example')).status).toBe(201);
  await stack.host.queuesIdle();
  expect((await stack.call('DELETE', 'accounts/leaving/integration')).status).toBe(202);
  const removal = await waitFor(() => mailTo('robin@leaving.example').find((m) => /has been removed/.test(m.subject)), 3000);
  expect(removal).toBeDefined();
});

test('the queue trigger and the timer delivering at the same moment send each email once', async () => {
  for (const id of ['race-1', 'race-2', 'race-3']) {
    // Slow sends keep the first sender mid-flight while the other one looks at the same rows.
    stack.simulator.control.injectFault({ service: 'email', method: 'POST', path: 'emails:send', latencyMs: 400, times: 2 });
    const before = sendRequests();
    expect((await enable(id, `robin@${id}.example`)).status).toBe(201);
    await Promise.all([stack.host.runTimer('deliverOutbox'), stack.host.queuesIdle()]);
    await stack.host.runTimer('deliverOutbox');
    expect(sendRequests() - before).toBe(2);
    expect(mailTo(`robin@${id}.example`)).toHaveLength(2);
    expect((await outboxRows(id)).map((r) => [r.status, r.attempts])).toEqual([
      ['Sent', 1],
      ['Sent', 1],
    ]);
  }
});

test('the sweep and two deliveries of one signal, run together on the same rows, send each email once', async () => {
  const store = tableAccountStore(table(conn, 'accounts'));
  const accountId = 'contended';
  const now = new Date();
  const { account } = enableAccount(
    accountId,
    { name: 'Contended', licenseCount: 1, globalAdmin: { portalUserId: 'ga-c', displayName: 'Casey', email: 'casey@contended.example' } },
    { policyPrefix: 'VoiceSync', numberType: 'directRouting' },
    now,
  );
  const messages: OutboxMessage[] = [1, 2, 3, 4, 5, 6].map((n) => {
    const dedupeKey = `${accountId}|v1|activateIntegration|casey${n}@contended.example`;
    return {
      id: messageIdFor(dedupeKey),
      dedupeKey,
      accountId,
      template: 'activateIntegration',
      to: { address: `casey${n}@contended.example`, displayName: 'Casey' },
      subject: 'Contended',
      html: '<p>Contended</p>',
      text: 'Contended',
      createdAt: now.toISOString(),
    };
  });
  // Written without a signal: only the three deliveries below see these rows.
  expect((await store.save(account, null, messages)).ok).toBe(true);
  const sends: string[] = [];
  const sender: EmailSender = {
    send: async (_message, operationId) => {
      sends.push(operationId);
      await new Promise((r) => setTimeout(r, 30));
      return ok(undefined);
    },
  };
  const deps: DeliveryDeps = {
    outbox: tableOutboxStore(table(conn, 'accounts')),
    sender,
    now: () => new Date(),
    perMinute: 1000,
    perHour: 1000,
    maxAttempts: 8,
  };
  const ids = messages.map((m) => m.id);
  const reports = await Promise.all([deliverOutbox(deps), deliverQueued(deps, accountId, ids), deliverQueued(deps, accountId, ids)]);
  const ours = sends.filter((id) => ids.includes(id));
  expect(ours.sort()).toEqual([...ids].sort());
  expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(sends.length);
  expect((await outboxRows(accountId)).every((r) => r.status === 'Sent' && r.attempts === 1)).toBe(true);
});

test('a signal for emails already sent, for unknown emails, or that is no signal at all, is consumed without a retry', async () => {
  expect((await enable('done', 'robin@done.example')).status).toBe(201);
  await stack.host.queuesIdle();
  const sent = (await outboxRows('done')).map((r) => String(r.rowKey).replace('outbox|', ''));
  expect(sent).toHaveLength(2);
  const before = sendRequests();
  const queue = new QueueClient(conn, OUTBOX_QUEUE);
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  await queue.sendMessage(base64(JSON.stringify({ accountId: 'done', messageIds: sent })));
  await queue.sendMessage(base64(JSON.stringify({ accountId: 'nobody', messageIds: ['4b556869-633e-4f72-a8b8-a73796d81c1e'] })));
  await queue.sendMessage(base64('not a signal'));
  await stack.host.queuesIdle();
  expect(sendRequests()).toBe(before);
  expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toHaveLength(0);
  const poison = new QueueClient(conn, `${OUTBOX_QUEUE}-poison`);
  expect(await poison.exists()).toBe(false);
});

test('the store reads named emails by their keys, and counts the last minute and hour in one read', async () => {
  const store = tableOutboxStore(table(conn, 'accounts'));
  // A clock far ahead, so the emails the other tests sent count in neither window.
  const now = new Date('2100-01-01T10:00:00Z');
  const at = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
  const row = (id: string, patch: Record<string, unknown>) => ({
    partitionKey: 'windows',
    rowKey: `outbox|${id}`,
    kind: 'outbox',
    createdAt: at(7200),
    nextAttemptAt: at(7200),
    attempts: 1,
    ...patch,
  });
  for (const entity of [
    row('minute', { status: 'Sent', sentAt: at(30) }),
    row('hour', { status: 'Sent', sentAt: at(1800) }),
    row('older', { status: 'Sent', sentAt: at(3700) }),
    row('sending', { status: 'Sending', leaseUntil: at(-120) }),
    row('pending', { status: 'Pending' }),
  ])
    await rows.createEntity(entity);
  expect(await store.sentWithin(now, [60_000, 3_600_000])).toEqual([2, 3]);
  const named = await store.getMany('windows', ['pending', 'minute', 'unknown', 'bad/key#?']);
  expect(named.map((m) => [m.id, m.status, m.accountId]).sort()).toEqual([
    ['minute', 'Sent', 'windows'],
    ['pending', 'Pending', 'windows'],
  ]);
  expect(await store.getMany('someone-else', ['pending'])).toEqual([]);
});
