import { EmailClient } from '@azure/communication-email';
import { RunningSimulator } from '../../local/simulator';
import { startTestSimulator } from './helpers';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.control.reset());

describe('Communication Services Email with the production SDK', () => {
  test('beginSend + pollUntilDone succeeds and the message lands in the mailbox', async () => {
    const settings = sim.appSettings();
    const client = new EmailClient(settings.EMAIL_CONNECTION_STRING!);
    const poller = await client.beginSend(
      {
        senderAddress: settings.EMAIL_SENDER_ADDRESS!,
        content: { subject: 'Activate the integration', plainText: 'Hello', html: '<p>Hello</p>' },
        recipients: { to: [{ address: 'ga@customer.example', displayName: 'GA' }], cc: [{ address: 'ops@provider.example' }] },
        headers: { 'x-dedupe-key': 'abc' },
      },
      { updateIntervalInMs: 20 },
    );
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    const mail = sim.control.mailbox();
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      subject: 'Activate the integration',
      to: [{ address: 'ga@customer.example', displayName: 'GA' }],
      plainText: 'Hello',
      operationId: result.id,
    });
    const html = await (await fetch(`${sim.urls.control}/mailbox`)).text();
    expect(html).toContain('Activate the integration');
  });

  test('a wrong access key is refused with 401 and nothing is sent', async () => {
    const cs = sim
      .appSettings()
      .EMAIL_CONNECTION_STRING!.replace(/accesskey=.*/, `accesskey=${Buffer.from('wrong-key').toString('base64')}`);
    const client = new EmailClient(cs);
    await expect(
      client.beginSend({
        senderAddress: sim.appSettings().EMAIL_SENDER_ADDRESS!,
        content: { subject: 's', plainText: 'p' },
        recipients: { to: [{ address: 'a@b.example' }] },
      }),
    ).rejects.toMatchObject({ statusCode: 401 });
    expect(sim.control.mailbox()).toHaveLength(0);
  });

  test('an unverified sender is refused with 400', async () => {
    const client = new EmailClient(sim.appSettings().EMAIL_CONNECTION_STRING!);
    await expect(
      client.beginSend({
        senderAddress: 'someone@else.example',
        content: { subject: 's', plainText: 'p' },
        recipients: { to: [{ address: 'a@b.example' }] },
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  test('a bounced message ends Failed', async () => {
    const client = new EmailClient(sim.appSettings().EMAIL_CONNECTION_STRING!);
    const poller = await client.beginSend(
      {
        senderAddress: sim.appSettings().EMAIL_SENDER_ADDRESS!,
        content: { subject: 's', plainText: 'p' },
        recipients: { to: [{ address: 'bounce@b.example' }] },
      },
      { updateIntervalInMs: 20 },
    );
    await expect(poller.pollUntilDone()).rejects.toBeDefined();
    expect(sim.control.mailbox()).toHaveLength(0);
  });
});
