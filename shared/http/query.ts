/** Query strings of the API routes, read the same way everywhere. */
import { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { fail, Result } from '../domain/errors';
import { parseWith } from './api';
import { ProblemCode } from './problem';

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
