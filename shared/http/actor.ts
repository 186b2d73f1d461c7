/**
 * Who is calling a portal-backend endpoint. The Functions key proves it is the provider's backend; these headers say
 * on whose behalf: x-actor-id, x-actor-role (provider | admin | user) and, for every role but provider,
 * x-actor-account — the only account that actor may touch.
 */
import { z } from 'zod';
import { fail, ok, Result } from '../domain/errors';
import { ProblemCode } from './problem';

export const ActorRoleSchema = z.enum(['provider', 'admin', 'user']);
export type ActorRole = z.infer<typeof ActorRoleSchema>;

export interface Actor {
  id: string;
  role: ActorRole;
  accountId: string | null;
}

const ActorHeaders = z
  .object({
    id: z.string().trim().min(1).max(128),
    role: ActorRoleSchema,
    account: z.string().trim().min(1).max(64).optional(),
  })
  .refine((h) => h.role === 'provider' || !!h.account, { message: 'x-actor-account is required for this role', path: ['account'] });

export function readActor(headers: { get(name: string): string | null }): Result<Actor, ProblemCode> {
  const parsed = ActorHeaders.safeParse({
    id: headers.get('x-actor-id') ?? undefined,
    role: headers.get('x-actor-role') ?? undefined,
    account: headers.get('x-actor-account') ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail<Actor, ProblemCode>(
      'ACTOR_HEADERS_INVALID',
      `Actor headers are missing or invalid: x-actor-${String(issue.path[0])}: ${issue.message}.`,
      {
        header: `x-actor-${String(issue.path[0])}`,
      },
    );
  }
  const { id, role, account } = parsed.data;
  return ok({ id, role, accountId: role === 'provider' ? null : (account ?? null) });
}

/** May this actor use a route allowed to `roles`, on `accountId`? An actor never reaches another account. */
export function authorize(actor: Actor, accountId: string, roles: ActorRole[]): Result<Actor, ProblemCode> {
  if (!roles.includes(actor.role)) {
    return fail<Actor, ProblemCode>('FORBIDDEN_ROLE', `This operation needs one of the roles: ${roles.join(', ')}.`, { role: actor.role });
  }
  if (actor.role !== 'provider' && actor.accountId !== accountId) {
    return fail<Actor, ProblemCode>('FORBIDDEN_ACCOUNT', 'The actor belongs to another account.');
  }
  return ok(actor);
}
