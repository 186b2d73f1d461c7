/** The check every `/accounts/{accountId}/…` route starts with: a valid account id, actor headers, and the right role. */
import { HttpRequest } from '@azure/functions';
import { AccountPathParams } from '../api/common';
import { z } from 'zod';
import { fail, Result } from '../domain/errors';
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

/**
 * The query string, validated with `schema`. `code` (the Functions key when sent in the query string) is left out;
 * a parameter given more than once is refused rather than silently reduced to one of its values.
 */
export function readQuery<S extends z.ZodTypeAny>(request: HttpRequest, schema: S): Result<z.infer<S>, ProblemCode> {
  // From the URL itself: the host hands `request.query` over as a map, which folds repeated names into one.
  const entries = [...new URL(request.url).searchParams.entries()].filter(([name]) => name !== 'code');
  const repeated = [...new Set(entries.map(([name]) => name).filter((name, i, all) => all.indexOf(name) !== i))];
  if (repeated.length > 0) {
    const errors = repeated.map((field) => ({ field, message: 'is given more than once' }));
    return fail('VALIDATION_FAILED', `The request query is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}.`, {
      errors,
    });
  }
  return parseWith(schema, Object.fromEntries(entries), 'query');
}
