import { ConfigError, loadConfig } from '../../shared/config';

const required = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  PUBLIC_BASE_URL: 'https://voice-sync.example.com',
  LINK_SIGNING_KEY: 'k'.repeat(32),
  EMAIL_CONNECTION_STRING: 'endpoint=https://email.example.com;accesskey=c2VjcmV0',
  EMAIL_SENDER_ADDRESS: 'noreply@example.com',
  ENTRA_CLIENT_ID: '6f0d1c2b-3a4e-4f5a-9b8c-7d6e5f4a3b21',
  ENTRA_CLIENT_SECRET: 's3cret',
};

test('valid settings load with defaults for the Microsoft endpoints', () => {
  const config = loadConfig({ ...required, DURABLE_TASK_HUB: 'Hub1' });
  expect(config.DURABLE_TASK_HUB).toBe('Hub1');
  expect(config.GRAPH_BASE_URL).toBe('https://graph.microsoft.com');
  expect(config.ENTRA_AUTHORITY_HOST).toBe('https://login.microsoftonline.com');
  expect(config.EMAIL_RATE_PER_MINUTE).toBe(30);
  expect(config.EMAIL_RATE_PER_HOUR).toBe(100);
});

test('missing and malformed settings fail fast with every problem spelled out', () => {
  let error: unknown;
  try {
    loadConfig({ DURABLE_TASK_HUB: '1-bad', GRAPH_BASE_URL: 'not a url', LINK_SIGNING_KEY: 'short' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  expect(message).toMatch(/^Invalid application settings:/);
  expect(message).toContain('AzureWebJobsStorage');
  expect(message).toContain('DURABLE_TASK_HUB: a task hub name is 3-45 letters and digits');
  expect(message).toContain('GRAPH_BASE_URL');
  expect(message).toContain('LINK_SIGNING_KEY: the link signing key needs at least 32 characters');
  expect(message).toContain('EMAIL_CONNECTION_STRING');
  expect(message).toContain('EMAIL_SENDER_ADDRESS');
  expect(message).toContain('PUBLIC_BASE_URL');
  expect((error as ConfigError).problems).toHaveLength(8);
});

test('the app credential is a client secret or a certificate, exactly one', () => {
  const { ENTRA_CLIENT_SECRET: _secret, ...withoutSecret } = required;
  void _secret;
  expect(() => loadConfig(withoutSecret)).toThrow(/exactly one of ENTRA_CLIENT_SECRET and ENTRA_CLIENT_CERTIFICATE_PEM/);
  expect(() => loadConfig({ ...withoutSecret, ENTRA_CLIENT_SECRET: '' })).toThrow(/exactly one/);
  const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----';
  expect(() => loadConfig({ ...required, ENTRA_CLIENT_CERTIFICATE_PEM: pem })).toThrow(/exactly one/);
  expect(loadConfig({ ...withoutSecret, ENTRA_CLIENT_CERTIFICATE_PEM: pem }).ENTRA_CLIENT_CERTIFICATE_PEM).toBe(pem);
  expect(() => loadConfig({ ...withoutSecret, ENTRA_CLIENT_CERTIFICATE_PEM: 'not a pem' })).toThrow(/ENTRA_CLIENT_CERTIFICATE_PEM/);
});

test('a secret value never appears in the error message', () => {
  const secret = 'endpoint=nope;accesskey=TOPSECRETVALUE';
  expect(() => loadConfig({ ...required, EMAIL_CONNECTION_STRING: secret })).toThrow(ConfigError);
  try {
    loadConfig({ ...required, EMAIL_CONNECTION_STRING: secret });
  } catch (err) {
    expect((err as Error).message).not.toContain('TOPSECRETVALUE');
  }
});
