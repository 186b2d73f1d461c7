/**
 * Port: the provider's trunk DNS zone (PROVIDER_TRUNK_BASE_DOMAIN), where a customer's trunk subdomain gets its
 * records: the TXT record Microsoft asks for to verify the domain, and the record that resolves the derived trunk FQDN
 * to the provider's SBC (A records to PROVIDER_SBC_ADDRESSES: a CNAME may not share the name of the TXT verification record). Adapter: shared/azureDns/trunkDns.ts (Azure DNS
 * record sets; the local simulator serves the same endpoints).
 *
 * Names are relative to the zone (`woodgrove`, `_acme.woodgrove`, `@` for the apex), never FQDNs. Every call is
 * idempotent: a put creates or replaces the whole record set (so twice is the same record set), a delete of a record set
 * that is not there succeeds. Failures are values: VALIDATION_FAILED (a bad name, TTL or value: nothing was sent),
 * DNS_UNAVAILABLE with `transient: true` (Azure DNS unreachable, 5xx, throttled: try again later), DNS_REFUSED
 * (Azure DNS said no: the zone, resource group or subscription does not exist, the identity lacks the DNS Zone
 * Contributor role, a conflicting record, e.g. a CNAME next to other types). Messages are ours; `details.status` and
 * `details.azureCode` carry what Azure answered.
 */
import type { Result } from '../domain/errors';

export type DnsRecordType = 'TXT' | 'A' | 'CNAME';

/** One record set of the zone, as Azure DNS holds it. */
export interface DnsRecordSet {
  /** Relative to the zone, lower-cased; `@` for the apex. */
  relativeName: string;
  type: DnsRecordType;
  /** Seconds. */
  ttl: number;
  /** TXT: one string per record (long values joined again); A: the IPv4 addresses; CNAME: the one target (no final dot). */
  values: string[];
  /** The fully-qualified name, without the final dot (e.g. `woodgrove.trunks.example.com`). */
  fqdn: string;
}

export interface TrunkDns {
  /** The zone every relative name lives in (the provider's trunk base domain, lower-cased, no final dot). */
  readonly zone: string;
  /** Creates or replaces the TXT record set `relativeName`: one TXT record per value (each up to 1024 characters). */
  putTxt(relativeName: string, values: readonly string[], ttl: number): Promise<Result<DnsRecordSet>>;
  /** Creates or replaces the A record set `relativeName` with these IPv4 addresses. */
  putA(relativeName: string, ipv4s: readonly string[], ttl: number): Promise<Result<DnsRecordSet>>;
  /** Creates or replaces the CNAME record set `relativeName` (not the apex) with `target` (an FQDN). */
  putCname(relativeName: string, target: string, ttl: number): Promise<Result<DnsRecordSet>>;
  /** The record set, or null when there is none of that name and type (a missing zone is DNS_REFUSED). */
  get(relativeName: string, type: DnsRecordType): Promise<Result<DnsRecordSet | null>>;
  /** Removes the record set; one already gone is a success too (a missing zone is DNS_REFUSED). */
  delete(relativeName: string, type: DnsRecordType): Promise<Result<void>>;
}
