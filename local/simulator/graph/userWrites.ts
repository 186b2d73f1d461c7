/**
 * Graph user writes: create user, delete user, assignLicense. As Microsoft documents: a new user needs accountEnabled,
 * displayName, mailNickname, passwordProfile and a userPrincipalName in one of the tenant's verified domains; a licence
 * is assigned only while the SKU has units left (prepaid enabled units minus consumed), and needs a usage location.
 */
import type { SimResponse } from '../http';
import { addUser, AssignedPlan, consumedUnits, removeUser, SimUser, upnDomain } from '../tenants/model';
import { context, graphError, GraphCtx, GraphRoute, ok } from './common';
import { renderUser, userLookup, userNotFound } from './users';

const USER_WRITE = {
  delegated: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
};
const LICENSE_WRITE = {
  delegated: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
};

function bad(ctx: GraphCtx, message: string): SimResponse {
  return graphError(ctx.req, 400, 'Request_BadRequest', message);
}

function createUser(ctx: GraphCtx): SimResponse {
  const t = ctx.caller.tenant;
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  for (const prop of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'])
    if (b[prop] === undefined || b[prop] === null || b[prop] === '')
      return bad(ctx, `Invalid value specified for property '${prop}' of resource 'User'.`);
  const pw = (b.passwordProfile as { password?: unknown }).password;
  if (typeof pw !== 'string' || pw.length < 8)
    return bad(ctx, `Invalid value specified for property 'passwordProfile' of resource 'User'.`);
  const upn = String(b.userPrincipalName);
  if (!/^[^@\s]+@[^@\s]+$/.test(upn)) return bad(ctx, `Invalid value specified for property 'userPrincipalName' of resource 'User'.`);
  if (!t.domains.get(upnDomain(upn))?.isVerified)
    return bad(
      ctx,
      'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
    );
  if (t.usersByUpn.has(upn.toLowerCase()))
    return bad(ctx, 'Another object with the same value for property userPrincipalName already exists.');
  const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : null);
  const u: SimUser = {
    id: ctx.state.rng.uuid('user'),
    userPrincipalName: upn,
    mail: upn,
    displayName: String(b.displayName),
    givenName: str('givenName'),
    surname: str('surname'),
    department: str('department'),
    jobTitle: str('jobTitle'),
    accountEnabled: b.accountEnabled === true,
    // no usage location until one is set: licences cannot be assigned before
    usageLocation: str('usageLocation') ?? (null as unknown as string),
    userType: 'Member',
    assignedLicenses: [],
    assignedPlans: [],
    roles: [],
    enterpriseVoiceEnabled: false,
    createdDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  addUser(t, u);
  return ok(ctx, { '@odata.context': context(ctx, 'users/$entity'), ...renderUser(u) }, 201, {
    location: `${ctx.req.origin}/${ctx.version}/directoryObjects/${u.id}/Microsoft.DirectoryServices.User`,
  });
}

function deleteUser(ctx: GraphCtx): SimResponse {
  const t = ctx.caller.tenant;
  const u = userLookup(t, ctx.params[0]!);
  if (!u) return userNotFound(ctx);
  removeUser(t, u);
  // Entra revokes a deleted user's sign-ins
  for (const [k, c] of ctx.state.codes) if (c.tenantId === t.id && c.userId === u.id) ctx.state.codes.delete(k);
  for (const [k, r] of ctx.state.refreshTokens) if (r.tenantId === t.id && r.userId === u.id) ctx.state.refreshTokens.delete(k);
  return { status: 204, text: '', tenantId: t.id };
}

function assignLicense(ctx: GraphCtx): SimResponse {
  const t = ctx.caller.tenant;
  const u = userLookup(t, ctx.params[0]!);
  if (!u) return userNotFound(ctx);
  const b = ctx.body as { addLicenses: Array<{ skuId?: string | null; disabledPlans?: string[] }>; removeLicenses: string[] };
  const adds = b.addLicenses ?? [];
  const removes = (b.removeLicenses ?? []).map((s) => s.toLowerCase());
  const skuOf = (skuId: string) => t.skus.find((s) => s.sku.skuId.toLowerCase() === skuId.toLowerCase());
  for (const a of adds) {
    const s = a.skuId ? skuOf(a.skuId) : undefined;
    if (!s) return bad(ctx, `License ${a.skuId ?? ''} does not correspond to a valid company License.`);
    if (!u.usageLocation) return bad(ctx, 'License assignment cannot be done for user with invalid usage location.');
    const held = u.assignedLicenses.some((l) => l.skuId.toLowerCase() === s.sku.skuId.toLowerCase());
    if (!held && consumedUnits(t, s.sku.skuId) >= s.prepaidUnits)
      return bad(ctx, 'License assignment failed because there are no available licenses.');
  }
  for (const r of removes) {
    if (!skuOf(r)) return bad(ctx, `License ${r} does not correspond to a valid company License.`);
    if (!u.assignedLicenses.some((l) => l.skuId.toLowerCase() === r)) return bad(ctx, 'User does not have a corresponding license.');
  }
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const a of adds) {
    const s = skuOf(a.skuId!)!;
    const disabled = (a.disabledPlans ?? []).map((p) => p.toLowerCase());
    const existing = u.assignedLicenses.find((l) => l.skuId.toLowerCase() === s.sku.skuId.toLowerCase());
    if (existing) existing.disabledPlans = [...disabled];
    else u.assignedLicenses.push({ skuId: s.sku.skuId, disabledPlans: [...disabled] });
    for (const plan of s.sku.servicePlans) {
      const status = disabled.includes(plan.servicePlanId.toLowerCase()) ? 'Deleted' : 'Enabled';
      const p: AssignedPlan | undefined = u.assignedPlans.find((x) => x.servicePlanId === plan.servicePlanId);
      if (p) p.capabilityStatus = status;
      else if (status === 'Enabled')
        u.assignedPlans.push({ assignedDateTime: now, capabilityStatus: status, service: plan.service, servicePlanId: plan.servicePlanId });
    }
  }
  for (const r of removes) {
    const s = skuOf(r)!;
    u.assignedLicenses.splice(
      u.assignedLicenses.findIndex((l) => l.skuId.toLowerCase() === r),
      1,
    );
    for (const plan of s.sku.servicePlans) {
      const p = u.assignedPlans.find((x) => x.servicePlanId === plan.servicePlanId);
      if (p) p.capabilityStatus = 'Deleted';
    }
  }
  return ok(ctx, { '@odata.context': context(ctx, 'users/$entity'), ...renderUser(u) });
}

export const userWriteRoutes: GraphRoute[] = [
  { method: 'POST', re: /^\/users$/i, perms: USER_WRITE, handler: createUser },
  { method: 'DELETE', re: /^\/users\/([^/]+)$/i, perms: USER_WRITE, handler: deleteUser },
  { method: 'POST', re: /^\/users\/([^/]+)\/(?:microsoft\.graph\.)?assignLicense$/i, perms: LICENSE_WRITE, handler: assignLicense },
];
