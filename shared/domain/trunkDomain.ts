/**
 * The provider's derived trunk in a customer tenant (Microsoft's carrier model for Direct Routing, reference §8): the
 * customer's subdomain of the provider's base domain is added to the tenant, verified with a TXT record in the
 * provider's zone, activated by a Teams-licensed user whose UPN uses it, and then named as the trunk of the
 * integration's voice route. No gateway object is created in the customer tenant. Pure: names, the route as it
 * should be, and what the next step of the set-up is from what was observed.
 */
import type { FieldValue } from './tenantVoiceConfig';
import { pstnUsageName } from './tenantVoiceConfig';

/** Spare Teams-capable licences a first Direct Routing sync needs (the activation user takes one for a while). */
export const SPARE_LICENCES_NEEDED = 2;

/** FNV-1a, 32 bits: a short stable suffix that keeps two account ids apart once they are folded into one label. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0').slice(-7);
}

/**
 * The DNS label of an account's trunk subdomain: the account id when it is a valid lower-case label already, otherwise
 * its folded form (lower case, `.`/`_` → `-`) with a hash of the id, so `Acme.1` and `acme-1` never share a subdomain.
 */
export function trunkLabel(accountId: string): string {
  const plain = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(accountId);
  if (plain) return accountId;
  const folded = accountId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 54)
    .replace(/-$/, '');
  return `${folded || 'account'}-${fnv1a(accountId)}`;
}

/** The default subdomain pattern: the account's own label right under the provider's base domain. */
export const DEFAULT_TRUNK_PATTERN = '{account}';

/**
 * The derived trunk: its name relative to the provider's zone (from the configured pattern, `{account}` standing for
 * the account's label, e.g. `{account}` or `{account}.eu`) and its FQDN, the account's subdomain of the base domain.
 */
export function derivedTrunk(
  accountId: string,
  baseDomain: string,
  pattern = DEFAULT_TRUNK_PATTERN,
): { relativeName: string; fqdn: string } {
  const relativeName = pattern.split('{account}').join(trunkLabel(accountId)).toLowerCase();
  return { relativeName, fqdn: `${relativeName}.${baseDomain.toLowerCase()}` };
}

/** The derived trunk FQDN with the default pattern. */
export const trunkFqdn = (accountId: string, baseDomain: string): string => derivedTrunk(accountId, baseDomain).fqdn;

/** The temporary user that activates the subdomain (removed again once the route names it). */
export const activationUpn = (fqdn: string): string => `teams-trunk-activation@${fqdn}`;

/** The integration's voice route: every number (or the configured pattern) over the derived trunk, with its usage. */
export function desiredVoiceRoute(
  prefix: string,
  fqdns: readonly string[],
  numberPattern = '.*',
): { name: string; fields: Record<string, FieldValue> } {
  return {
    name: prefix,
    fields: { NumberPattern: numberPattern, OnlinePstnGatewayList: [...fqdns], OnlinePstnUsages: [pstnUsageName(prefix)], Priority: 1 },
  };
}

/** Spare licences that can carry Teams (enabled minus consumed units of the SKUs with Teams). */
export const spareTeamsLicences = (stock: ReadonlyArray<{ spare: number; teams: boolean }>): number =>
  stock.filter((s) => s.teams).reduce((n, s) => n + Math.max(0, s.spare), 0);
