/**
 * A change whose emails cannot be signalled (the queue endpoint is down) still succeeds, and the outbox timer sends
 * its emails: the signal only makes delivery prompt, it is never what delivery depends on.
 */
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  // Nothing listens on port 1: every queue request of the app (and of the host's poller) is refused.
  stack = await startStack({ appStorage: (cs) => cs.replace(/QueueEndpoint=[^;]+/, 'QueueEndpoint=http://127.0.0.1:1/devstoreaccount1') });
});
afterAll(() => stack?.stop());

test('the change is saved, and its emails go out with the next timer run', async () => {
  const started = Date.now();
  const res = await stack.call('PUT', 'accounts/unsignalled', {
    body: {
      name: 'Unsignalled',
      licenseCount: 3,
      globalAdmin: { portalUserId: 'ga-u', displayName: 'Uma', email: 'uma@unsignalled.example' },
    },
  });
  expect(res.status).toBe(201);
  expect(Date.now() - started).toBeLessThan(5000);
  await new Promise((r) => setTimeout(r, 1000));
  expect(stack.simulator.control.mailbox()).toHaveLength(0);

  await stack.host.runTimer('deliverOutbox');
  const mails = stack.simulator.control.mailbox().filter((m) => m.to[0].address === 'uma@unsignalled.example');
  expect(mails.map((m) => m.subject).sort()).toEqual([
    'Activate the Microsoft Teams integration for Unsignalled',
    'You are now the Global Admin of the Teams integration for Unsignalled',
  ]);
});
