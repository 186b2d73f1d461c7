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

/** Answered by the Functions host itself (empty body) when the key is missing or wrong. */
export const unauthorized = { 401: { description: 'Missing or wrong function key (answered by the Functions host, no body).' } };

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

export const problemResponses = (
  ...statuses: number[]
): Record<number, { description: string; content: Record<string, { schema: typeof ProblemSchema }> }> =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: 'Problem', content: { 'application/problem+json': { schema: ProblemSchema } } }]),
  );
