/**
 * Simulated Azure Key Vault (secrets): the 401 bearer challenge, then tokens from the simulated Entra ID
 * (client credentials or delegated, audience https://vault.azure.net, tenant of the vault); set / get / list /
 * delete (soft delete, get deleted, purge, recover). `attributes.exp` and `enabled` are honoured on get.
 */
import * as crypto from 'node:crypto';
import { authenticate } from './auth';
import { json, SimRequest, SimResponse } from './http';
import { DeletedSecret, RESOURCE_KEY_VAULT, SecretVersion, SimState } from './state';

function kvError(status: number, code: string, message: string, inner?: string): SimResponse {
  const error: Record<string, unknown> = { code, message };
  if (inner) error.innererror = { code: inner };
  return json(status, { error });
}

export function createKeyVault(state: SimState) {
  const challenge = (): SimResponse => ({
    status: 401,
    headers: {
      'www-authenticate': `Bearer authorization="${state.urls.entra}/${state.config.homeTenantId}", resource="${RESOURCE_KEY_VAULT}"`,
    },
    body: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
  });

  const idOf = (origin: string, v: SecretVersion) => `${origin}/secrets/${v.name}/${v.version}`;

  function attributes(v: SecretVersion): Record<string, unknown> {
    const a: Record<string, unknown> = {
      enabled: v.enabled,
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    };
    if (v.exp !== undefined) a.exp = v.exp;
    if (v.nbf !== undefined) a.nbf = v.nbf;
    return a;
  }
  function bundle(origin: string, v: SecretVersion, withValue: boolean): Record<string, unknown> {
    const b: Record<string, unknown> = { id: idOf(origin, v), attributes: attributes(v), tags: v.tags ?? {} };
    if (withValue) b.value = v.value;
    if (v.contentType) b.contentType = v.contentType;
    return b;
  }
  function deletedBundle(origin: string, d: DeletedSecret): Record<string, unknown> {
    return {
      ...bundle(origin, d.latest, false),
      recoveryId: `${origin}/deletedsecrets/${d.latest.name}`,
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
    };
  }
  const notFound = (name: string) =>
    kvError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );

  return async function handleKeyVault(req: SimRequest): Promise<SimResponse> {
    if (!req.headers['authorization']) return challenge();
    const auth = authenticate(state, req, [RESOURCE_KEY_VAULT]);
    if (!auth.ok) {
      const r = challenge();
      r.body = { error: { code: 'Unauthorized', message: `AKV10022: Invalid audience or token. ${auth.message}` } };
      return r;
    }
    if (auth.caller.tenant.id !== state.config.homeTenantId)
      return kvError(401, 'Unauthorized', 'AKV10032: Invalid issuer. The token is from another tenant than the vault.');
    if (!req.query.get('api-version')) return kvError(400, 'BadParameter', 'The api-version query parameter is required.');
    const segs = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const now = Math.floor(Date.now() / 1000);
    const name = segs[1];
    if (name !== undefined && !/^[0-9a-zA-Z-]{1,127}$/.test(name))
      return kvError(400, 'BadParameter', `The secret name '${name}' is invalid: use 1-127 letters, digits and dashes.`);

    if (segs[0] === 'secrets') {
      if (req.method === 'GET' && !name) {
        const value = [...state.secrets.values()].map((versions) => {
          const b = bundle(req.origin, versions[versions.length - 1]!, false);
          b.id = `${req.origin}/secrets/${versions[0]!.name}`;
          return b;
        });
        return json(200, { value, nextLink: null });
      }
      if (req.method === 'PUT' && name && segs.length === 2) {
        if (state.deletedSecrets.has(name.toLowerCase()))
          return kvError(
            409,
            'Conflict',
            `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
            'ObjectIsDeletedButRecoverable',
          );
        let body: {
          value?: unknown;
          contentType?: unknown;
          tags?: unknown;
          attributes?: { enabled?: unknown; exp?: unknown; nbf?: unknown };
        };
        try {
          body = JSON.parse(req.rawBody || '{}') as typeof body;
        } catch {
          return kvError(400, 'BadParameter', 'The request body is not valid JSON.');
        }
        if (typeof body.value !== 'string') return kvError(400, 'BadParameter', 'Property value is required and must be a string.');
        if (Buffer.byteLength(body.value) > 25 * 1024) return kvError(400, 'BadParameter', 'A secret value can be at most 25 KB.');
        const v: SecretVersion = {
          name,
          version: crypto.randomBytes(16).toString('hex'),
          value: body.value,
          contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
          tags: body.tags && typeof body.tags === 'object' ? (body.tags as Record<string, string>) : undefined,
          enabled: body.attributes?.enabled === false ? false : true,
          exp: typeof body.attributes?.exp === 'number' ? body.attributes.exp : undefined,
          nbf: typeof body.attributes?.nbf === 'number' ? body.attributes.nbf : undefined,
          created: now,
          updated: now,
        };
        const list = state.secrets.get(name.toLowerCase()) ?? [];
        list.push(v);
        state.secrets.set(name.toLowerCase(), list);
        return json(200, bundle(req.origin, v, true));
      }
      if (req.method === 'GET' && name && segs[2] === 'versions') {
        const list = state.secrets.get(name.toLowerCase());
        if (!list) return notFound(name);
        return json(200, { value: list.map((v) => bundle(req.origin, v, false)), nextLink: null });
      }
      if (req.method === 'GET' && name) {
        const list = state.secrets.get(name.toLowerCase());
        const version = segs[2];
        const v = list && (version ? list.find((x) => x.version === version) : list[list.length - 1]);
        if (!v) return notFound(version ? `${name}/${version}` : name);
        if (!v.enabled) return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
        if (v.exp !== undefined && v.exp <= now)
          return kvError(403, 'Forbidden', 'Operation get is not allowed on an expired secret.', 'SecretExpired');
        if (v.nbf !== undefined && v.nbf > now)
          return kvError(403, 'Forbidden', 'Operation get is not allowed on a secret that is not yet valid.', 'SecretNotYetValid');
        return json(200, bundle(req.origin, v, true));
      }
      if (req.method === 'DELETE' && name && segs.length === 2) {
        const list = state.secrets.get(name.toLowerCase());
        if (!list) return notFound(name);
        state.secrets.delete(name.toLowerCase());
        const d: DeletedSecret = {
          latest: list[list.length - 1]!,
          versions: list,
          deletedDate: now,
          scheduledPurgeDate: now + 90 * 24 * 3600,
        };
        state.deletedSecrets.set(name.toLowerCase(), d);
        return json(200, deletedBundle(req.origin, d));
      }
    }
    if (segs[0] === 'deletedsecrets') {
      if (req.method === 'GET' && !name)
        return json(200, { value: [...state.deletedSecrets.values()].map((d) => deletedBundle(req.origin, d)), nextLink: null });
      const d = name ? state.deletedSecrets.get(name.toLowerCase()) : undefined;
      if (!name) return kvError(405, 'MethodNotAllowed', 'Not supported.');
      if (!d) return kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      if (req.method === 'GET' && segs.length === 2) return json(200, deletedBundle(req.origin, d));
      if (req.method === 'DELETE' && segs.length === 2) {
        state.deletedSecrets.delete(name.toLowerCase());
        return { status: 204, text: '' };
      }
      if (req.method === 'POST' && segs[2] === 'recover') {
        state.deletedSecrets.delete(name.toLowerCase());
        state.secrets.set(name.toLowerCase(), d.versions);
        return json(200, bundle(req.origin, d.latest, false));
      }
    }
    return kvError(404, 'NotFound', `No such Key Vault resource: ${req.method} ${req.path}`);
  };
}
