/**
 * The OpenAPI registry and the pieces every route's description shares (problems, the function key, actor headers).
 * Schemas register here where they are defined; each feature's routes.ts registers its paths; document.ts renders.
 */
import { extendZodWithOpenApi, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export const registry = new OpenAPIRegistry();

export const ProblemSchema = registry.register(
  'Problem',
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      code: z.string().openapi({ description: 'Stable machine-readable error code, e.g. STALE_ETAG.' }),
      detail: z.string().optional(),
      instance: z.string().optional(),
      correlationId: z.string().optional(),
    })
    .passthrough()
    .openapi({ description: 'RFC 9457 problem details.' }),
);

/** The one 412 problem: it names the version stored now, so a client can read again or tell the user. */
export const StaleEtagProblemSchema = registry.register(
  'StaleEtagProblem',
  ProblemSchema.extend({
    code: z.literal('STALE_ETAG'),
    currentVersion: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The version stored now (its ETag without quotes); null when there is none.' }),
  }).openapi({ description: 'RFC 9457 problem details of 412 STALE_ETAG.' }),
);

export const functionKey = registry.registerComponent('securitySchemes', 'functionKey', {
  type: 'apiKey',
  in: 'header',
  name: 'x-functions-key',
});

/** The host also accepts the key as `?code=`, as Azure Functions does. */
export const functionKeyQuery = registry.registerComponent('securitySchemes', 'functionKeyQuery', {
  type: 'apiKey',
  in: 'query',
  name: 'code',
});

/** Either way of sending the function key. */
export const keySecurity = [{ [functionKey.name]: [] }, { [functionKeyQuery.name]: [] }];

/** Answered by the Functions host itself (empty body, no correlation id) when the key is missing or wrong. */
export const unauthorized = { 401: { description: 'Missing or wrong function key (answered by the Functions host, no body).' } };

const correlationIdHeader = registry.registerComponent('headers', 'CorrelationId', {
  description: "The request's x-correlation-id when it is 1-100 letters, digits, '.', '_' or '-'; a new one otherwise.",
  required: true,
  schema: { type: 'string' },
});

/** Response headers: the correlation id on every answer of the app, the ETag and Location where routes send them. */
export const responseHeaders = {
  correlationId: { 'x-correlation-id': correlationIdHeader.ref },
  etag: (resource: string) => ({
    ETag: { description: `The ${resource} version, for If-Match.`, required: true, schema: { type: 'string' as const } },
  }),
  location: { Location: { description: 'The URL path of the new resource.', required: true, schema: { type: 'string' as const } } },
};

/** A JSON answer of the app: the body's schema and its headers (the correlation id always). */
export function jsonAnswer<S extends z.ZodTypeAny>(
  description: string,
  schema: S,
  headers: Record<string, { description: string; required: boolean; schema: { type: 'string' } }> = {},
) {
  return { description, headers: { ...responseHeaders.correlationId, ...headers }, content: { 'application/json': { schema } } };
}

export const ifMatchHeader = z.object({
  'if-match': z.string().optional().openapi({
    description: 'The ETag last read ("3" or W/"3"); the change is refused with 412 STALE_ETAG when the account changed since.',
  }),
});

export const actorHeaders = z.object({
  'x-actor-id': z.string().openapi({ description: "The acting user's id in the provider's portal." }),
  'x-actor-role': z.enum(['provider', 'admin', 'user']),
  'x-actor-account': z
    .string()
    .optional()
    .openapi({ description: 'The account the actor belongs to (required unless the role is provider).' }),
  'x-correlation-id': z.string().optional().openapi({ description: 'Echoed in the response; generated when absent.' }),
});

type ProblemAnswer = {
  description: string;
  headers: typeof responseHeaders.correlationId;
  content: Record<string, { schema: typeof ProblemSchema | typeof StaleEtagProblemSchema }>;
};

/** Problem answers for these statuses; 412 is always STALE_ETAG and names `currentVersion`. */
export const problemResponses = (...statuses: number[]): Record<number, ProblemAnswer> =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: s === 412 ? 'STALE_ETAG: the resource changed since it was read' : 'Problem',
        headers: responseHeaders.correlationId,
        content: { 'application/problem+json': { schema: s === 412 ? StaleEtagProblemSchema : ProblemSchema } },
      },
    ]),
  );
