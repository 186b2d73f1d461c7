/** Secret names of run tokens: Key Vault's rules (1-127 of [0-9a-zA-Z-]), one name per run and resource. */
import fc from 'fast-check';
import { isRunId, resourceSlug, runPrefix, tokenSecretName } from '../../shared/keyVault/secretNames';
import { verifiesChallengeResource } from '../../shared/keyVault/tokenVault';

const RUN = '0f8fad5b-d9cb-469f-a165-70867728950e';
const KEY_VAULT_NAME = /^[0-9a-zA-Z-]{1,127}$/;

test('a name is the run and a readable slug of the resource with a short hash', () => {
  expect(tokenSecretName(RUN, 'https://graph.microsoft.com')).toMatch(new RegExp(`^sync-${RUN}-graph-microsoft-com-[0-9a-f]{8}$`));
  expect(tokenSecretName(RUN, '48ac35b8-9aa8-4d74-927d-1f4a14a0b239')).toMatch(/-48ac35b8-9aa8-4d74-927d-1f4a14a0b239-[0-9a-f]{8}$/);
  expect(tokenSecretName(RUN.toUpperCase(), 'x')).toBe(tokenSecretName(RUN, 'x'));
  expect(tokenSecretName(RUN, 'https://graph.microsoft.com').startsWith(runPrefix(RUN))).toBe(true);
});

test('resources that read alike still get names of their own; the same resource always the same name', () => {
  const alike = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', 'graph.microsoft.com', 'https://Graph.Microsoft.com'];
  expect(new Set(alike.map((r) => tokenSecretName(RUN, r))).size).toBe(alike.length);
  expect(tokenSecretName(RUN, alike[0]!)).toBe(tokenSecretName(RUN, alike[0]!));
});

test('any resource gives a valid Key Vault secret name (at most 127 letters, digits and dashes)', () => {
  fc.assert(
    fc.property(fc.uuid(), fc.string({ minLength: 1, maxLength: 256, unit: 'binary' }), (runId, resource) => {
      const name = tokenSecretName(runId, resource);
      expect(name).toMatch(KEY_VAULT_NAME);
      expect(resourceSlug(resource)).not.toMatch(/^-|-$|--/);
    }),
  );
  expect(resourceSlug('://???')).toMatch(/^[0-9a-f]{8}$/);
});

test('a run id is a GUID; anything else has no name', () => {
  expect(isRunId(RUN)).toBe(true);
  for (const bad of ['', 'run-1', `${RUN}x`, '../secrets', RUN.replace(/-/g, '')]) {
    expect(isRunId(bad)).toBe(false);
    expect(() => tokenSecretName(bad, 'x')).toThrow(/GUID/);
  }
});

test("the challenge's resource is verified on Key Vault's own domains only", () => {
  expect(verifiesChallengeResource('https://tokens.vault.azure.net')).toBe(true);
  expect(verifiesChallengeResource('https://tokens.vault.azure.cn/')).toBe(true);
  expect(verifiesChallengeResource('https://tokens.vault.usgovcloudapi.net')).toBe(true);
  expect(verifiesChallengeResource('https://localhost:47005')).toBe(false);
  expect(verifiesChallengeResource('https://vault.azure.net.example.com')).toBe(false);
});
