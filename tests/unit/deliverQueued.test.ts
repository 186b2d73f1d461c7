/** The fast path's choice of emails: only those its signal names, only while due, and never ahead of older ones. */
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

/** Due = Pending and due, oldest first, as the table store answers. */
function memoryStore(rows: OutboxRecord[], sentLastMinute = 0): OutboxStore {
  return {
    due: async (now, limit) =>
      rows
        .filter((r) => r.status === 'Pending' && r.nextAttemptAt <= now.toISOString())
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit),
    sentSince: async () => sentLastMinute + rows.filter((r) => r.status === 'Sent').length,
    lease: async (r) => ({ ...r, status: 'Sending', attempts: r.attempts + 1 }),
    settle: async (r, patch) => void Object.assign(rows.find((x) => x.id === r.id) as OutboxRecord, patch),
    purgeFinished: async () => 0,
  };
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

test('within the rate, older emails waiting for their turn keep it: a fresh one beyond the budget waits', async () => {
  const rows = [record('old-1', 10), record('old-2', 9), record('fresh', 0)];
  const sent: string[] = [];
  const report = await deliverQueued(deps(memoryStore(rows, 28), sent), 'acc', ['fresh']);
  expect(sent).toEqual([]);
  expect(report.deferred).toBe(1);
});

test('a signal that cannot be sent is reported, not thrown', async () => {
  const failing = { notify: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1\nmore')) };
  expect(await signalQueued(failing, 'acc', [record('a', 0)])).toBe('connect ECONNREFUSED 127.0.0.1:1');
  const quiet = { notify: jest.fn(async () => undefined) };
  expect(await signalQueued(quiet, 'acc', [])).toBeUndefined();
  expect(quiet.notify).not.toHaveBeenCalled();
});
