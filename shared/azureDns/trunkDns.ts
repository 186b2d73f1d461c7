/**
 * TrunkDns on Azure DNS record sets (`@azure/arm-dns`, api-version 2018-05-01; the same code against the local
 * simulator's `arm` service). Signs in as the app's managed identity in Azure (it needs the DNS Zone Contributor role
 * on the zone), or with the app registration's own credential in the zone's tenant (locally: the simulator's home
 * tenant). A put is Azure's record-set PUT without If-Match (create or replace); Azure answers a delete of a missing
 * record set with 204, which is a success here too. No Azure text reaches a message: every message is ours, and
 * Azure's status and error code go into `details`.
 */
import { DnsManagementClient, RecordSet } from '@azure/arm-dns';
import { isRestError } from '@azure/core-rest-pipeline';
import { isIPv4 } from 'node:net';
import { fail, failTransient, ok, Result } from '../domain/errors';
import { AzureIdentity, azureCredential } from '../microsoft/appCredential';
import { DnsRecordSet, DnsRecordType, TrunkDns } from '../sync/trunkDns';

/** Azure Resource Manager's token audience in the public cloud (also what the simulator's `arm` service expects). */
export const ARM_AUDIENCE = 'https://management.azure.com';
/** One character-string of a TXT record holds at most 255 characters (RFC 1035); Azure takes a value up to 1024. */
const TXT_CHUNK = 255;
const TXT_MAX = 1024;
const TTL_MAX = 2_147_483_647;
/** What @azure/identity throws when it gets no token. */
const CREDENTIAL_ERRORS = ['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError'];
const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;
const HOST_LABEL = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

export interface AzureTrunkDnsOptions {
  /** Azure Resource Manager origin (AZURE_RESOURCE_MANAGER_URL), e.g. https://management.azure.com. */
  endpoint: string;
  /** The token audience; Resource Manager's of the public cloud unless told otherwise (a sovereign cloud has its own). */
  audience?: string;
  subscriptionId: string;
  resourceGroup: string;
  /** The zone (PROVIDER_TRUNK_BASE_DOMAIN). */
  zone: string;
  identity: AzureIdentity;
  /** The SDK's own retries of 429/5xx/network errors before a call fails (its default: 3). */
  maxRetries?: number;
}

const normalise = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/** A fully-qualified host name (letters, digits, hyphens; at least two labels), lower-cased, without the final dot. */
export function isHostName(name: string): boolean {
  const n = normalise(name);
  const labels = n.split('.');
  return n.length <= 253 && labels.length >= 2 && labels.every((l) => HOST_LABEL.test(l));
}

/** `@`, or labels (`_` allowed, as in `_acme-challenge`; `*` only as the first one). */
export function isRelativeName(name: string): boolean {
  if (name === '@') return true;
  const labels = name.split('.');
  return labels.every((l, i) => (i === 0 && l === '*') || LABEL.test(l));
}

const statusOf = (err: unknown): number | undefined =>
  isRestError(err)
    ? err.statusCode
    : typeof (err as { statusCode?: unknown })?.statusCode === 'number'
      ? (err as { statusCode: number }).statusCode
      : undefined;
const azureCodeOf = (err: unknown): string | undefined => (isRestError(err) && typeof err.code === 'string' ? err.code : undefined);

