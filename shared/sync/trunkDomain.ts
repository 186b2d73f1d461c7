/**
 * Port: the provider's trunk domain in a customer tenant (Microsoft Graph, with the run's delegated tokens): the
 * customer's subdomain of the provider's base domain added and verified, the tenant's licence stock, and the temporary
 * Teams-licensed user whose UPN activates the domain. Adapter: shared/microsoft/trunkDomain.ts.
 *
 * Every answer is a value: TRUNK_DOMAIN_FAILED when Microsoft refused (4xx), TEAMS_THROTTLED / TEAMS_UNAVAILABLE with
 * `transient: true` (429, 5xx, network). Messages are ours, never Microsoft's text; no password ever leaves the adapter.
 */
import type { Result } from '../domain/errors';
import type { VoiceAccess } from './teamsVoice';

export interface TenantDomain {
  id: string;
  isVerified: boolean;
}

export interface LicenceStock {
  skuId: string;
  skuPartNumber: string;
  spare: number;
  /** includes an enabled Teams service plan (TEAMS1) */
  teams: boolean;
}

export interface TrunkDomainGateway {
  /** The domain in the tenant, or null when it is not there. */
  get(domain: string): Promise<Result<TenantDomain | null>>;
  /** Adds the domain (one already there is returned as it is). */
  add(domain: string): Promise<Result<TenantDomain>>;
  /** The TXT value Microsoft wants at the domain's name (verificationDnsRecords). */
  verificationText(domain: string): Promise<Result<string>>;
  /** Asks Microsoft to verify: verified false (not an error) while the TXT record is not seen yet. */
  verify(domain: string): Promise<Result<{ verified: boolean }>>;
  /** The tenant's licences (subscribedSkus): enabled minus consumed units, per SKU. */
  licences(): Promise<Result<LicenceStock[]>>;
  /**
   * Creates the user (one with that UPN already there is returned) and gives it the SKU (assignLicense; a licence
   * already assigned is fine). accountEnabled true, forceChangePasswordNextSignIn true, a long random password never
   * stored or logged. usageLocation is required for licences.
   */
  createLicensedUser(input: {
    userPrincipalName: string;
    displayName: string;
    usageLocation: string;
    skuId: string;
  }): Promise<Result<{ id: string }>>;
  /** Deletes the user by UPN; one that is not there is a success. */
  deleteUser(userPrincipalName: string): Promise<Result<void>>;
  /** Removes the domain from the tenant (no user may use it any more); one that is not there is a success. */
  remove(domain: string): Promise<Result<void>>;
}

export type TrunkDomainGatewayFor = (access: Extract<VoiceAccess, { kind: 'run' }>) => TrunkDomainGateway;
