/** GET /api/openapi.json — the API description, generated from the zod schemas the endpoints validate with. */
import { app, HttpResponseInit } from '@azure/functions';
import { openApiDocument } from '../shared/api/document';
import { container } from '../shared/container';
import { api, ApiRequest, jsonResponse } from '../shared/http/api';

export async function openApi(req: ApiRequest): Promise<HttpResponseInit> {
  return jsonResponse(200, openApiDocument(container().version), req);
}

app.http('openApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous', handler: api(openApi) });
