/** Bearer-token checks shared by the simulated resource servers (Graph, Teams admin API, Key Vault). */
import type { SimRequest } from './http';
import type { SimState } from './state';
import type { SimUser, TenantState } from './tenants/model';
import { bearer, verifyJwt } from './tokens';

export interface Caller {
  claims: Record<string, unknown>;
  tenant: TenantState;
  /** the signed-in user for delegated tokens */
  user?: SimUser;
  appOnly: boolean;
  scopes: string[];
  roles: string[];
  clientId: string;
}

export type AuthResult =
  { ok: true; caller: Caller } | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'audience' | 'tenant'; message: string };

export function authenticate(state: SimState, req: SimRequest, audiences: string[]): AuthResult {
  const token = bearer(req.headers);
  if (!token) return { ok: false, reason: 'missing', message: 'Access token is empty.' };
  const v = verifyJwt(state.signingKey, token);
  if (!v.ok) {
    if (v.reason === 'expired') return { ok: false, reason: 'expired', message: 'Lifetime validation failed, the token is expired.' };
    return { ok: false, reason: 'invalid', message: 'Access token validation failure.' };
  }
  const c = v.claims;
  if (!audiences.includes(String(c.aud)))
    return { ok: false, reason: 'audience', message: 'Access token validation failure. Invalid audience.' };
  const tenant = state.findTenant(String(c.tid ?? ''));
  if (!tenant) return { ok: false, reason: 'tenant', message: 'The tenant of the token is unknown.' };
  const appOnly = c.idtyp === 'app';
  const user = appOnly ? undefined : tenant.usersById.get(String(c.oid));
  if (!appOnly && !user) return { ok: false, reason: 'invalid', message: 'The user of the token does not exist.' };
  return {
    ok: true,
    caller: {
      claims: c,
      tenant,
      user,
      appOnly,
      scopes: typeof c.scp === 'string' ? c.scp.split(' ').filter(Boolean) : [],
      roles: Array.isArray(c.roles) ? (c.roles as string[]) : [],
      clientId: String(c.appid ?? c.azp ?? ''),
    },
  };
}

export interface PermissionRule {
  delegated?: string[];
  application?: string[];
}

export function permitted(caller: Caller, rule: PermissionRule): boolean {
  if (caller.appOnly) return (rule.application ?? []).some((r) => caller.roles.includes(r));
  return (rule.delegated ?? []).some((s) => caller.scopes.includes(s));
}
