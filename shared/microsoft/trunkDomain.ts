/**
 * The provider's trunk domain in a customer tenant (TrunkDomainGateway port) over Microsoft Graph, with the run's
 * delegated Graph token: `/domains` (add, get, verificationDnsRecords, verify), `/subscribedSkus` for the licence
 * stock, and the activation user (`POST /users`, `assignLicense`, `DELETE /users/{id}`). Each write is
 * create-if-missing: a read first, and a refused create read again (an earlier attempt, or a Graph-client retry, may
 * have made it). Failures are values: TRUNK_DOMAIN_FAILED for a refusal, TEAMS_THROTTLED / TEAMS_UNAVAILABLE
 * (transient) for 429, 5xx and the network. The activation user's password is generated here, sent once in the create
 * request and kept nowhere: never in a result, an error or a log line.
 */
import { randomInt } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { ok, Result } from '../domain/errors';
import { LicenceStock, TenantDomain, TrunkDomainGateway, TrunkDomainGatewayFor } from '../sync/trunkDomain';
import { failure, GraphAccessSettings, graphClientFor, thrownGraphFailure } from './graphAccess';

interface GraphDomain {
  id?: string | null;
  isVerified?: boolean | null;
}

interface GraphDnsRecord {
  '@odata.type'?: string | null;
  recordType?: string | null;
  text?: string | null;
}

interface GraphSku {
  skuId?: string | null;
  skuPartNumber?: string | null;
  consumedUnits?: number | null;
  prepaidUnits?: { enabled?: number | null } | null;
  servicePlans?: Array<{ servicePlanName?: string | null; provisioningStatus?: string | null }> | null;
}

interface GraphUser {
  id?: string | null;
  assignedLicenses?: Array<{ skuId?: string | null }> | null;
}

/** The Teams service plan ("Microsoft Teams") of Microsoft's licensing table. */
const TEAMS_PLAN = 'TEAMS1';
const PASSWORD_LENGTH = 48;
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '-_!@#%^*+=?.';

/**
 * A random password Entra ID accepts (8-256 characters, at least three of lower, upper, digit, symbol: here all four),
 * from the CSPRNG. Nobody signs in with it: the account only carries the licence while the domain activates.
 */
