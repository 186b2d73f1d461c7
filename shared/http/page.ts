/**
 * The plumbing of the browser endpoints (integration page, Microsoft callbacks): a correlation id, refusals as a
 * readable HTML page with the HTTP status of their code plus a logged reason code, and a last-resort error page
 * that never shows internals.
 */
import { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { DomainError } from '../domain/errors';
import { renderNotice } from '../pages/noticePage';
import { pageHeaders, PageSite } from '../pages/layout';
import { correlationId as readCorrelationId, CORRELATION_HEADER } from './correlation';
import { HTTP_STATUS, ProblemCode } from './problem';

export interface PageRequest {
  request: HttpRequest;
  context: InvocationContext;
  correlationId: string;
  site: PageSite;
}

export function htmlResponse(status: number, body: string, req: PageRequest, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, body, headers: { ...pageHeaders(req.site.formTargets), [CORRELATION_HEADER]: req.correlationId, ...headers } };
}

export function redirect(location: string, req: PageRequest, headers: Record<string, string> = {}): HttpResponseInit {
  return { status: 303, headers: { location, 'cache-control': 'no-store', [CORRELATION_HEADER]: req.correlationId, ...headers } };
}

/**
 * A refusal: logged with its reason code (never a token or secret), shown as a page saying what to do next, with a
 * link back to the integration page when the use case gave one (`details.backUrl`).
 */
export function refusalPage(error: DomainError<ProblemCode>, req: PageRequest): HttpResponseInit {
  const { microsoftError, aadsts, backUrl } = (error.details ?? {}) as { microsoftError?: string; aadsts?: string; backUrl?: string };
  req.context.warn(
    `Refused ${new URL(req.request.url).pathname}: ${error.code}` +
      `${microsoftError ? ` (microsoft: ${microsoftError}${aadsts ? ` ${aadsts}` : ''})` : ''} correlation ${req.correlationId}`,
  );
  return htmlResponse(HTTP_STATUS[error.code], renderNotice(req.site.brand, error.code, error.message, backUrl, req.correlationId), req);
}

export function page(site: () => PageSite, handler: (req: PageRequest) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    const req = { request, context, correlationId: readCorrelationId(request.headers), site: site() };
    try {
      return await handler(req);
    } catch (err) {
      context.error(
        `Unhandled error (correlation ${req.correlationId}): ${err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : 'unknown'}`,
      );
      return htmlResponse(
        500,
        renderNotice(
          req.site.brand,
          'INTERNAL_ERROR',
          'Something went wrong on our side. Please try again in a few minutes.',
          undefined,
          req.correlationId,
        ),
        req,
      );
    }
  };
}
