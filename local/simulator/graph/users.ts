/** Graph directory reads: users (filter, select, count, search, paging), me, memberOf, organization, subscribedSkus. */
import type { SimResponse } from '../http';
import { detUuid } from '../util';
import { consumedUnits, ROLE_NAMES, SimUser, TenantState } from '../tenants/model';
import { context, decodeSkipToken, graphError, GraphCtx, GraphRoute, nextLink, ok, queryParam, selectFields } from './common';
import { FilterError, parseFilter } from './filter';

const USER_DEFAULT_FIELDS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

const USERS_READ = {
  delegated: ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['User.Read.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
};
const ME_READ = { delegated: ['User.Read', ...USERS_READ.delegated] };
const MEMBER_OF = {
  delegated: ['User.Read', 'Directory.Read.All', 'GroupMember.Read.All'],
  application: ['Directory.Read.All', 'GroupMember.Read.All'],
};
const ORG_READ = {
  delegated: ['User.Read', 'Organization.Read.All', 'Directory.Read.All'],
  application: ['Organization.Read.All', 'Directory.Read.All'],
};
const SKU_READ = {
  delegated: ['Organization.Read.All', 'Directory.Read.All', 'LicenseAssignment.Read.All'],
  application: ['Organization.Read.All', 'Directory.Read.All', 'LicenseAssignment.Read.All'],
};

const rendered = new WeakMap<SimUser, Record<string, unknown>>();
export function renderUser(u: SimUser): Record<string, unknown> {
  let r = rendered.get(u);
  if (!r) {
    r = {
      id: u.id,
      businessPhones: [],
      displayName: u.displayName,
      givenName: u.givenName,
      jobTitle: u.jobTitle,
      mail: u.mail,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-US',
      surname: u.surname,
      userPrincipalName: u.userPrincipalName,
      accountEnabled: u.accountEnabled,
      assignedLicenses: u.assignedLicenses,
      assignedPlans: u.assignedPlans,
      createdDateTime: u.createdDateTime,
      department: u.department,
      usageLocation: u.usageLocation,
      userType: u.userType,
      mailNickname: u.userPrincipalName.split('@')[0],
      isResourceAccount: null,
    };
    rendered.set(u, r);
  }
  return r;
}

export function userLookup(tenant: TenantState, idOrUpn: string): SimUser | undefined {
  const key = decodeURIComponent(idOrUpn).toLowerCase();
  return tenant.usersById.get(key) ?? tenant.usersByUpn.get(key);
}

function unsupported(ctx: GraphCtx, rule: string, message: string, code = 'Request_UnsupportedQuery'): SimResponse {
  ctx.state.violation({ method: ctx.req.method, url: ctx.req.url, rule, message });
  return graphError(ctx.req, 400, code, message);
}

/** Shared list logic: filter, advanced-query rules, $count, $top, $skiptoken paging. */
export function listCollection(
  ctx: GraphCtx,
  items: Record<string, unknown>[],
  opts: { fragment: string; defaultTop: number; maxTop: number; defaultFields?: string[]; directory: boolean; searchFields?: string[] },
): SimResponse {
  const consistency = (ctx.req.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
  const filterSrc = queryParam(ctx, '$filter');
  const countParam = queryParam(ctx, '$count');
  const search = queryParam(ctx, '$search');
  const orderby = queryParam(ctx, '$orderby');
  const topParam = queryParam(ctx, '$top');
  const skipParam = queryParam(ctx, '$skip');
  const skipToken = queryParam(ctx, '$skiptoken');
  let list = items;
  if (opts.directory) {
    if (countParam !== null && !consistency)
      return unsupported(ctx, 'advanced-query', '$count is not currently supported.', 'Request_BadRequest');
    if (search !== null && !consistency)
      return unsupported(
        ctx,
        'advanced-query',
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        'Request_BadRequest',
      );
  }
  if (filterSrc) {
    let parsed;
    try {
      parsed = parseFilter(filterSrc);
    } catch (e) {
      return graphError(
        ctx.req,
        400,
        opts.directory ? 'Request_BadRequest' : 'BadRequest',
        `Invalid filter clause: ${(e as FilterError).message}`,
      );
    }
    if (opts.directory) {
      const advanced =
        parsed.features.has('ne') ||
        parsed.features.has('not') ||
        parsed.features.has('endswith') ||
        parsed.features.has('count') ||
        parsed.lambdaCollections.has('assignedPlans') ||
        !!orderby;
      if (advanced && (!consistency || countParam !== 'true')) {
        return unsupported(
          ctx,
          'advanced-query',
          'Unsupported Query. This filter is an advanced query: it needs the header ConsistencyLevel: eventual and $count=true.',
        );
      }
    }
    list = list.filter((i) => parsed.test(i));
  }
  if (search) {
    const terms = [...search.matchAll(/"?([A-Za-z]+):([^"]*)"?/g)].map((m) => [m[1]!, m[2]!.toLowerCase()] as const);
    list = list.filter((i) =>
      terms.every(([field, term]) =>
        String(i[field] ?? '')
          .toLowerCase()
          .includes(term),
      ),
    );
  }
  if (orderby) {
    const [field, dir] = orderby.split(/\s+/);
    const sign = dir?.toLowerCase() === 'desc' ? -1 : 1;
    list = [...list].sort((a, b) => sign * String(a[field!] ?? '').localeCompare(String(b[field!] ?? '')));
  }
  let top = opts.defaultTop;
  if (topParam !== null) {
    const n = Number(topParam);
    if (!Number.isInteger(n) || n < 1 || n > opts.maxTop) {
      return unsupported(
        ctx,
        'page-size',
        `Invalid page size specified: '${topParam}'. Must be between 1 and ${opts.maxTop} inclusive.`,
        opts.directory ? 'Request_BadRequest' : 'BadRequest',
      );
    }
    top = n;
  }
  let offset = 0;
  if (skipToken) {
    const o = decodeSkipToken(skipToken);
    if (o === undefined) return graphError(ctx.req, 400, 'Request_BadRequest', 'The specified page token value has expired or is invalid.');
    offset = o;
  } else if (skipParam !== null) offset = Math.max(0, Number(skipParam) || 0);
  const page = list.slice(offset, offset + top);
  const select = queryParam(ctx, '$select');
  const body: Record<string, unknown> = { '@odata.context': context(ctx, opts.fragment) };
  if (countParam === 'true' && !skipToken) body['@odata.count'] = list.length;
  if (offset + top < list.length) body['@odata.nextLink'] = nextLink(ctx, offset + top);
  body.value = page.map((i) => selectFields(i, select, opts.defaultFields));
  return ok(ctx, body);
}

function directoryRole(tenant: TenantState, roleTemplateId: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id: detUuid('directoryRole', tenant.id, roleTemplateId),
    deletedDateTime: null,
    description: `${ROLE_NAMES[roleTemplateId] ?? 'Directory role'} (simulated)`,
    displayName: ROLE_NAMES[roleTemplateId] ?? roleTemplateId,
    roleTemplateId,
  };
}

function memberOf(ctx: GraphCtx, u: SimUser): SimResponse {
  return ok(ctx, { '@odata.context': context(ctx, 'directoryObjects'), value: u.roles.map((r) => directoryRole(ctx.caller.tenant, r)) });
}

export function renderOrganization(t: TenantState): Record<string, unknown> {
  return {
    id: t.id,
    displayName: t.displayName,
    tenantType: 'AAD',
    countryLetterCode: 'US',
    createdDateTime: t.createdDateTime,
    verifiedDomains: [
      { capabilities: 'Email, OfficeCommunicationsOnline', isDefault: true, isInitial: true, name: t.domain, type: 'Managed' },
    ],
  };
}

export function renderSkus(t: TenantState): Record<string, unknown>[] {
  return t.skus.map(({ sku, prepaidUnits }) => ({
    id: `${t.id}_${sku.skuId}`,
    accountId: t.id,
    accountName: t.displayName,
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    consumedUnits: consumedUnits(t, sku.skuId),
    prepaidUnits: { enabled: prepaidUnits, lockedOut: 0, suspended: 0, warning: 0 },
    servicePlans: sku.servicePlans.map((p) => ({
      servicePlanId: p.servicePlanId,
      servicePlanName: p.servicePlanName,
      provisioningStatus: 'Success',
      appliesTo: 'User',
    })),
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    subscriptionIds: [detUuid('subscription', t.id, sku.skuId)],
  }));
}

/** Graph's answer for a user id or UPN the tenant does not have. */
export function userNotFound(ctx: GraphCtx): SimResponse {
  return graphError(
    ctx.req,
    404,
    'Request_ResourceNotFound',
    `Resource '${ctx.params[0]}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export const userRoutes: GraphRoute[] = [
  {
    method: 'GET',
    re: /^\/users$/i,
    perms: USERS_READ,
    handler: (ctx) =>
      listCollection(ctx, ctx.caller.tenant.users.map(renderUser), {
        fragment: 'users',
        defaultTop: 100,
        maxTop: 999,
        defaultFields: USER_DEFAULT_FIELDS,
        directory: true,
      }),
  },
  {
    method: 'GET',
    re: /^\/users\/([^/]+)$/i,
    perms: USERS_READ,
    handler: (ctx) => {
      const u = userLookup(ctx.caller.tenant, ctx.params[0]!);
      if (!u) return userNotFound(ctx);
      return ok(ctx, {
        '@odata.context': context(ctx, 'users/$entity'),
        ...selectFields(renderUser(u), queryParam(ctx, '$select'), USER_DEFAULT_FIELDS),
      });
    },
  },
  {
    method: 'GET',
    re: /^\/users\/([^/]+)\/memberOf$/i,
    perms: MEMBER_OF,
    handler: (ctx) => {
      const u = userLookup(ctx.caller.tenant, ctx.params[0]!);
      if (!u) return userNotFound(ctx);
      return memberOf(ctx, u);
    },
  },
  {
    method: 'GET',
    re: /^\/me$/i,
    perms: ME_READ,
    handler: (ctx) =>
      ok(ctx, {
        '@odata.context': context(ctx, 'users/$entity'),
        ...selectFields(renderUser(ctx.caller.user!), queryParam(ctx, '$select'), USER_DEFAULT_FIELDS),
      }),
  },
  { method: 'GET', re: /^\/me\/memberOf$/i, perms: MEMBER_OF, handler: (ctx) => memberOf(ctx, ctx.caller.user!) },
  // Simulated tenants have no groups, so transitive memberships are the direct ones. Least privilege: User.Read.
  { method: 'GET', re: /^\/me\/transitiveMemberOf$/i, perms: MEMBER_OF, handler: (ctx) => memberOf(ctx, ctx.caller.user!) },
  {
    method: 'GET',
    re: /^\/organization$/i,
    perms: ORG_READ,
    handler: (ctx) =>
      ok(ctx, {
        '@odata.context': context(ctx, 'organization'),
        value: [selectFields(renderOrganization(ctx.caller.tenant), queryParam(ctx, '$select'))],
      }),
  },
  {
    method: 'GET',
    re: /^\/organization\/([^/]+)$/i,
    perms: ORG_READ,
    handler: (ctx) =>
      ctx.params[0]!.toLowerCase() === ctx.caller.tenant.id
        ? ok(ctx, {
            '@odata.context': context(ctx, 'organization/$entity'),
            ...selectFields(renderOrganization(ctx.caller.tenant), queryParam(ctx, '$select')),
          })
        : graphError(ctx.req, 404, 'Request_ResourceNotFound', `Resource '${ctx.params[0]}' does not exist.`),
  },
  {
    method: 'GET',
    re: /^\/subscribedSkus$/i,
    perms: SKU_READ,
    handler: (ctx) => {
      const select = queryParam(ctx, '$select');
      return ok(ctx, {
        '@odata.context': context(ctx, 'subscribedSkus'),
        value: renderSkus(ctx.caller.tenant).map((s) => selectFields(s, select)),
      });
    },
  },
];
