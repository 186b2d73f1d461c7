/** The fast path's choice of emails: only those its signal names, read by key, only while due, within the rate. */
import { ok } from '../../shared/domain/errors';
import { DeliveryDeps, deliverQueued } from '../../shared/email/deliverOutbox';
import { OutboxRecord } from '../../shared/email/outboxMessage';
import { EmailSender, OutboxStore } from '../../shared/email/ports';
import { signalQueued } from '../../shared/email/outboxSignal';

const NOW = new Date('2026-02-01T10:00:00Z');

function record(id: string, minutesAgo: number, patch: Partial<OutboxRecord> = {}): OutboxRecord {
  const at = new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();
  return {
    id,
    dedupeKey: id,
    accountId: 'acc',
    template: 'activateIntegration',
    to: { address: `${id}@x.example`, displayName: id },
    subject: id,
    html: '',
    text: '',
    createdAt: at,
    status: 'Pending',
    attempts: 0,
    nextAttemptAt: at,
    leaseUntil: null,
    lastError: null,
    operationId: null,
    sentAt: null,
    etag: '1',
    ...patch,
  };
}

/** Due = Pending and due, oldest first, as the table store answers; counts the calls, as reads of the table. */
function memoryStore(rows: OutboxRecord[], sentLastMinute = 0) {
  const calls = { due: 0, getMany: 0, sentWithin: 0 };
  const store: OutboxStore = {
    due: async (now, limit) => {
      calls.due++;
      return rows
        .filter((r) => r.status === 'Pending' && r.nextAttemptAt <= now.toISOString())
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit);
    },
    getMany: async (accountId, ids) => {
      calls.getMany++;
      return rows.filter((r) => r.accountId === accountId && ids.includes(r.id)).map((r) => ({ ...r }));
    },
    sentWithin: async (_now, windows) => {
      calls.sentWithin++;
      return windows.map(() => sentLastMinute + rows.filter((r) => r.status === 'Sent').length);
    },
    lease: async (r) => ({ ...r, status: 'Sending', attempts: r.attempts + 1 }),
    settle: async (r, patch) => void Object.assign(rows.find((x) => x.id === r.id) as OutboxRecord, patch),
    purgeFinished: async () => 0,
  };
  return Object.assign(store, { calls });
}

function deps(store: OutboxStore, sent: string[], perMinute = 30): DeliveryDeps {
  const sender: EmailSender = { send: async (m) => (sent.push(m.id), ok(undefined)) };
  return { outbox: store, sender, now: () => NOW, perMinute, perHour: 100, maxAttempts: 8 };
}

test('sends the named emails that are due, and nothing else', async () => {
  const rows = [record('other', 5), record('a', 1), record('b', 1), record('later', 1, { nextAttemptAt: '2026-02-01T11:00:00Z' })];
  const sent: string[] = [];
  const report = await deliverQueued(deps(memoryStore(rows), sent), 'acc', ['a', 'b', 'later', 'unknown']);
  expect(sent.sort()).toEqual(['a', 'b']);
  expect(report).toEqual({ sent: 2, failed: 0, retrying: 0, deferred: 0 });
  expect(rows.find((r) => r.id === 'other')?.status).toBe('Pending');
});

test('ids of another account are not this signal to send', async () => {
  const sent: string[] = [];
  await deliverQueued(deps(memoryStore([record('a', 1)]), sent), 'someone-else', ['a']);
  expect(sent).toEqual([]);
});

test('reads only the named rows: no scan of what is due, and one read of the rate when something is due', async () => {
  const store = memoryStore([record('a', 1), record('done', 1, { status: 'Sent', sentAt: NOW.toISOString() })]);
  await deliverQueued(deps(store, []), 'acc', ['a']);
  expect(store.calls).toEqual({ due: 0, getMany: 1, sentWithin: 1 });
  // Nothing named is due any more (a repeated signal): not even the rate is counted.
  await deliverQueued(deps(store, []), 'acc', ['a', 'done']);
  expect(store.calls).toEqual({ due: 0, getMany: 2, sentWithin: 1 });
});

test('named emails over the rate stay Pending for the sweeper and are reported as deferred, the oldest sent first', async () => {
  const rows = [record('newer', 1), record('older', 2), record('newest', 0)];
  const sent: string[] = [];
  const report = await deliverQueued(deps(memoryStore(rows, 29), sent), 'acc', ['newer', 'older', 'newest']);
  expect(sent).toEqual(['older']);
  expect(report).toEqual({ sent: 1, failed: 0, retrying: 0, deferred: 2 });
  expect(rows.filter((r) => r.status === 'Pending').map((r) => r.id)).toEqual(['newer', 'newest']);
});

test('a named email behind many older due ones of other accounts is sent while the rate allows it', async () => {
  // The rate is the limit; older emails waiting are the sweeper's to send (oldest first), not found by a scan here.
  const others = Array.from({ length: 80 }, (_, i) => record(`other-${i}`, 30 + i, { accountId: 'other' }));
  const rows = [...others, record('fresh', 0)];
  const sent: string[] = [];
  const report = await deliverQueued(deps(memoryStore(rows, 25), sent), 'acc', ['fresh']);
  expect(sent).toEqual(['fresh']);
  expect(report).toEqual({ sent: 1, failed: 0, retrying: 0, deferred: 0 });
});

test('a Sending email whose lease expired is due again; one under a live lease is not', async () => {
  const rows = [
    record('stale', 5, { status: 'Sending', attempts: 1, leaseUntil: new Date(NOW.getTime() - 1000).toISOString() }),
    record('live', 5, { status: 'Sending', attempts: 1, leaseUntil: new Date(NOW.getTime() + 60_000).toISOString() }),
  ];
  const sent: string[] = [];
  await deliverQueued(deps(memoryStore(rows), sent), 'acc', ['stale', 'live']);
  expect(sent).toEqual(['stale']);
});

test('a signal that cannot be sent is reported, not thrown', async () => {
  const failing = { notify: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1\nmore')) };
  expect(await signalQueued(failing, 'acc', [record('a', 0)])).toBe('connect ECONNREFUSED 127.0.0.1:1');
  const quiet = { notify: jest.fn(async () => undefined) };
  expect(await signalQueued(quiet, 'acc', [])).toBeUndefined();
  expect(quiet.notify).not.toHaveBeenCalled();
});
