/**
 * The account's voice-user directory, pushed by the portal backend:
 *   PUT /api/accounts/{accountId}/voice-users[?defaultCountry=US]   provider, admin   JSON or text/csv; all or nothing
 */
import { app } from '@azure/functions';
import { container } from '../shared/container';
import { DomainError } from '../shared/domain/errors';
import { parseDirectoryCsv, parseDirectoryJson } from '../shared/domain/voiceDirectoryFormats';
import { accountRoute, AccountPathParams, ownQuery } from '../shared/http/accountRoute';
import { versionEtag } from '../shared/http/etag';
import { api, jsonResponse, parseWith, problemResponse, readJson, readText } from '../shared/http/api';
import { actorHeaders, keySecurity, problemResponses, registry, unauthorized } from '../shared/http/openapi';
import { ImportOutcomeSchema, VoiceUsersBodySchema, VoiceUsersQuerySchema } from '../shared/mapping/schemas';
import { z } from 'zod';

/** Room for 10,000 voice users. */
const MAX_DIRECTORY_BYTES = 5 * 1024 * 1024;

export const putVoiceUsers = api(async (req) => {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = parseWith(VoiceUsersQuerySchema, ownQuery(req.request), 'query');
  if (!query.ok) return problemResponse(query.error, req);

  const type = req.request.headers.get('content-type') ?? '';
  let parsed;
  if (/^text\/csv\b/i.test(type)) {
    const text = await readText(req.request, MAX_DIRECTORY_BYTES);
    if (!text.ok) return problemResponse(text.error, req);
    parsed = parseDirectoryCsv(text.value, query.value);
  } else {
    const body = await readJson(req.request, z.unknown(), MAX_DIRECTORY_BYTES);
    if (!body.ok) {
      const error =
        body.error.code === 'UNSUPPORTED_MEDIA_TYPE'
          ? { ...body.error, message: 'Send the directory as application/json or text/csv.' }
          : body.error;
      return problemResponse(error, req);
    }
    parsed = parseDirectoryJson(body.value, query.value);
  }
  if (!parsed.ok) {
    const error: DomainError = {
      code: 'DIRECTORY_INVALID',
      message: `The directory has ${parsed.errors.length} problem(s); nothing was changed. Fix every row listed and send it again.`,
      details: { errors: parsed.errors },
    };
    return problemResponse(error, req);
  }
  const result = await container().mapping.importDirectory(id.value, parsed.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, result.value, req, { etag: versionEtag(result.value.version) });
});

app.http('putVoiceUsers', { route: 'accounts/{accountId}/voice-users', methods: ['PUT'], authLevel: 'function', handler: putVoiceUsers });

registry.registerPath({
  method: 'put',
  path: '/accounts/{accountId}/voice-users',
  summary: 'Replace the voice-user directory (provider, admin): JSON or CSV, all or nothing; every bad row is reported.',
  security: keySecurity,
  request: {
    params: AccountPathParams,
    headers: actorHeaders,
    query: VoiceUsersQuerySchema,
    body: {
      content: {
        'application/json': { schema: VoiceUsersBodySchema },
        'text/csv': { schema: z.string().openapi({ description: 'Header row, then one voice user per line; see docs/voice-users.md.' }) },
      },
    },
  },
  responses: {
    200: { description: 'Imported', content: { 'application/json': { schema: ImportOutcomeSchema } } },
    ...unauthorized,
    ...problemResponses(400, 403, 404, 409, 413, 415, 422),
  },
});
