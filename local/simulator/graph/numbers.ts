/**
 * Graph Teams administration: telephone number management (list, assign / unassign as long-running operations
 * answered with 202 + Location, update) and user configurations.
 */
import type { SimResponse } from '../http';
import { applyNumberAssignment, NumberOperation, releaseNumber, TenantState } from '../tenants/model';
import { phoneSystemCapable, renderUserConfiguration } from '../tenants/teams';
import { context, graphError, GraphCtx, GraphRoute, ok, queryParam, selectFields } from './common';
import { listCollection, userLookup } from './users';

const NUMBERS_READ = {
  delegated: ['TeamsTelephoneNumber.Read.All', 'TeamsTelephoneNumber.ReadWrite.All'],
  application: ['TeamsTelephoneNumber.Read.All', 'TeamsTelephoneNumber.ReadWrite.All'],
};
const NUMBERS_WRITE = { delegated: ['TeamsTelephoneNumber.ReadWrite.All'], application: ['TeamsTelephoneNumber.ReadWrite.All'] };
const USERCONFIG_READ = { delegated: ['TeamsUserConfiguration.Read.All'], application: ['TeamsUserConfiguration.Read.All'] };

function e164(n: string): string {
  const trimmed = n.trim();
  return trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
}

function operationLocation(ctx: GraphCtx, id: string): string {
  return `${ctx.req.origin}/${ctx.version}/admin/teams/telephoneNumberManagement/operations('${id}')`;
}

function newOperation(
  ctx: GraphCtx,
  kind: NumberOperation['kind'],
  telephoneNumber: string,
  decide: () => { ok: true; apply: () => void } | { ok: false; detail: string },
): SimResponse {
  const t = ctx.caller.tenant;
  const id = ctx.state.rng.uuid('number-operation');
  const op: NumberOperation = {
    id,
    createdDateTime: new Date().toISOString(),
    kind,
    polls: 0,
    pollsNeeded: Math.max(1, ctx.state.faults.numberOperationPolls),
    outcome: 'succeeded',
    statusDetail: '',
    telephoneNumber,
    applied: false,
    apply: () => {
      const forced = ctx.state.faults.failingNumbers.get(telephoneNumber);
      if (forced !== undefined) {
        ctx.state.faults.failingNumbers.delete(telephoneNumber);
        op.outcome = 'failed';
        op.statusDetail = forced || 'The operation failed (injected fault).';
        return;
      }
      const d = decide();
      if (d.ok) {
        d.apply();
        op.outcome = 'succeeded';
        op.statusDetail = kind === 'assign' ? 'The number was assigned.' : 'The number was unassigned.';
      } else {
        op.outcome = 'failed';
        op.statusDetail = d.detail;
      }
    },
  };
  t.numberOperations.set(id, op);
  return { status: 202, headers: { location: operationLocation(ctx, id) }, text: '', tenantId: t.id };
}

function renderOperation(ctx: GraphCtx, op: NumberOperation, advance: boolean): Record<string, unknown> {
  if (advance && !op.applied) {
    op.polls += 1;
    if (op.polls >= op.pollsNeeded) {
      op.apply();
      op.applied = true;
    }
  }
  // not yet polled, or first of at least three polls: notStarted; later polls: running; the last poll: final status
  const status = op.applied ? op.outcome : op.polls === 0 || (op.polls === 1 && op.pollsNeeded > 2) ? 'notStarted' : 'running';
  const number = ctx.caller.tenant.numbers.get(op.telephoneNumber);
  return {
    '@odata.context': context(ctx, 'admin/teams/telephoneNumberManagement/operations/$entity'),
    id: op.id,
    createdDateTime: op.createdDateTime,
    status,
    numbers: [
      {
        resourceLocation: `${ctx.req.origin}/${ctx.version}/admin/teams/telephoneNumberManagement/numberAssignments/${number?.id ?? encodeURIComponent(op.telephoneNumber)}`,
        status,
        statusDetail: op.applied ? op.statusDetail : null,
      },
    ],
  };
}

