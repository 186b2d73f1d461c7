/**
 * Simulated Azure Resource Manager, as far as Azure DNS record sets go (api-version 2018-05-01): GET a zone, and
 * PUT / GET / DELETE of TXT, A and CNAME record sets at
 * `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}/{type}/{relativeName}`, with
 * Azure's bodies (`properties.TTL`, `TXTRecords[].value[]`, `ARecords[].ipv4Address`, `CNAMERecord.cname`, `etag`,
 * `If-Match` / `If-None-Match`). A PUT answers 201 when it created the record set and 200 when it replaced it; a
 * DELETE 200, or 204 when there was nothing to delete. Bearer tokens from the simulated Entra ID for
 * https://management.azure.com in the home tenant (the subscription's); RBAC is not simulated. Record sets live in
 * `SimState.dns` (zone → `{relative}|{TYPE}`), which Graph's domain verification reads.
 */
import * as crypto from 'node:crypto';
import { isIPv4 } from 'node:net';
import { authenticate } from './auth';
import { json, SimRequest, SimResponse } from './http';
import { dnsKey, DnsRecordSet, RESOURCE_ARM, SimState } from './state';

const API_VERSION = '2018-05-01';
/** The audiences Resource Manager accepts. */
const ARM_AUDIENCES = [RESOURCE_ARM, `${RESOURCE_ARM}/`, 'https://management.core.windows.net', 'https://management.core.windows.net/'];
const SIMULATED_TYPES = ['TXT', 'A', 'CNAME'] as const;
type SimulatedType = (typeof SIMULATED_TYPES)[number];
const AZURE_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];
const RECORD_PROPERTY: Record<string, string> = {
  A: 'ARecords',
  AAAA: 'AAAARecords',
  CAA: 'caaRecords',
  CNAME: 'CNAMERecord',
  MX: 'MXRecords',
  NS: 'NSRecords',
  PTR: 'PTRRecords',
  SOA: 'SOARecord',
  SRV: 'SRVRecords',
  TXT: 'TXTRecords',
};
const NAME_SERVERS = ['ns1-01.azure-dns.com.', 'ns2-01.azure-dns.net.', 'ns3-01.azure-dns.org.', 'ns4-01.azure-dns.info.'];
const RELATIVE_NAME = /^(?:\*|[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const HOST_NAME = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;
const TXT_STRING_MAX = 1024;
const TXT_WIRE_STRING = 255;

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return json(status, { error: { code, message } }, { 'x-ms-request-id': crypto.randomUUID(), ...headers });
}

export function createArm(state: SimState) {
  const challenge = (code: string, message: string, description: string): SimResponse =>
    armError(401, code, message, {
      'www-authenticate': `Bearer authorization_uri="${state.urls.entra}/${state.config.homeTenantId}", error="invalid_token", error_description="${description}"`,
    });

  const zoneId = (zone: string) =>
    `/subscriptions/${state.config.dnsSubscriptionId}/resourceGroups/${state.config.dnsResourceGroup}/providers/Microsoft.Network/dnszones/${zone}`;
  const fqdnOf = (zone: string, name: string) => (name === '@' ? `${zone}.` : `${name}.${zone}.`);

  function zoneBody(zone: string, records: Map<string, DnsRecordSet>): Record<string, unknown> {
    return {
      id: zoneId(zone),
      name: zone,
      type: 'Microsoft.Network/dnszones',
      etag: crypto.createHash('sha256').update(`zone|${zone}`).digest('hex').slice(0, 32),
      location: 'global',
      tags: {},
      properties: {
        maxNumberOfRecordSets: 10000,
        maxNumberOfRecordsPerRecordSet: null,
        // Azure counts the apex NS and SOA record sets it creates with the zone (not simulated otherwise).
        numberOfRecordSets: records.size + 2,
        nameServers: NAME_SERVERS,
        zoneType: 'Public',
      },
    };
  }

  function recordSetBody(zone: string, name: string, type: SimulatedType, set: DnsRecordSet): Record<string, unknown> {
    const properties: Record<string, unknown> = {
      metadata: {},
      TTL: set.ttl,
      fqdn: fqdnOf(zone, name),
      provisioningState: 'Succeeded',
      targetResource: {},
    };
    if (type === 'TXT')
      properties.TXTRecords = set.values.map((v) => ({
        value: Array.from({ length: Math.max(1, Math.ceil(v.length / TXT_WIRE_STRING)) }, (_, i) =>
          v.slice(i * TXT_WIRE_STRING, (i + 1) * TXT_WIRE_STRING),
        ),
      }));
    if (type === 'A') properties.ARecords = set.values.map((ipv4Address) => ({ ipv4Address }));
    if (type === 'CNAME' && set.values[0] !== undefined) properties.CNAMERecord = { cname: set.values[0] };
    return { id: `${zoneId(zone)}/${type}/${name}`, name, type: `Microsoft.Network/dnszones/${type}`, etag: set.etag, properties };
  }

  /** The record values of a PUT body, or the reason Azure would refuse it. */
  function valuesOf(type: SimulatedType, properties: Record<string, unknown>): string[] | string {
    for (const [other, property] of Object.entries(RECORD_PROPERTY))
      if (other !== type && properties[property] !== undefined && properties[property] !== null)
        return `A record set of type ${type} cannot hold ${property}.`;
    const records = properties[RECORD_PROPERTY[type]!];
    if (type === 'CNAME') {
      if (records === undefined || records === null) return [];
      const cname = (records as { cname?: unknown }).cname;
      if (typeof cname !== 'string' || !HOST_NAME.test(cname)) return 'CNAMERecord.cname must be a domain name.';
      return [cname.toLowerCase().replace(/\.$/, '')];
    }
    if (records === undefined || records === null) return [];
    if (!Array.isArray(records)) return `${RECORD_PROPERTY[type]} must be an array.`;
    const values: string[] = [];
    for (const record of records as unknown[]) {
      if (type === 'A') {
        const ip = (record as { ipv4Address?: unknown })?.ipv4Address;
        if (typeof ip !== 'string' || !isIPv4(ip)) return `The IPv4 address '${String(ip)}' is not valid.`;
        if (!values.includes(ip)) values.push(ip);
      } else {
        const strings = (record as { value?: unknown })?.value;
        if (!Array.isArray(strings) || strings.length === 0 || !strings.every((x) => typeof x === 'string'))
          return 'Each TXT record has a value: an array of strings.';
        if ((strings as string[]).some((x) => x.length > TXT_STRING_MAX))
          return `A TXT record string is at most ${TXT_STRING_MAX} characters.`;
        values.push((strings as string[]).join(''));
      }
    }
    return values;
  }

  function put(req: SimRequest, zone: string, records: Map<string, DnsRecordSet>, name: string, type: SimulatedType): SimResponse {
    let body: { properties?: unknown };
    try {
      body = JSON.parse(req.rawBody || 'null') as { properties?: unknown };
    } catch {
      return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    }
    if (!body || typeof body !== 'object' || !body.properties || typeof body.properties !== 'object')
      return armError(400, 'BadRequest', 'The record set properties are required.');
    const properties = body.properties as Record<string, unknown>;
    const ttl = properties.TTL;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647)
      return armError(400, 'BadRequest', 'The TTL of a record set is a whole number of seconds from 0 to 2147483647.');
    const values = valuesOf(type, properties);
    if (typeof values === 'string') return armError(400, 'BadRequest', values);
    if (type === 'CNAME' && name === '@') return armError(400, 'BadRequest', 'A CNAME record set is not allowed at the zone apex.');
    const key = dnsKey(name, type);
    const existing = records.get(key);
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch === '*' && existing)
      return armError(412, 'PreconditionFailed', `The record set ${name} of type ${type} exists already (If-None-Match: *).`);
    if (ifMatch !== undefined && (!existing || (ifMatch !== '*' && ifMatch !== existing.etag)))
      return armError(412, 'PreconditionFailed', `The etag of the record set ${name} of type ${type} does not match (If-Match).`);
    // A CNAME cannot share its name with a record set of any other type (RFC 1034 3.6.2).
    const others = SIMULATED_TYPES.filter((t) => t !== type && records.has(dnsKey(name, t)));
    if ((type === 'CNAME' && others.length > 0) || (type !== 'CNAME' && others.includes('CNAME')))
      return armError(
        409,
        'Conflict',
        type === 'CNAME'
          ? `The CNAME record set ${name} cannot be created: a record set of another type has that name.`
          : `The record set ${name} cannot be created: a CNAME record set has that name.`,
      );
    const set: DnsRecordSet = { ttl, values, etag: crypto.randomUUID() };
    records.set(key, set);
    return json(existing ? 200 : 201, recordSetBody(zone, name, type, set), { etag: set.etag!, 'x-ms-request-id': crypto.randomUUID() });
  }

  return function handleArm(req: SimRequest): SimResponse {
    if (!req.headers['authorization'])
      return challenge(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      );
    const auth = authenticate(state, req, ARM_AUDIENCES);
    if (!auth.ok) {
      if (auth.reason === 'expired')
        return challenge(
          'ExpiredAuthenticationToken',
          'The access token expiry UTC time is earlier than current UTC time.',
          'The access token has expired.',
        );
      if (auth.reason === 'audience')
        return challenge(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.`,
          'The access token has an invalid audience.',
        );
      return challenge('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    }
    if (auth.caller.tenant.id !== state.config.homeTenantId)
      return challenge(
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer. It must match the tenant associated with this subscription.`,
        'The access token is from the wrong issuer.',
      );

    const segs = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const is = (i: number, literal: string) => segs[i]?.toLowerCase() === literal.toLowerCase();
    if (!(is(0, 'subscriptions') && is(2, 'resourceGroups') && is(4, 'providers') && is(5, 'Microsoft.Network') && is(6, 'dnsZones')))
      return armError(404, 'InvalidResourceType', `The simulated Resource Manager does not serve ${req.method} ${req.path}.`);
    const apiVersion = req.query.get('api-version');
    if (!apiVersion)
      return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    if (apiVersion !== API_VERSION)
      return armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'global' and API version '${apiVersion}' for type 'dnszones' (simulated: ${API_VERSION}).`,
      );
    const [, subscription, , resourceGroup, , , , zoneName, type, relativeName] = segs;
    if (subscription?.toLowerCase() !== state.config.dnsSubscriptionId.toLowerCase())
      return armError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`);
    if (resourceGroup?.toLowerCase() !== state.config.dnsResourceGroup.toLowerCase())
      return armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
    const zone = (zoneName ?? '').toLowerCase();
    const records = zone ? state.dns.get(zone) : undefined;
    if (!records)
      return armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Network/dnszones/${zoneName ?? ''}' under resource group '${resourceGroup}' was not found.`,
      );
    if (type === undefined) {
      if (req.method === 'GET') return json(200, zoneBody(zone, records), { 'x-ms-request-id': crypto.randomUUID() });
      return armError(405, 'MethodNotAllowed', `Only GET of a zone is simulated, not ${req.method}.`);
    }
    const recordType = type.toUpperCase();
    if (!AZURE_TYPES.includes(recordType) || relativeName === undefined || segs.length !== 10)
      return armError(400, 'BadRequest', `No such record set path: ${req.path}.`);
    if (!(SIMULATED_TYPES as readonly string[]).includes(recordType))
      return armError(400, 'BadRequest', `Record sets of type ${recordType} are not simulated (TXT, A and CNAME are).`);
    if (relativeName !== '@' && !RELATIVE_NAME.test(relativeName))
      return armError(400, 'BadRequest', `The record set name '${relativeName}' is not a valid relative domain name.`);
    if (fqdnOf(zone, relativeName).length > 254) return armError(400, 'BadRequest', 'The domain name is longer than 253 characters.');
    const name = relativeName.toLowerCase();
    const t = recordType as SimulatedType;

    if (req.method === 'PUT') return put(req, zone, records, name, t);
    const existing = records.get(dnsKey(name, t));
    if (req.method === 'GET') {
      if (!existing)
        return armError(
          404,
          'NotFound',
          `The resource record '${name}' does not exist in resource group '${resourceGroup}' of subscription '${subscription}'.`,
        );
      return json(200, recordSetBody(zone, name, t, existing), { etag: existing.etag ?? '', 'x-ms-request-id': crypto.randomUUID() });
    }
    if (req.method === 'DELETE') {
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== '*' && (!existing || ifMatch !== existing.etag))
        return armError(412, 'PreconditionFailed', `The etag of the record set ${name} of type ${t} does not match (If-Match).`);
      if (!existing) return { status: 204, headers: { 'x-ms-request-id': crypto.randomUUID() } };
      records.delete(dnsKey(name, t));
      return { status: 200, headers: { 'x-ms-request-id': crypto.randomUUID() } };
    }
    return armError(405, 'MethodNotAllowed', `${req.method} is not simulated on a record set (PUT, GET and DELETE are).`);
  };
}
