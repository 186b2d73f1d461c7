import { ConfigError, loadConfig } from '../../shared/config';

const required = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  PUBLIC_BASE_URL: 'https://voice-sync.example.com',
  LINK_SIGNING_KEY: 'k'.repeat(32),
  EMAIL_CONNECTION_STRING: 'endpoint=https://email.example.com;accesskey=c2VjcmV0',
  EMAIL_SENDER_ADDRESS: 'noreply@example.com',
  ENTRA_CLIENT_ID: '6f0d1c2b-3a4e-4f5a-9b8c-7d6e5f4a3b21',
  ENTRA_CLIENT_SECRET: 's3cret',
  KEY_VAULT_URL: 'https://voice-sync-tokens.vault.azure.net',
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
  expect(message).toContain('KEY_VAULT_URL');
  expect((error as ConfigError).problems).toHaveLength(9);
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

describe('signing keys', () => {
  const secret = (c: string) => c.repeat(32);

  test('a current key with an id (k1 by default) and previous keys as "id:secret,…"', () => {
    expect(loadConfig(required)).toMatchObject({ LINK_SIGNING_KEY_ID: 'k1', LINK_SIGNING_KEYS_PREVIOUS: [] });
    const config = loadConfig({
      ...required,
      LINK_SIGNING_KEY_ID: '2025-06_b',
      LINK_SIGNING_KEYS_PREVIOUS: ` k1:${secret('a')} , k0:${secret('b')}:with:colons ,`,
    });
    expect(config.LINK_SIGNING_KEYS_PREVIOUS).toEqual([
      { id: 'k1', secret: secret('a') },
      { id: 'k0', secret: `${secret('b')}:with:colons` },
    ]);
    expect(loadConfig({ ...required, LINK_SIGNING_KEYS_PREVIOUS: '' }).LINK_SIGNING_KEYS_PREVIOUS).toEqual([]);
  });

  test.each([
    ['an entry without an id', `${secret('a')}`, 'LINK_SIGNING_KEYS_PREVIOUS: entry 1: expected "id:secret"'],
    ['a bad id', `k1:${secret('a')},bad id!:${secret('b')}`, 'entry 2: a key id is 1-32 letters, digits, _ or -'],
    ['a too long id', `${'k'.repeat(33)}:${secret('a')}`, 'entry 1: a key id is 1-32 letters, digits, _ or -'],
    ['an empty id', `:${secret('a')}`, 'entry 1: a key id is 1-32 letters, digits, _ or -'],
    ['a short secret', 'k0:too-short-SECRETVALUE', 'entry 1: a secret needs at least 32 characters'],
    ['a duplicate id', `k0:${secret('a')},k0:${secret('b')}`, 'entry 2: the key id "k0" appears twice'],
    ['the current id', `k1:${secret('a')}`, 'a previous key has the id of the current one'],
  ])('refused: %s', (_name, previous, message) => {
    let error: unknown;
    try {
      loadConfig({ ...required, LINK_SIGNING_KEYS_PREVIOUS: previous });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    // Problems name entries by position: a secret never appears in the message.
    expect((error as ConfigError).message).not.toMatch(/aaaa|bbbb|SECRETVALUE/);
  });

  test('the current key id follows the same rule', () => {
    expect(() => loadConfig({ ...required, LINK_SIGNING_KEY_ID: 'has space' })).toThrow(
      'LINK_SIGNING_KEY_ID: a key id is 1-32 letters, digits, _ or -',
    );
  });
});

test('the token vault: an https URL; its tenant (the app signs in itself) and a managed identity id are GUIDs', () => {
  expect(() => loadConfig({ ...required, KEY_VAULT_URL: 'http://vault.example' })).toThrow(/KEY_VAULT_URL: the Key Vault URL is https/);
  expect(() => loadConfig({ ...required, KEY_VAULT_URL: 'not a url' })).toThrow(/KEY_VAULT_URL/);
  const plain = loadConfig(required);
  expect([plain.KEY_VAULT_TENANT_ID, plain.AZURE_CLIENT_ID]).toEqual([undefined, undefined]);
  expect(loadConfig({ ...required, KEY_VAULT_TENANT_ID: '', AZURE_CLIENT_ID: '' }).KEY_VAULT_TENANT_ID).toBeUndefined();
  const tenant = 'b5e0c7a4-1d2f-4e6a-9c3b-8f7d6e5a4b21';
  expect(loadConfig({ ...required, KEY_VAULT_TENANT_ID: tenant }).KEY_VAULT_TENANT_ID).toBe(tenant);
  expect(() => loadConfig({ ...required, KEY_VAULT_TENANT_ID: 'contoso' })).toThrow(
    /KEY_VAULT_TENANT_ID: the Key Vault tenant id is a GUID/,
  );
  expect(() => loadConfig({ ...required, AZURE_CLIENT_ID: 'x' })).toThrow(/AZURE_CLIENT_ID/);
});

describe('trunk DNS settings', () => {
  const dns = {
    PROVIDER_TRUNK_BASE_DOMAIN: 'Trunks.Example.com.',
    PROVIDER_SBC_ADDRESSES: '203.0.113.10, 203.0.113.11',
    DNS_SUBSCRIPTION_ID: 'd1a2b3c4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    DNS_RESOURCE_GROUP: 'voice-dns',
  };

  test('all four load (names lower-cased, no final dot), with Resource Manager and the managed identity by default', () => {
    const config = loadConfig({ ...required, ...dns });
    expect(config.DNS_TENANT_ID).toBeUndefined();
    expect(config).toMatchObject({
      PROVIDER_TRUNK_BASE_DOMAIN: 'trunks.example.com',
      PROVIDER_SBC_ADDRESSES: ['203.0.113.10', '203.0.113.11'],
      DNS_SUBSCRIPTION_ID: dns.DNS_SUBSCRIPTION_ID,
      DNS_RESOURCE_GROUP: 'voice-dns',
      AZURE_RESOURCE_MANAGER_URL: 'https://management.azure.com',
    });
  });

  test('none of them is fine too (empty counts as absent)', () => {
    const config = loadConfig({ ...required, PROVIDER_TRUNK_BASE_DOMAIN: '', DNS_RESOURCE_GROUP: '' });
    expect(config.PROVIDER_TRUNK_BASE_DOMAIN).toBeUndefined();
    expect(config.DNS_SUBSCRIPTION_ID).toBeUndefined();
  });

  test('some without the others, or malformed ones, stop the app', () => {
    const { DNS_RESOURCE_GROUP: _rg, PROVIDER_SBC_ADDRESSES: _sbc, ...partial } = dns;
    void _rg;
    void _sbc;
    expect(() => loadConfig({ ...required, ...partial })).toThrow(
      /PROVIDER_SBC_ADDRESSES: the trunk DNS settings go together: set PROVIDER_SBC_ADDRESSES, DNS_RESOURCE_GROUP too/,
    );
    expect(() => loadConfig({ ...required, ...dns, PROVIDER_TRUNK_BASE_DOMAIN: 'no_underscores.example' })).toThrow(
      /PROVIDER_TRUNK_BASE_DOMAIN: the trunk base domain is a DNS name/,
    );
    expect(() => loadConfig({ ...required, ...dns, PROVIDER_SBC_ADDRESSES: 'sbc1.example.com' })).toThrow(/PROVIDER_SBC_ADDRESSES/);
    expect(() => loadConfig({ ...required, ...dns, DNS_SUBSCRIPTION_ID: 'sub' })).toThrow(
      /DNS_SUBSCRIPTION_ID: the DNS subscription id is a GUID/,
    );
    expect(() => loadConfig({ ...required, ...dns, DNS_RESOURCE_GROUP: 'ends.' })).toThrow(/DNS_RESOURCE_GROUP/);
    expect(() => loadConfig({ ...required, ...dns, DNS_TENANT_ID: 'tenant' })).toThrow(/DNS_TENANT_ID/);
    expect(() => loadConfig({ ...required, ...dns, AZURE_RESOURCE_MANAGER_URL: 'http://management.azure.com' })).toThrow(
      /AZURE_RESOURCE_MANAGER_URL: the Azure Resource Manager URL is https/,
    );
  });
});

test('the trunk subdomain pattern: DNS labels with {account}; without it, or with other characters, it stops the app', () => {
  expect(loadConfig({ ...required }).PROVIDER_TRUNK_SUBDOMAIN_PATTERN).toBe('{account}');
  expect(loadConfig({ ...required, PROVIDER_TRUNK_SUBDOMAIN_PATTERN: '{account}.eu' }).PROVIDER_TRUNK_SUBDOMAIN_PATTERN).toBe(
    '{account}.eu',
  );
  expect(() => loadConfig({ ...required, PROVIDER_TRUNK_SUBDOMAIN_PATTERN: 'eu' })).toThrow(/PROVIDER_TRUNK_SUBDOMAIN_PATTERN/);
  expect(() => loadConfig({ ...required, PROVIDER_TRUNK_SUBDOMAIN_PATTERN: 'a_b.{account}' })).toThrow(/PROVIDER_TRUNK_SUBDOMAIN_PATTERN/);
});