function assign(ctx: GraphCtx): SimResponse {
  const b = ctx.body as {
    telephoneNumber?: string;
    assignmentTargetId?: string;
    numberType?: string;
    assignmentCategory?: string;
    locationId?: string;
  };
  if (!b?.telephoneNumber || !b.assignmentTargetId || !b.numberType)
    return graphError(ctx.req, 400, 'BadRequest', 'telephoneNumber, assignmentTargetId and numberType are required.');
  const t: TenantState = ctx.caller.tenant;
  const phone = e164(b.telephoneNumber);
  return newOperation(ctx, 'assign', phone, () => {
    const user = t.usersById.get(b.assignmentTargetId!.toLowerCase());
    if (!user) return { ok: false, detail: `Assignment target '${b.assignmentTargetId}' was not found.` };
    if (!phoneSystemCapable(user)) return { ok: false, detail: `The target has no enabled Teams Phone licence.` };
    const existing = t.numbers.get(phone);
    if (!existing && b.numberType !== 'directRouting')
      return { ok: false, detail: `Telephone number ${phone} is not in the tenant's ${b.numberType} inventory.` };
    if (existing && existing.numberType !== b.numberType)
      return { ok: false, detail: `Telephone number ${phone} is a ${existing.numberType} number, not ${b.numberType}.` };
    if (existing?.assignmentTargetId && existing.assignmentTargetId !== user.id)
      return { ok: false, detail: `Telephone number ${phone} is already assigned to another target.` };
    return {
      ok: true,
      apply: () => {
        const n = applyNumberAssignment(t, user, phone, b.numberType!, b.assignmentCategory ?? 'primary');
        if (b.locationId !== undefined) n.locationId = b.locationId;
      },
    };
  });
}

function unassign(ctx: GraphCtx): SimResponse {
  const b = ctx.body as { telephoneNumber?: string; numberType?: string };
  if (!b?.telephoneNumber || !b.numberType) return graphError(ctx.req, 400, 'BadRequest', 'telephoneNumber and numberType are required.');
  const t = ctx.caller.tenant;
  const phone = e164(b.telephoneNumber);
  return newOperation(ctx, 'unassign', phone, () => {
    const n = t.numbers.get(phone);
    if (!n) return { ok: false, detail: `Telephone number ${phone} was not found.` };
    if (n.numberType !== b.numberType)
      return { ok: false, detail: `Telephone number ${phone} is a ${n.numberType} number, not ${b.numberType}.` };
    if (!n.assignmentTargetId) return { ok: false, detail: `Telephone number ${phone} is not assigned.` };
    return {
      ok: true,
      apply: () => releaseNumber(t, n),
    };
  });
}

function update(ctx: GraphCtx): SimResponse {
  const b = ctx.body as {
    telephoneNumber?: string;
    locationId?: string | null;
    networkSiteId?: string | null;
    reverseNumberLookupOptions?: string[];
  };
  const n = b?.telephoneNumber ? ctx.caller.tenant.numbers.get(e164(b.telephoneNumber)) : undefined;
  if (!n) return graphError(ctx.req, 404, 'NotFound', `Telephone number '${b?.telephoneNumber ?? ''}' was not found.`);
  if (b.locationId !== undefined && b.locationId !== null) n.locationId = b.locationId === '' ? null : b.locationId;
  if (b.networkSiteId !== undefined && b.networkSiteId !== null) n.networkSiteId = b.networkSiteId === '' ? null : b.networkSiteId;
  if (b.reverseNumberLookupOptions) n.reverseNumberLookupOptions = b.reverseNumberLookupOptions;
  return { status: 200, text: '', tenantId: ctx.caller.tenant.id };
}

