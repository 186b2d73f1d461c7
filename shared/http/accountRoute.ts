/** The check every `/accounts/{accountId}/…` route starts with: a valid account id, actor headers, and the right role. */
import { HttpRequest } from '@azure/functions';
import { AccountPathParams } from '../api/common';
import { Result } from '../domain/errors';
import { ActorRole, authorize, readActor } from './actor';
import { ApiRequest, parseWith } from './api';
import { ProblemCode } from './problem';

/** The account id when this actor may use the route on it. */
export function accountRoute(req: ApiRequest, roles: ActorRole[]): Result<string, ProblemCode> {
  const params = parseWith(AccountPathParams, (req.request as HttpRequest).params, 'path');
  if (!params.ok) return params;
  const actor = readActor(req.request.headers);
  if (!actor.ok) return actor;
  const allowed = authorize(actor.value, params.value.accountId, roles);
  return allowed.ok ? { ok: true, value: params.value.accountId } : allowed;
}
