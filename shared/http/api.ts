/**
 * The plumbing every JSON endpoint shares: a correlation id on every response, bodies read and validated with zod,
 * domain errors mapped to RFC 9457 problems with stable codes, and a last-resort 500 that never shows internals.
 */
import { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { DomainError, fail, ok, Result } from '../domain/errors';
import { correlationId as readCorrelationId, CORRELATION_HEADER } from './correlation';
import { HTTP_STATUS, problem, PROBLEM_CONTENT_TYPE, ProblemCode } from './problem';
import { firstInvalidUtf8Byte } from './utf8';

export const MAX_JSON_BYTES = 256 * 1024;

export interface ApiRequest {
  request: HttpRequest;
  context: InvocationContext;
  correlationId: string;
}

export type ApiHandler = (api: ApiRequest) => Promise<HttpResponseInit>;

export function problemResponse(error: DomainError<ProblemCode>, api: Pick<ApiRequest, 'correlationId' | 'request'>): HttpResponseInit {
  const status = HTTP_STATUS[error.code];
  const body = problem(status, error.code, titleFor(error.code), {
    detail: error.message,
    instance: new URL(api.request.url).pathname,
    correlationId: api.correlationId,
    ...(error.details ?? {}),
  });
  return {
    status,
    body: JSON.stringify(body),
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, [CORRELATION_HEADER]: api.correlationId },
  };
}

export function jsonResponse(
  status: number,
  body: unknown,
  api: Pick<ApiRequest, 'correlationId'>,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return { status, jsonBody: body, headers: { [CORRELATION_HEADER]: api.correlationId, 'cache-control': 'no-store', ...headers } };
}

function titleFor(code: string): string {
  return code
    .toLowerCase()
    .split('_')
    .map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}

/** Turns zod issues into one problem that names every bad field. */
export function validationFailed(error: z.ZodError, where: 'body' | 'query' | 'path' = 'body'): DomainError<ProblemCode> {
  const errors = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'is not a known property' }))
      : [{ field: issue.path.join('.') || '(root)', message: issue.message }],
  );
  return {
    code: 'VALIDATION_FAILED',
    message: `The request ${where} is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}.`,
    details: { errors },
  };
}

/** The charset a Content-Type names, lower-cased, or undefined when it names none. */
function charsetOf(contentType: string | null): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

/**
 * The body as text: at most `maxBytes`, UTF-8 only. A charset other than UTF-8 is refused (415), and so are bytes
 * that are not UTF-8 (400, with the offset of the first bad byte) rather than silently replaced.
 */
export async function readText(request: HttpRequest, maxBytes: number): Promise<Result<string, ProblemCode>> {
  const charset = charsetOf(request.headers.get('content-type'));
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return fail('UNSUPPORTED_MEDIA_TYPE', `Send the body in UTF-8 (charset=utf-8); charset=${charset.slice(0, 40)} is not accepted.`);
  }
  // Refuse a declared oversize body before buffering it.
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) {
    return fail('PAYLOAD_TOO_LARGE', `The body may be at most ${maxBytes} bytes.`);
  }
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxBytes) return fail('PAYLOAD_TOO_LARGE', `The body may be at most ${maxBytes} bytes.`);
  const bad = firstInvalidUtf8Byte(bytes);
  if (bad >= 0) {
    return fail('BODY_NOT_UTF8', `The body is not valid UTF-8: the byte at offset ${bad} (0x${bytes[bad]?.toString(16)}) is not.`, {
      byteOffset: bad,
    });
  }
  return ok(bytes.toString('utf8'));
}

export async function readJson<S extends z.ZodTypeAny>(
  request: HttpRequest,
  schema: S,
  maxBytes = MAX_JSON_BYTES,
): Promise<Result<z.infer<S>, ProblemCode>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    return fail('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  const text = await readText(request, maxBytes);
  if (!text.ok) return text;
  let data: unknown;
  try {
    data = JSON.parse(text.value);
  } catch {
    return fail('MALFORMED_JSON', 'The body is not valid JSON.');
  }
  const parsed = schema.safeParse(data);
  return parsed.success ? ok(parsed.data) : { ok: false, error: validationFailed(parsed.error) };
}

export function parseWith<S extends z.ZodTypeAny>(schema: S, value: unknown, where: 'query' | 'path'): Result<z.infer<S>, ProblemCode> {
  const parsed = schema.safeParse(value);
  return parsed.success ? ok(parsed.data) : { ok: false, error: validationFailed(parsed.error, where) };
}

/** Wraps a handler: correlation id in, problem+json out for anything unexpected (logged, never shown). */
export function api(handler: ApiHandler): HttpHandler {
  return async (request, context) => {
    const correlationId = readCorrelationId(request.headers);
    try {
      return await handler({ request, context, correlationId });
    } catch (err) {
      context.error(
        `Unhandled error (correlation ${correlationId}): ${err instanceof Error ? err.name + ': ' + err.message.split('\n')[0] : 'unknown'}`,
      );
      return problemResponse(
        { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side. Quote the correlation id when you report it.' },
        { correlationId, request },
      );
    }
  };
}
