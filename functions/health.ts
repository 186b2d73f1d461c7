/** GET /api/health — liveness and dependency status, for load balancers and operators (anonymous). */
import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { container } from '../shared/container';
import { correlationId, CORRELATION_HEADER } from '../shared/http/correlation';

export async function health(request: HttpRequest): Promise<HttpResponseInit> {
  const report = await container().health.check();
  return {
    status: report.status === 'healthy' ? 200 : 503,
    jsonBody: report,
    headers: { [CORRELATION_HEADER]: correlationId(request.headers), 'cache-control': 'no-store' },
  };
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
