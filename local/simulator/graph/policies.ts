/** Graph Teams policy assignment: userAssignments assign / unassign / list, and getPolicyId. */
import type { SimResponse } from '../http';
import { canonicalIdentity, findPolicy, findPolicyById, grantPolicy, policyIdFor } from '../tenants/teams';
import { context, graphError, GraphCtx, GraphRoute, ok } from './common';
import { userLookup } from './users';

const POLICY_ASSIGN = { delegated: ['TeamsPolicyUserAssign.ReadWrite.All'], application: ['TeamsPolicyUserAssign.ReadWrite.All'] };

interface AssignmentItem {
  userId?: string;
  policyType?: string;
  policyId?: string | null;
}

function items(ctx: GraphCtx): AssignmentItem[] | undefined {
  const v = (ctx.body as { value?: unknown })?.value;
  return Array.isArray(v) ? (v as AssignmentItem[]) : undefined;
}

function assign(ctx: GraphCtx): SimResponse {
  const list = items(ctx);
  if (!list) return graphError(ctx.req, 400, 'BadRequest', "The request body needs a 'value' array.");
  const t = ctx.caller.tenant;
  const resolved: Array<{ userId: string; type: string; identity: string }> = [];
  for (const i of list) {
    const u = i.userId ? userLookup(t, i.userId) : undefined;
    if (!u) return graphError(ctx.req, 404, 'NotFound', `User '${i.userId ?? ''}' was not found.`);
    if (!i.policyType || !i.policyId)
      return graphError(ctx.req, 400, 'BadRequest', 'policyType and policyId are required to assign a policy.');
    const policy = findPolicyById(t, i.policyType, i.policyId);
    if (!policy) return graphError(ctx.req, 404, 'NotFound', `Policy '${i.policyId}' of type '${i.policyType}' was not found.`);
    resolved.push({ userId: u.id, type: i.policyType, identity: policy.Identity });
  }
  for (const r of resolved) grantPolicy(t, r.userId, r.type, r.identity);
  return { status: 204, text: '', tenantId: t.id };
}

function unassign(ctx: GraphCtx): SimResponse {
  const list = items(ctx);
  if (!list) return graphError(ctx.req, 400, 'BadRequest', "The request body needs a 'value' array.");
  const t = ctx.caller.tenant;
  for (const i of list) {
    const u = i.userId ? userLookup(t, i.userId) : undefined;
    if (!u) return graphError(ctx.req, 404, 'NotFound', `User '${i.userId ?? ''}' was not found.`);
    if (!i.policyType) return graphError(ctx.req, 400, 'BadRequest', 'policyType is required.');
  }
  for (const i of list) grantPolicy(t, userLookup(t, i.userId!)!.id, i.policyType!, null);
  return { status: 204, text: '', tenantId: t.id };
}

export const policyRoutes: GraphRoute[] = [
  {
    method: 'POST',
    re: /^\/admin\/teams\/policy\/userAssignments\/(?:microsoft\.graph\.teamsAdministration\.)?assign$/i,
    perms: POLICY_ASSIGN,
    handler: assign,
  },
  {
    method: 'POST',
    re: /^\/admin\/teams\/policy\/userAssignments\/(?:microsoft\.graph\.teamsAdministration\.)?unassign$/i,
    perms: POLICY_ASSIGN,
    handler: unassign,
  },
  {
    method: 'GET',
    re: /^\/admin\/teams\/policy\/userAssignments$/i,
    perms: POLICY_ASSIGN,
    handler: (ctx) => {
      const value = [...ctx.caller.tenant.grants.entries()].flatMap(([userId, g]) =>
        [...g.entries()].map(([policyType, identity]) => ({
          id: `${userId}_${policyType}`,
          userId,
          policyType,
          policyId: policyIdFor(policyType, identity),
        })),
      );
      return ok(ctx, { '@odata.context': context(ctx, 'admin/teams/policy/userAssignments'), value });
    },
  },
  {
    method: 'GET',
    re: /^\/admin\/teams\/policy\/(?:microsoft\.graph\.teamsAdministration\.)?getPolicyId\(type='([^']*)',name='([^']*)'\)$/i,
    perms: POLICY_ASSIGN,
    handler: (ctx) => {
      const [type, name] = [decodeURIComponent(ctx.params[0]!), decodeURIComponent(ctx.params[1]!)];
      const policy = findPolicy(ctx.caller.tenant, type, name);
      if (!policy) return graphError(ctx.req, 404, 'NotFound', `No policy of type '${type}' named '${name}'.`);
      const identity = canonicalIdentity(policy.Identity);
      return ok(ctx, {
        '@odata.context': context(ctx, 'Collection(microsoft.graph.teamsAdministration.policyIdentifierDetail)'),
        value: [{ name: identity, policyId: policyIdFor(type, identity) }],
      });
    },
  },
];