const NM = '\\/admin\\/teams\\/telephoneNumberManagement';
export const numberRoutes: GraphRoute[] = [
  {
    method: 'GET',
    re: new RegExp(`^${NM}/numberAssignments$`, 'i'),
    perms: NUMBERS_READ,
    handler: (ctx) =>
      listCollection(ctx, [...ctx.caller.tenant.numbers.values()] as unknown as Record<string, unknown>[], {
        fragment: 'admin/teams/telephoneNumberManagement/numberAssignments',
        defaultTop: 500,
        maxTop: 1000,
        directory: false,
      }),
  },
  {
    method: 'GET',
    re: new RegExp(`^${NM}/numberAssignments/([^/]+)$`, 'i'),
    perms: NUMBERS_READ,
    handler: (ctx) => {
      const n = [...ctx.caller.tenant.numbers.values()].find((x) => x.id === ctx.params[0]);
      if (!n) return graphError(ctx.req, 404, 'NotFound', `Number assignment '${ctx.params[0]}' was not found.`);
      return ok(ctx, {
        '@odata.context': context(ctx, 'admin/teams/telephoneNumberManagement/numberAssignments/$entity'),
        ...selectFields({ ...n }, queryParam(ctx, '$select')),
      });
    },
  },
  {
    method: 'POST',
    re: new RegExp(`^${NM}/numberAssignments/(?:microsoft\\.graph\\.teamsAdministration\\.)?assignNumber$`, 'i'),
    perms: NUMBERS_WRITE,
    handler: assign,
  },
  {
    method: 'POST',
    re: new RegExp(`^${NM}/numberAssignments/(?:microsoft\\.graph\\.teamsAdministration\\.)?unassignNumber$`, 'i'),
    perms: NUMBERS_WRITE,
    handler: unassign,
  },
  {
    method: 'POST',
    re: new RegExp(`^${NM}/numberAssignments/(?:microsoft\\.graph\\.teamsAdministration\\.)?updateNumber$`, 'i'),
    perms: NUMBERS_WRITE,
    handler: update,
  },
  {
    method: 'GET',
    re: new RegExp(`^${NM}/operations$`, 'i'),
    perms: NUMBERS_READ,
    handler: (ctx) =>
      ok(ctx, {
        '@odata.context': context(ctx, 'admin/teams/telephoneNumberManagement/operations'),
        value: [...ctx.caller.tenant.numberOperations.values()].map((o) => renderOperation(ctx, o, false)),
      }),
  },
  {
    method: 'GET',
    re: new RegExp(`^${NM}/operations/([^/]+)$`, 'i'),
    perms: NUMBERS_READ,
    handler: (ctx) => {
      const op = ctx.caller.tenant.numberOperations.get(decodeURIComponent(ctx.params[0]!));
      if (!op) return graphError(ctx.req, 404, 'NotFound', `Operation '${ctx.params[0]}' was not found.`);
      return ok(ctx, renderOperation(ctx, op, true));
    },
  },
  {
    method: 'GET',
    re: /^\/admin\/teams\/userConfigurations$/i,
    perms: USERCONFIG_READ,
    handler: (ctx) =>
      listCollection(
        ctx,
        ctx.caller.tenant.users.map((u) => renderUserConfiguration(ctx.caller.tenant, u)),
        {
          fragment: 'admin/teams/userConfigurations',
          defaultTop: 100,
          maxTop: 999,
          directory: false,
        },
      ),
  },
  {
    method: 'GET',
    re: /^\/admin\/teams\/userConfigurations\/([^/]+)$/i,
    perms: USERCONFIG_READ,
    handler: (ctx) => {
      const u = userLookup(ctx.caller.tenant, ctx.params[0]!);
      if (!u) return graphError(ctx.req, 404, 'NotFound', `User configuration '${ctx.params[0]}' was not found.`);
      return ok(ctx, {
        '@odata.context': context(ctx, 'admin/teams/userConfigurations/$entity'),
        ...selectFields(renderUserConfiguration(ctx.caller.tenant, u), queryParam(ctx, '$select')),
      });
    },
  },
];
