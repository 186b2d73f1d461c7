/**
 * The sending rate (Communication Services allows 30 a minute and 100 an hour by default; 3 a minute here), as the
 * outbox timer applies it (queue triggers off; the fast path shares its budget: outboxQueue.test.ts).
 */
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '3' }, queueTriggers: false });
});
afterAll(() => stack?.stop());

test('what exceeds the rate is deferred to a later run, oldest first', async () => {
  for (const id of ['r1', 'r2', 'r3']) {
    const res = await stack.call('PUT', `accounts/${id}`, {
      body: { name: id, licenseCount: 1, globalAdmin: { portalUserId: id, displayName: id, email: `${id}@rate.example` } },
    });
    expect(res.status).toBe(201);
  }
  await stack.host.runTimer('deliverOutbox');
  const sent = stack.simulator.control.mailbox();
  expect(sent).toHaveLength(3);
  // The oldest three: r1's two and one of r2's (sent a few at a time, so their arrival order may vary).
  expect(sent.map((m) => m.to[0].address).sort()).toEqual(['r1@rate.example', 'r1@rate.example', 'r2@rate.example']);
  await stack.host.runTimer('deliverOutbox');
  expect(stack.simulator.control.mailbox()).toHaveLength(3);
});
