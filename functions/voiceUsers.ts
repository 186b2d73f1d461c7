/**
 * The account's voice-user directory, pushed by the portal backend:
 *   PUT /api/accounts/{accountId}/voice-users[?defaultCountry=US]   provider, admin   JSON or text/csv; all or nothing
 */
import { app, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { VoiceUsersQuerySchema } from '../shared/api/voiceUsers/schemas';
import { container } from '../shared/container';
import { Result } from '../shared/domain/errors';
import { parseDirectoryCsv, parseDirectoryJson } from '../shared/domain/voiceDirectoryFormats';
import { DirectoryOptions, VoiceUser } from '../shared/domain/voiceUser';
import { accountRoute } from '../shared/http/accountRoute';
import { readQuery } from '../shared/http/query';
import { api, ApiRequest, jsonResponse, problemResponse, readJson, readText } from '../shared/http/api';
import { versionEtag } from '../shared/http/etag';
import { ProblemCode } from '../shared/http/problem';

/** Room for 10,000 voice users. */
const MAX_DIRECTORY_BYTES = 5 * 1024 * 1024;

/** The directory from the body, CSV or JSON by its content type, parsed and validated as a whole. */
async function readDirectory(req: ApiRequest, options: DirectoryOptions): Promise<Result<VoiceUser[], ProblemCode>> {
  if (/^text\/csv\b/i.test(req.request.headers.get('content-type') ?? '')) {
    const text = await readText(req.request, MAX_DIRECTORY_BYTES);
    return text.ok ? parseDirectoryCsv(text.value, options) : text;
  }
  const body = await readJson(req.request, z.unknown(), MAX_DIRECTORY_BYTES);
  if (body.ok) return parseDirectoryJson(body.value, options);
  return body.error.code === 'UNSUPPORTED_MEDIA_TYPE'
    ? { ok: false, error: { ...body.error, message: 'Send the directory as application/json or text/csv.' } }
    : body;
}

export async function putVoiceUsers(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider', 'admin']);
  if (!id.ok) return problemResponse(id.error, req);
  const query = readQuery(req.request, VoiceUsersQuerySchema);
  if (!query.ok) return problemResponse(query.error, req);
  const directory = await readDirectory(req, query.value);
  if (!directory.ok) return problemResponse(directory.error, req);
  const result = await container().mapping.importDirectory(id.value, directory.value);
  if (!result.ok) return problemResponse(result.error, req);
  return jsonResponse(200, result.value, req, { etag: versionEtag(result.value.version) });
}

app.http('putVoiceUsers', {
  route: 'accounts/{accountId}/voice-users',
  methods: ['PUT'],
  authLevel: 'function',
  handler: api(putVoiceUsers),
});
