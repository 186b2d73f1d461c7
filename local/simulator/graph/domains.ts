/**
 * Graph `/domains`: add a domain to the tenant, read its verification DNS records, verify it against the simulated DNS
 * (`state.dns`), delete it. As Microsoft documents (domain: add, list, get, verificationDnsRecords, verify, delete): a
 * new domain is unverified and carries a TXT value `MS=ms<8 digits>` to publish at the domain's name; verify succeeds
 * only once a zone the domain lies in holds that TXT record; a domain some user's UPN still uses cannot be deleted.
 */
import type { SimResponse } from '../http';
import type { SimState } from '../state';
import { SimDomain, TenantState, upnDomain } from '../tenants/model';
import { context, graphError, GraphCtx, GraphRoute, ok, queryParam, selectFields } from './common';
import { listCollection } from './users';

const DOMAIN_READ = {
  delegated: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  application: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};
const DOMAIN_WRITE = {
  delegated: ['Domain.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['Domain.ReadWrite.All'],
};

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function isRoot(t: TenantState, name: string): boolean {
  const n = name.toLowerCase();
  return ![...t.domains.values()].some((d) => d.isVerified && n !== d.id.toLowerCase() && n.endsWith(`.${d.id.toLowerCase()}`));
}

export function renderDomain(t: TenantState, d: SimDomain): Record<string, unknown> {
  return {
    authenticationType: d.authenticationType,
    availabilityStatus: null,
    id: d.id,
    isAdminManaged: true,
    isDefault: d.isDefault,
    isInitial: d.isInitial,
    isRoot: isRoot(t, d.id),
    isVerified: d.isVerified,
    passwordNotificationWindowInDays: null,
    passwordValidityPeriodInDays: null,
    state: null,
    supportedServices: d.supportedServices,
  };
}

/** The records Microsoft asks for before verifying: the TXT value, or the equivalent MX record. */
export function verificationRecords(d: SimDomain): Record<string, unknown>[] {
  const token = d.verificationText.replace(/^MS=/, '');
  return [
    {
      '@odata.type': '#microsoft.graph.domainDnsTxtRecord',
      id: `aceff52c-06a5-447f-ac5f-${Buffer.from(token).toString('hex').slice(0, 12).padEnd(12, '0')}`,
      isOptional: false,
      label: d.id,
      recordType: 'Txt',
      supportedService: 'Email',
      ttl: 3600,
      text: d.verificationText,
    },
    {
      '@odata.type': '#microsoft.graph.domainDnsMxRecord',
      id: `5fbde38c-0865-497f-82b1-${Buffer.from(token).toString('hex').slice(0, 12).padEnd(12, '0')}`,
      isOptional: false,
      label: d.id,
      recordType: 'Mx',
      supportedService: 'Email',
      ttl: 3600,
      mailExchange: `${token}.msv1.invalid`,
      preference: 32767,
    },
  ];
}

/**
 * Whether the simulated DNS has the domain's TXT verification value: in a zone the domain equals or ends with, at the
 * relative name (the domain minus `.zone`, `@` at the apex).
 */
export function txtPublished(state: SimState, d: SimDomain): boolean {
  const name = d.id.toLowerCase();
  for (const [zone, records] of state.dns) {
    const z = zone.toLowerCase();
    if (name !== z && !name.endsWith(`.${z}`)) continue;
    const relative = name === z ? '@' : name.slice(0, -(z.length + 1));
    for (const [key, set] of records) {
      const [rel, type] = key.split('|');
      if (rel?.toLowerCase() === relative && type?.toUpperCase() === 'TXT' && set.values.includes(d.verificationText)) return true;
    }
  }
  return false;
}

function domainNotFound(ctx: GraphCtx): SimResponse {
  return graphError(
    ctx.req,
    404,
    'Request_ResourceNotFound',
    `Resource '${ctx.params[0]}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function lookup(ctx: GraphCtx): SimDomain | undefined {
  return ctx.caller.tenant.domains.get(decodeURIComponent(ctx.params[0]!).toLowerCase());
}

export const domainRoutes: GraphRoute[] = [
  {
    method: 'GET',
    re: /^\/domains$/i,
    perms: DOMAIN_READ,
    handler: (ctx) =>
      listCollection(
        ctx,
        [...ctx.caller.tenant.domains.values()].map((d) => renderDomain(ctx.caller.tenant, d)),
        { fragment: 'domains', defaultTop: 999, maxTop: 999, directory: false },
      ),
  },
  {
    method: 'POST',
    re: /^\/domains$/i,
    perms: DOMAIN_WRITE,
    handler: (ctx) => {
      const t = ctx.caller.tenant;
      const id = (ctx.body as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string' || !DNS_NAME.test(id))
        return graphError(ctx.req, 400, 'Request_BadRequest', `Invalid value specified for property 'id' of resource 'Domain'.`);
      const key = id.toLowerCase();
      if (t.domains.has(key))
        return graphError(ctx.req, 400, 'Request_BadRequest', 'Another object with the same value for property id already exists.');
      for (const other of ctx.state.tenants.values())
        if (other.id !== t.id && other.domains.get(key)?.isVerified)
          return graphError(ctx.req, 400, 'Request_BadRequest', `Domain '${id}' is already verified in another tenant.`);
      const d: SimDomain = {
        id: key,
        isDefault: false,
        isInitial: false,
        isVerified: false,
        authenticationType: 'Managed',
        supportedServices: [],
        verificationText: `MS=ms${ctx.state.rng.int(10000000, 99999999)}`,
      };
      t.domains.set(key, d);
      return ok(ctx, { '@odata.context': context(ctx, 'domains/$entity'), ...renderDomain(t, d) }, 201, {
        location: `${ctx.req.origin}/${ctx.version}/domains('${key}')`,
      });
    },
  },
  {
    method: 'GET',
    re: /^\/domains\/([^/]+)$/i,
    perms: DOMAIN_READ,
    handler: (ctx) => {
      const d = lookup(ctx);
      if (!d) return domainNotFound(ctx);
      return ok(ctx, {
        '@odata.context': context(ctx, 'domains/$entity'),
        ...selectFields(renderDomain(ctx.caller.tenant, d), queryParam(ctx, '$select')),
      });
    },
  },
  {
    method: 'GET',
    re: /^\/domains\/([^/]+)\/verificationDnsRecords$/i,
    perms: DOMAIN_READ,
    handler: (ctx) => {
      const d = lookup(ctx);
      if (!d) return domainNotFound(ctx);
      return ok(ctx, {
        '@odata.context': context(ctx, `domains('${d.id}')/verificationDnsRecords`),
        value: d.verificationText ? verificationRecords(d) : [],
      });
    },
  },
  {
    method: 'POST',
    re: /^\/domains\/([^/]+)\/(?:microsoft\.graph\.)?verify$/i,
    perms: DOMAIN_WRITE,
    handler: (ctx) => {
      const d = lookup(ctx);
      if (!d) return domainNotFound(ctx);
      // An already verified domain answers as a successful verify does (the simulator's choice: idempotent).
      if (!d.isVerified) {
        if (!txtPublished(ctx.state, d))
          return graphError(
            ctx.req,
            400,
            'Request_BadRequest',
            `Domain verification failed. The DNS record '${d.verificationText}' (TXT) for '${d.id}' was not found.`,
          );
        d.isVerified = true;
      }
      return ok(ctx, { '@odata.context': context(ctx, 'domains/$entity'), ...renderDomain(ctx.caller.tenant, d) });
    },
  },
  {
    method: 'DELETE',
    re: /^\/domains\/([^/]+)$/i,
    perms: DOMAIN_WRITE,
    handler: (ctx) => {
      const t = ctx.caller.tenant;
      const d = lookup(ctx);
      if (!d) return domainNotFound(ctx);
      if (d.isInitial || d.isDefault)
        return graphError(ctx.req, 400, 'Request_BadRequest', `The ${d.isInitial ? 'initial' : 'default'} domain cannot be deleted.`);
      const refs = t.users.filter((u) => upnDomain(u.userPrincipalName) === d.id.toLowerCase());
      if (refs.length)
        return graphError(
          ctx.req,
          400,
          'Request_BadRequest',
          `Domain '${d.id}' cannot be deleted because it is referenced by ${refs.length} object(s); ` +
            `see /domains/${d.id}/domainNameReferences.`,
        );
      t.domains.delete(d.id.toLowerCase());
      return { status: 204, text: '', tenantId: t.id };
    },
  },
];
