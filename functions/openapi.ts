/** GET /api/openapi.json — the API description, generated from the zod schemas the endpoints validate with. */
import { app } from '@azure/functions';
import { container } from '../shared/container';
import { api, jsonResponse } from '../shared/http/api';
import { openApiDocument } from '../shared/http/openapi';

app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: api(async (req) => jsonResponse(200, openApiDocument(container().version), req)),
});
