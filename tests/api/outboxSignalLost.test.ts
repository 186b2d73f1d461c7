/**
 * A change whose emails cannot be signalled (the queue endpoint is down) still succeeds, promptly, and the outbox timer
 * sends its emails: the signal only makes delivery prompt, it is never what delivery depends on.
 */
import { createServer, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { Stack, startStack } from '../support/stack';

/** The queue endpoint: a TCP server that drops every connection at once, or accepts it and never answers. */
let mode: 'drop' | 'hang' = 'drop';
const sockets = new Set<Socket>();
const queueEndpoint = createServer((socket) => {
  if (mode === 'drop') return void socket.destroy();
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

let stack: Stack;
beforeAll(async () => {
  await new Promise<void>((resolve) => queueEndpoint.listen(0, '127.0.0.1', resolve));
  const { port } = queueEndpoint.address() as AddressInfo;
  // Every queue request of the app (and of the host's poller) goes there.
  stack = await startStack({
    appStorage: (cs) => cs.replace(/QueueEndpoint=[^;]+/, `QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1`),
  });
});
afterAll(async () => {
  queueEndpoint.close();
  for (const socket of sockets) socket.destroy();
  await stack?.stop();
});

const mailTo = (address: string) => stack.simulator.control.mailbox().filter((m) => m.to[0].address === address);

async function putAccount(id: string, email: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await stack.call('PUT', `accounts/${id}`, {
    body: { name: id, licenseCount: 3, globalAdmin: { portalUserId: `ga-${id}`, displayName: 'Uma', email } },
  });
  return { status: res.status, ms: Date.now() - started };
}

test.each([
  ['drops the connection', 'drop', 'uma@dropped.example'],
  ['accepts the connection and never answers', 'hang', 'uma@hanging.example'],
] as const)('a queue that %s: the change is saved at once, and its emails go out with the next timer run', async (_, how, email) => {
  mode = how;
  const put = await putAccount(how, email);
  expect(put.status).toBe(201);
  // The signal is bounded (1.5 s for creating the queue and sending, retries included), whatever the queue does.
  expect(put.ms).toBeLessThan(2500);
  await new Promise((r) => setTimeout(r, 1000));
  expect(mailTo(email)).toHaveLength(0);

  await stack.host.runTimer('deliverOutbox');
  expect(
    mailTo(email)
      .map((m) => m.subject)
      .sort(),
  ).toEqual([`Activate the Microsoft Teams integration for ${how}`, `You are now the Global Admin of the Teams integration for ${how}`]);
});
