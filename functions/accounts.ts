/**
 * Accounts API for the provider's portal backend:
 *   PUT    /api/accounts/{accountId}              provider          create or update (If-Match optional)
 *   GET    /api/accounts/{accountId}              provider, admin   the account (ETag = version)
 *   GET    /api/accounts/{accountId}/status       provider, admin   sync status, GA, licences
 *   DELETE /api/accounts/{accountId}/integration  provider          remove the integration (final sync)
 */
import { app, HttpResponseInit } from '@azure/functions';
import { AccountPutSchema } from '../shared/api/accounts/schemas';
import { accountOverviewView, accountView, statusOverviewView } from '../shared/api/accounts/views';
import { container } from '../shared/container';
import { accountRoute } from '../shared/http/accountRoute';
import { api, ApiRequest, jsonResponse, problemResponse, readJson } from '../shared/http/api';
import { optionalIfMatch, versionEtag } from '../shared/http/etag';

export async function putAccount(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider']);
  if (!id.ok) return problemResponse(id.error, req);
  const version = optionalIfMatch(req.request.headers, 'account');
  if (!version.ok) return problemResponse(version.error, req);
  const body = await readJson(req.request, AccountPutSchema);
  if (!body.ok) return problemResponse(body.error, req);
  const result = await container().accounts.upsert(id.value, body.value, version.value);
  if (!result.ok) return problemResponse(result.error, req);
  const { account, created, signalFailure } = result.value;
  if (signalFailure) warnUnsignalled(req, account.accountId, signalFailure);
  return jsonResponse(created ? 201 : 200, accountView(account), req, {
    etag: versionEtag(account.version),
    ...(created ? { location: `/api/accounts/${encodeURIComponent(account.accountId)}` } : {}),
  });
}

/** The change and its emails are saved; only their prompt delivery was lost, and the outbox timer sends them. */
function warnUnsignalled(req: ApiRequest, accountId: string, reason: string): void {
  req.context.warn(`Emails queued for account ${accountId} were not signalled (${reason}); the outbox timer sends them.`);
}

/** GET of the account and of its status: the same read, two views. */
function readAccount(view: typeof accountOverviewView | typeof statusOverviewView) {
  return async (req: ApiRequest): Promise<HttpResponseInit> => {
    const id = accountRoute(req, ['provider', 'admin']);
    if (!id.ok) return problemResponse(id.error, req);
    const result = await container().accounts.get(id.value);
    if (!result.ok) return problemResponse(result.error, req);
    return jsonResponse(200, view(result.value), req, { etag: versionEtag(result.value.account.version) });
  };
}

export const getAccount = readAccount(accountOverviewView);

export const getAccountStatus = readAccount(statusOverviewView);

export async function deleteIntegration(req: ApiRequest): Promise<HttpResponseInit> {
  const id = accountRoute(req, ['provider']);
  if (!id.ok) return problemResponse(id.error, req);
  const version = optionalIfMatch(req.request.headers, 'account');
  if (!version.ok) return problemResponse(version.error, req);
  const result = await container().accounts.remove(id.value, version.value);
  if (!result.ok) return problemResponse(result.error, req);
  const { account, signalFailure } = result.value;
  if (signalFailure) warnUnsignalled(req, account.accountId, signalFailure);
  return jsonResponse(202, accountView(account), req, { etag: versionEtag(account.version) });
}

app.http('putAccount', { route: 'accounts/{accountId}', methods: ['PUT'], authLevel: 'function', handler: api(putAccount) });
app.http('getAccount', { route: 'accounts/{accountId}', methods: ['GET'], authLevel: 'function', handler: api(getAccount) });
app.http('getAccountStatus', {
  route: 'accounts/{accountId}/status',
  methods: ['GET'],
  authLevel: 'function',
  handler: api(getAccountStatus),
});
app.http('deleteIntegration', {
  route: 'accounts/{accountId}/integration',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: api(deleteIntegration),
});
