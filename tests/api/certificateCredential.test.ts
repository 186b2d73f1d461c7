/**
 * The app authenticates to Entra ID with a certificate instead of a secret (Microsoft's recommendation): the sign-in
 * (msal-node) and discovery (@azure/identity) send signed client assertions, which the simulator verifies.
 */
import selfsigned from 'selfsigned';
import { LOCAL_CLIENT_ID, registerLocalApp } from '../../local/appRegistration';
import { enableAndActivate } from '../support/activate';
import { json, Stack, startStack } from '../support/stack';

const generate = () =>
  selfsigned.generate([{ name: 'commonName', value: 'teams-voice-sync-app' }], { keySize: 2048, days: 30, algorithm: 'sha256' });
const appCertificate = generate();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      ENTRA_CLIENT_SECRET: '',
      ENTRA_CLIENT_CERTIFICATE_PEM: `${appCertificate.private}\n${appCertificate.cert}`,
      EMAIL_RATE_PER_MINUTE: '1000',
    },
  });
  registerLocalApp(stack.simulator, {
    clientId: LOCAL_CLIENT_ID,
    clientSecret: 'not-accepted-here',
    publicBaseUrl: stack.url,
    certificatePem: appCertificate.cert,
  });
}, 60_000);
afterAll(() => stack?.stop());

test('activation and discovery work with a certificate credential', async () => {
  await enableAndActivate(stack, 'cert-1', 5);
  const status = await json(await stack.call('GET', 'accounts/cert-1/status'));
  expect(status).toMatchObject({ state: 'active', discovery: { status: 'succeeded' } });
  const assertions = stack.simulator.control
    .requestLog()
    .filter((r) => r.service === 'entra' && /\/oauth2\/v2\.0\/token(\?|$)/.test(r.url));
  expect(assertions.length).toBeGreaterThanOrEqual(2); // the code redemption and the app-only token
  expect(assertions.every((r) => r.status === 200)).toBe(true);
});

test('a certificate Entra does not know is refused', async () => {
  registerLocalApp(stack.simulator, {
    clientId: LOCAL_CLIENT_ID,
    clientSecret: 'x',
    publicBaseUrl: stack.url,
    certificatePem: generate().cert,
  });
  await expect(enableAndActivate(stack, 'cert-2', 5)).rejects.toThrow(/activation refused: 502/);
});