export function randomPassword(length = PASSWORD_LENGTH): string {
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** The mailNickname Graph requires on a new user: the UPN's local part, in the characters it accepts. */
const mailNicknameOf = (upn: string): string => (upn.split('@')[0] ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64) || 'trunkactivation';

const statusOf = (err: unknown): number => {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : -1;
};

const refused = (err: unknown, what: string) => thrownGraphFailure(err, { what, permanent: 'TRUNK_DOMAIN_FAILED' });

const seg = (s: string) => encodeURIComponent(s);

export function graphTrunkDomains(settings: GraphAccessSettings): TrunkDomainGatewayFor {
  return (access): TrunkDomainGateway => {
    const graph = graphClientFor(settings, access);

    /** One Graph call: its answer, null for a 404 when `missing` allows it, or our failure. */
    async function call<T>(what: string, run: (c: Client) => Promise<T>, missingIsNull = false): Promise<Result<T | null>> {
      const c = await graph();
      if (!c.ok) return c;
      try {
        return ok(await run(c.value));
      } catch (err) {
        if (missingIsNull && statusOf(err) === 404) return ok(null);
        return refused(err, what);
      }
    }

    const toDomain = (d: GraphDomain, asked: string): TenantDomain => ({
      id: d.id ?? asked.toLowerCase(),
      isVerified: d.isVerified === true,
    });

    async function get(domain: string): Promise<Result<TenantDomain | null>> {
      const d = await call(
        `the read of the domain ${domain}`,
        (c) =>
          c
            .api(`/domains/${seg(domain)}`)
            .select(['id', 'isVerified'])
            .get() as Promise<GraphDomain>,
        true,
      );
      if (!d.ok) return d;
      return ok(d.value ? toDomain(d.value, domain) : null);
    }

    async function userByUpn(upn: string): Promise<Result<GraphUser | null>> {
      return call(
        `the read of the user ${upn}`,
        (c) =>
          c
            .api(`/users/${seg(upn)}`)
            .select(['id', 'assignedLicenses'])
            .get() as Promise<GraphUser>,
        true,
      );
    }

    return {
      get,

      async add(domain) {
        const existing = await get(domain);
        if (!existing.ok) return existing;
        if (existing.value) return ok(existing.value);
        const c = await graph();
        if (!c.ok) return c;
        try {
          const d = (await c.value.api('/domains').post({ id: domain })) as GraphDomain;
          return ok(toDomain(d, domain));
        } catch (err) {
          // Refused because an earlier attempt (or the client's retry of this one) added it: it is there now.
          if (statusOf(err) >= 400 && statusOf(err) < 500) {
            const again = await get(domain);
            if (again.ok && again.value) return ok(again.value);
          }
          return refused(err, `the addition of the domain ${domain}`);
        }
      },

      async verificationText(domain) {
        const what = `the verification records of the domain ${domain}`;
        const records = await call(
          what,
          (c) => c.api(`/domains/${seg(domain)}/verificationDnsRecords`).get() as Promise<{ value?: GraphDnsRecord[] }>,
        );
        if (!records.ok) return records;
        const txt = (records.value?.value ?? []).find(
          (r) =>
            (r.recordType?.toLowerCase() === 'txt' || r['@odata.type'] === '#microsoft.graph.domainDnsTxtRecord') &&
            typeof r.text === 'string' &&
            r.text !== '',
        );
        if (!txt) return failure('TRUNK_DOMAIN_FAILED', `Microsoft Graph listed no TXT record in ${what}.`, false);
        return ok(txt.text!);
      },

      async verify(domain) {
        const c = await graph();
        if (!c.ok) return c;
        try {
          const d = (await c.value.api(`/domains/${seg(domain)}/verify`).post(undefined)) as GraphDomain;
          return ok({ verified: d.isVerified !== false });
        } catch (err) {
          if (statusOf(err) !== 400) return refused(err, `the verification of the domain ${domain}`);
          // 400: Microsoft does not see the TXT record yet, or (Graph's answer for some) the domain is verified already.
          const now = await get(domain);
          if (!now.ok) return now;
          if (!now.value) return failure('TRUNK_DOMAIN_FAILED', `The domain ${domain} is not in the tenant.`, false, { status: 404 });
          return ok({ verified: now.value.isVerified });
        }
      },

      async licences() {
        const skus = await call(
          'the read of the subscribed licences',
          (c) => c.api('/subscribedSkus').get() as Promise<{ value?: GraphSku[] }>,
        );
        if (!skus.ok) return skus;
        return ok(
          (skus.value?.value ?? []).flatMap((s): LicenceStock[] =>
            s.skuId
              ? [
                  {
                    skuId: s.skuId,
                    skuPartNumber: s.skuPartNumber ?? '',
                    spare: Math.max(0, (s.prepaidUnits?.enabled ?? 0) - (s.consumedUnits ?? 0)),
                    teams: (s.servicePlans ?? []).some(
                      (p) => p.servicePlanName?.toUpperCase() === TEAMS_PLAN && p.provisioningStatus !== 'Disabled',
                    ),
                  },
                ]
              : [],
          ),
        );
      },

      async createLicensedUser(input) {
        const upn = input.userPrincipalName;
        let user = await userByUpn(upn);
        if (!user.ok) return user;
        if (!user.value) {
          const c = await graph();
          if (!c.ok) return c;
          try {
            user = ok(
              (await c.value.api('/users').post({
                accountEnabled: true,
                displayName: input.displayName,
                mailNickname: mailNicknameOf(upn),
                userPrincipalName: upn,
                usageLocation: input.usageLocation,
                passwordProfile: { password: randomPassword(), forceChangePasswordNextSignIn: true },
              })) as GraphUser,
            );
          } catch (err) {
            // A refused create of a user an earlier attempt made: it is there now.
            const again = statusOf(err) >= 400 && statusOf(err) < 500 ? await userByUpn(upn) : null;
            if (!again?.ok || !again.value) return refused(err, `the creation of the user ${upn}`);
            user = again;
          }
        }
        const id = user.value?.id;
        if (!id) return failure('TRUNK_DOMAIN_FAILED', `Microsoft Graph gave no id for the user ${upn}.`, false);
        const held = (user.value?.assignedLicenses ?? []).some((l) => l.skuId?.toLowerCase() === input.skuId.toLowerCase());
        if (!held) {
          const assigned = await call(`the licence assignment of the user ${upn}`, (c) =>
            c.api(`/users/${seg(id)}/assignLicense`).post({
              addLicenses: [{ skuId: input.skuId, disabledPlans: [] }],
              removeLicenses: [],
            }),
          );
          if (!assigned.ok) return assigned;
        }
        return ok({ id });
      },

      async remove(domain) {
        const existing = await get(domain);
        if (!existing.ok) return existing;
        if (!existing.value) return ok(undefined);
        const removed = await call(
          `the removal of the domain ${domain}`,
          (c) => c.api(`/domains/${seg(domain)}`).delete() as Promise<unknown>,
          true,
        );
        return removed.ok ? ok(undefined) : removed;
      },

      async deleteUser(userPrincipalName) {
        const user = await userByUpn(userPrincipalName);
        if (!user.ok) return user;
        const id = user.value?.id;
        if (!id) return ok(undefined);
        const deleted = await call(
          `the deletion of the user ${userPrincipalName}`,
          (c) => c.api(`/users/${seg(id)}`).delete() as Promise<unknown>,
          true,
        );
        return deleted.ok ? ok(undefined) : deleted;
      },
    };
  };
}
