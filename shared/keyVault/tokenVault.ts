/**
 * TokenVault on Azure Key Vault secrets (the same code against the local Key Vault simulator): one secret per run and
 * resource (names: secretNames.ts), value = the access token, `expiresOn` = the token's expiry, tags
 * { run, resource, purpose: 'sync-token' }. Removing a token deletes and purges it (soft delete would keep it
 * recoverable for 90 days). No value ever reaches an error message: every message here is written by us.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import { SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import { fail, failTransient, ok, Result } from '../domain/errors';
import { AzureIdentity, azureCredential } from '../microsoft/appCredential';
import { RunToken, TokenVault } from '../sync/tokenVault';
import { isResource, isRunId, TOKEN_PURPOSE, tokenSecretName } from './secretNames';

/** Key Vault's own domains (public and sovereign clouds), whose challenges the SDK can verify. */
const KEY_VAULT_DOMAINS = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de'];
/** A secret value holds at most 25 KB. */
const MAX_VALUE_BYTES = 25 * 1024;

/** How the app signs in to its vault (shared/microsoft/appCredential.ts). */
export type VaultIdentity = AzureIdentity;

export interface KeyVaultTokenVaultOptions {
  vaultUrl: string;
  identity: VaultIdentity;
  now?: () => Date;
  /** The delete poller's interval (the SDK's default is 2 s). */
  pollIntervalMs?: number;
}

/**
 * The SDK checks that a challenge's resource belongs to the vault's domain; that check only holds for Key Vault's own
 * domains, so it is off for a vault served from any other host (a property of the endpoint, not of where we run).
 */
export const verifiesChallengeResource = (vaultUrl: string): boolean => {
  const host = new URL(vaultUrl).hostname.toLowerCase();
  return KEY_VAULT_DOMAINS.some((domain) => host.endsWith(domain));
};

const statusOf = (err: unknown): number | undefined => (isRestError(err) ? err.statusCode : undefined);
const isTransient = (err: unknown): boolean => {
  const status = statusOf(err) ?? 0;
  return status === 0 || status === 408 || status === 429 || status >= 500;
};
const unavailable = <T>(err: unknown, doing: string): Result<T> =>
  failTransient('TOKEN_VAULT_UNAVAILABLE', `Key Vault could not ${doing} (${statusOf(err) ?? 'no answer'}).`);

const isRunToken = (p: { tags?: Record<string, string> }, runId?: string): boolean =>
  p.tags?.purpose === TOKEN_PURPOSE && (runId === undefined || p.tags.run === runId.toLowerCase());

export function keyVaultTokenVault(options: KeyVaultTokenVaultOptions): TokenVault {
  const now = options.now ?? (() => new Date());
  const client = new SecretClient(options.vaultUrl, azureCredential(options.identity), {
    disableChallengeResourceVerification: !verifiesChallengeResource(options.vaultUrl),
  });
  const pollOptions = options.pollIntervalMs === undefined ? {} : { intervalInMs: options.pollIntervalMs };

  /** Purges a deleted secret; already purged (404) is fine. */
  async function purge(name: string): Promise<void> {
    try {
      await client.purgeDeletedSecret(name);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
  /** Deletes and purges a secret; one already deleted or purged is fine (the run may remove its tokens twice). */
  async function remove(name: string): Promise<void> {
    try {
      const poller = await client.beginDeleteSecret(name, pollOptions);
      await poller.pollUntilDone();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await purge(name);
  }
  /** Removes the live run tokens `pick` selects, then purges run tokens an interrupted removal left deleted. */
  async function removeWhere(pick: (p: SecretProperties) => boolean, runId?: string): Promise<number> {
    const live: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) if (isRunToken(p, runId) && pick(p)) live.push(p.name);
    for (const name of live) await remove(name);
    const leftovers: string[] = [];
    for await (const d of client.listDeletedSecrets())
      if (isRunToken(d.properties, runId) && !live.includes(d.name)) leftovers.push(d.name);
    for (const name of leftovers) await purge(name);
    return live.length + leftovers.length;
  }

  function validate(runId: string, tokens: RunToken[]): string | undefined {
    if (!isRunId(runId)) return 'A run id is a GUID.';
    if (tokens.length === 0) return 'A run stores at least one token.';
    const resources = new Set<string>();
    for (const [i, t] of tokens.entries()) {
      if (!isResource(t.resource)) return `Token ${i + 1}: the resource is 1-256 characters without surrounding spaces.`;
      if (resources.has(t.resource)) return `Token ${i + 1}: a second token for the same resource.`;
      resources.add(t.resource);
      if (!t.accessToken || Buffer.byteLength(t.accessToken) > MAX_VALUE_BYTES) return `Token ${i + 1}: empty or over 25 KB.`;
      if (!(t.expiresOn instanceof Date) || !(t.expiresOn.getTime() > now().getTime()))
        return `Token ${i + 1}: its expiry is not in the future.`;
    }
    return undefined;
  }

  return {
    async store(runId, tokens) {
      const problem = validate(runId, tokens);
      if (problem) return fail('VALIDATION_FAILED', problem);
      try {
        for (const t of tokens)
          await client.setSecret(tokenSecretName(runId, t.resource), t.accessToken, {
            expiresOn: t.expiresOn,
            tags: { run: runId.toLowerCase(), resource: t.resource, purpose: TOKEN_PURPOSE },
          });
        return ok(undefined);
      } catch (err) {
        // Leave nothing half-stored; if even that fails, the hourly sweep removes them at their expiry.
        await removeWhere(() => true, runId).catch(() => undefined);
        return isTransient(err)
          ? unavailable(err, 'store the tokens')
          : fail('TOKEN_VAULT_UNAVAILABLE', `Key Vault refused to store the tokens (${statusOf(err)}).`);
      }
    },

    async read(runId, resource) {
      if (!isRunId(runId) || !isResource(resource)) return fail('TOKEN_MISSING', 'No token for that run and resource.');
      const missing = fail<RunToken>('TOKEN_MISSING', 'The run holds no token for this resource.', { resource });
      const expired = fail<RunToken>('TOKEN_EXPIRED', "The run's token for this resource has expired.", { resource });
      try {
        const secret = await client.getSecret(tokenSecretName(runId, resource));
        const expiresOn = secret.properties.expiresOn;
        if (!secret.value || !expiresOn || !isRunToken(secret.properties, runId)) return missing;
        // Key Vault may still hand out an expired secret (Azure/AzureKeyVault#19): the expiry is checked here too.
        if (expiresOn.getTime() <= now().getTime()) return expired;
        return ok({ resource, accessToken: secret.value, expiresOn });
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) return missing;
        if (status === 403 && /expired/i.test((err as Error).message)) return expired;
        return isTransient(err)
          ? unavailable(err, 'read the token')
          : fail('TOKEN_VAULT_UNAVAILABLE', `Key Vault refused to read the token (${status}).`);
      }
    },

    deleteRun: (runId) => (isRunId(runId) ? removeWhere(() => true, runId) : Promise.resolve(0)),

    purgeExpired: (at) => removeWhere((p) => !!p.expiresOn && p.expiresOn.getTime() <= at.getTime()),
  };
}