export function azureTrunkDns(options: AzureTrunkDnsOptions): TrunkDns {
  const zone = normalise(options.zone);
  const client = new DnsManagementClient(azureCredential(options.identity), options.subscriptionId, {
    endpoint: options.endpoint,
    $host: options.endpoint,
    credentialScopes: [`${(options.audience ?? ARM_AUDIENCE).replace(/\/$/, '')}/.default`],
    ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
  });
  const rg = options.resourceGroup;

  const fqdnOf = (relativeName: string) => (relativeName === '@' ? zone : `${relativeName}.${zone}`);

  function checkName(relativeName: string): Result<string> {
    const name = normalise(relativeName);
    if (!name || !isRelativeName(name))
      return fail('VALIDATION_FAILED', 'A record name is "@" or labels of letters, digits, "-" and "_", relative to the zone.', {
        relativeName,
      });
    if (name !== '@' && (name === zone || name.endsWith(`.${zone}`)))
      return fail('VALIDATION_FAILED', `A record name is relative to the zone ${zone}, not a full name.`, { relativeName });
    if (fqdnOf(name).length > 253)
      return fail('VALIDATION_FAILED', 'The full record name is longer than 253 characters.', { relativeName });
    return ok(name);
  }
  const checkTtl = (ttl: number): Result<number> =>
    Number.isInteger(ttl) && ttl >= 1 && ttl <= TTL_MAX
      ? ok(ttl)
      : fail('VALIDATION_FAILED', 'A TTL is a whole number of seconds, at least 1.', { ttl });

  /** Azure's failure as ours: transient when a later try may work, refused otherwise. */
  function failure<T>(err: unknown, doing: string, name: string, type: DnsRecordType): Result<T> {
    const status = statusOf(err);
    const azureCode = azureCodeOf(err);
    const details: Record<string, unknown> = { zone, relativeName: name, type, status: status ?? null };
    if (azureCode) details.azureCode = azureCode;
    const errorName = (err as Error | undefined)?.name;
    if (errorName && CREDENTIAL_ERRORS.includes(errorName)) {
      // No token: Entra ID (or the managed identity endpoint) could not be reached, or refused the app.
      details.credentialError = errorName;
      const passing =
        errorName === 'CredentialUnavailableError' ||
        (status !== undefined && (status === 429 || status >= 500)) ||
        /temporarily_unavailable|service_not_available/i.test((err as Error).message);
      return passing
        ? failTransient('DNS_UNAVAILABLE', `The app could not get a token for Azure DNS to ${doing}; try again later.`, details)
        : fail(
            'DNS_REFUSED',
            `Microsoft Entra ID refused the app a token for Azure DNS to ${doing} (check the identity and DNS_TENANT_ID).`,
            details,
          );
    }
    if (status === undefined || status === 408 || status === 429 || status >= 500)
      return failTransient('DNS_UNAVAILABLE', `Azure DNS could not ${doing} (${status ?? 'no answer'}); try again later.`, details);
    const why =
      status === 401 || status === 403
        ? "the app's identity may not change the zone (it needs the DNS Zone Contributor role on it)"
        : status === 404
          ? 'the zone, its resource group or its subscription does not exist'
          : status === 409 || status === 412
            ? 'a conflicting record set is in the way'
            : 'the request was not accepted';
    return fail('DNS_REFUSED', `Azure DNS refused to ${doing}: ${why} (${status}).`, details);
  }

  function view(name: string, type: DnsRecordType, set: RecordSet): DnsRecordSet {
    const values =
      type === 'TXT'
        ? (set.txtRecords ?? []).map((r) => (r.value ?? []).join(''))
        : type === 'A'
          ? (set.aRecords ?? []).map((r) => r.ipv4Address ?? '').filter(Boolean)
          : set.cnameRecord?.cname
            ? [normalise(set.cnameRecord.cname)]
            : [];
    return { relativeName: name, type, ttl: set.ttl ?? 0, values, fqdn: set.fqdn ? normalise(set.fqdn) : fqdnOf(name) };
  }

  async function put(relativeName: string, type: DnsRecordType, ttl: number, body: (name: string) => Result<RecordSet>) {
    const name = checkName(relativeName);
    if (!name.ok) return name;
    const checkedTtl = checkTtl(ttl);
    if (!checkedTtl.ok) return checkedTtl;
    const parameters = body(name.value);
    if (!parameters.ok) return parameters;
    try {
      const set = await client.recordSets.createOrUpdate(rg, zone, name.value, type, { ttl, ...parameters.value });
      return ok(view(name.value, type, set));
    } catch (err) {
      return failure<DnsRecordSet>(err, `write the ${type} record ${fqdnOf(name.value)}`, name.value, type);
    }
  }

  return {
    zone,

    putTxt: (relativeName, values, ttl) =>
      put(relativeName, 'TXT', ttl, () => {
        if (values.length === 0 || values.some((v) => typeof v !== 'string' || v.length === 0 || v.length > TXT_MAX))
          return fail('VALIDATION_FAILED', `A TXT record set holds at least one value, each 1-${TXT_MAX} characters.`);
        const chunks = (v: string) =>
          Array.from({ length: Math.ceil(v.length / TXT_CHUNK) }, (_, i) => v.slice(i * TXT_CHUNK, (i + 1) * TXT_CHUNK));
        return ok({ txtRecords: values.map((v) => ({ value: chunks(v) })) });
      }),

    putA: (relativeName, ipv4s, ttl) =>
      put(relativeName, 'A', ttl, () =>
        ipv4s.length > 0 && ipv4s.every((ip) => isIPv4(ip))
          ? ok({ aRecords: [...new Set(ipv4s)].map((ipv4Address) => ({ ipv4Address })) })
          : fail('VALIDATION_FAILED', 'An A record set holds at least one IPv4 address.', { ipv4s: [...ipv4s] }),
      ),

    putCname: (relativeName, target, ttl) =>
      put(relativeName, 'CNAME', ttl, (name) => {
        if (name === '@') return fail('VALIDATION_FAILED', 'The apex of a zone cannot hold a CNAME record.');
        if (!isHostName(target)) return fail('VALIDATION_FAILED', 'A CNAME target is a fully-qualified host name.', { target });
        return ok({ cnameRecord: { cname: normalise(target) } });
      }),

    async get(relativeName, type) {
      const name = checkName(relativeName);
      if (!name.ok) return name;
      try {
        return ok(view(name.value, type, await client.recordSets.get(rg, zone, name.value, type)));
      } catch (err) {
        // A record set that is not there is Azure's 404 NotFound; a missing zone, group or subscription has its own code.
        if (statusOf(err) === 404 && azureCodeOf(err) === 'NotFound') return ok(null);
        return failure(err, `read the ${type} record ${fqdnOf(name.value)}`, name.value, type);
      }
    },

    async delete(relativeName, type) {
      const name = checkName(relativeName);
      if (!name.ok) return name;
      try {
        await client.recordSets.delete(rg, zone, name.value, type);
        return ok(undefined);
      } catch (err) {
        if (statusOf(err) === 404 && azureCodeOf(err) === 'NotFound') return ok(undefined);
        return failure(err, `delete the ${type} record ${fqdnOf(name.value)}`, name.value, type);
      }
    },
  };
}
