import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { RunningSimulator } from '../../local/simulator';
import { APP, startTestSimulator } from './helpers';

let sim: RunningSimulator;
let client: SecretClient;
beforeAll(async () => {
  sim = await startTestSimulator();
  const credential = new ClientSecretCredential(sim.homeTenantId, APP.clientId, APP.clientSecret, {
    authorityHost: sim.urls.entra,
    disableInstanceDiscovery: true,
  });
  client = new SecretClient(sim.appSettings().KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
});
afterAll(async () => {
  await sim.stop();
});

describe('Key Vault secrets with the production SDK', () => {
  test('the first request gets the bearer challenge, then set / get / list / delete / purge work', async () => {
    const challenge = await fetch(`${sim.urls.keyVault}/secrets/x?api-version=7.5`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe(
      `Bearer authorization="${sim.urls.entra}/${sim.homeTenantId}", resource="https://vault.azure.net"`,
    );

    const set = await client.setSecret('run-123-tokens', 'token-material', { contentType: 'application/json', tags: { run: '123' } });
    expect(set.properties.version).toBeTruthy();
    const got = await client.getSecret('run-123-tokens');
    expect(got.value).toBe('token-material');
    expect(got.properties.tags).toEqual({ run: '123' });
    const names: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toContain('run-123-tokens');
    const poller = await client.beginDeleteSecret('run-123-tokens');
    await poller.pollUntilDone();
    await expect(client.getSecret('run-123-tokens')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    await client.purgeDeletedSecret('run-123-tokens');
    await expect(client.getDeletedSecret('run-123-tokens')).rejects.toMatchObject({ statusCode: 404 });
    // the request log never contains the secret value or tokens
    expect(JSON.stringify(sim.control.requestLog())).not.toContain('token-material');
    expect(JSON.stringify(sim.control.secrets())).not.toContain('token-material');
  });

  test('an expired secret is not returned (403 SecretExpired); a disabled one neither', async () => {
    await client.setSecret('short-lived', 'v', { expiresOn: new Date(Date.now() + 1500) });
    expect((await client.getSecret('short-lived')).value).toBe('v');
    await new Promise((r) => setTimeout(r, 2100));
    await expect(client.getSecret('short-lived')).rejects.toMatchObject({ statusCode: 403, message: expect.stringContaining('expired') });
    await client.setSecret('off', 'v', { enabled: false });
    await expect(client.getSecret('off')).rejects.toMatchObject({ statusCode: 403 });
  });

  test('a token of another tenant is refused', async () => {
    const res = await fetch(`${sim.urls.keyVault}/secrets/x?api-version=7.5`, { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(res.status).toBe(401);
  });
});
