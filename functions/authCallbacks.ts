/**
 * Microsoft's redirects back to us (browser, anonymous; the single-use OAuth state is the credential):
 *   GET /api/auth/consent   after admin consent → on to the sign-in
 *   GET /api/auth/signin    after the sign-in → bind tenant and GA, start discovery, back to the integration page
 *   GET /api/auth/sync      after the sync's sign-in → check both identities, start the run, back to the page
 */
import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { CallbackResult } from '../shared/activation/callbacks';
import type { SignInCallback } from '../shared/activation/completeSignIn';
import { container } from '../shared/container';
import { FLOW_COOKIE, readCookie } from '../shared/http/cookies';
import { page, PageRequest, redirect, refusalPage } from '../shared/http/page';

const param = z.string().max(4096).optional();
const CallbackQuery = z.object({
  // Our states are 32 random bytes in base64url; anything else is not ours (and must never reach a storage key).
  state: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
  code: param,
  error: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional(),
  error_description: param,
  admin_consent: z.string().max(10).optional(),
});

const site = () => container().web.site;

function query(request: HttpRequest) {
  return CallbackQuery.safeParse(Object.fromEntries([...request.query.entries()].filter(([k]) => k in CallbackQuery.shape)));
}

function answer(outcome: CallbackResult, req: PageRequest): HttpResponseInit {
  return outcome.ok ? redirect(outcome.value, req) : refusalPage(outcome.error, req);
}

const badCallback = (req: PageRequest) =>
  refusalPage({ code: 'STATE_UNKNOWN', message: 'The answer from Microsoft is not in a form we expect.' }, req);

/** What a sign-in callback (activation or sync) hands its use case: Microsoft's answer and this browser's flow cookie. */
function signInCallbackOf(req: PageRequest, q: z.infer<typeof CallbackQuery>): SignInCallback {
  return {
    state: q.state,
    code: q.code,
    error: q.error,
    errorDescription: q.error_description,
    flowCookie: readCookie(req.request.headers, FLOW_COOKIE),
  };
}

export async function authConsentCallback(req: PageRequest): Promise<HttpResponseInit> {
  const q = query(req.request);
  if (!q.success) return badCallback(req);
  const outcome = await container().activation.completeConsent({
    state: q.data.state,
    error: q.data.error,
    errorDescription: q.data.error_description,
    adminConsent: q.data.admin_consent,
    flowCookie: readCookie(req.request.headers, FLOW_COOKIE),
  });
  return answer(outcome, req);
}

export async function authSignInCallback(req: PageRequest): Promise<HttpResponseInit> {
  const q = query(req.request);
  if (!q.success) return badCallback(req);
  const outcome = await container().activation.completeSignIn(signInCallbackOf(req, q.data), df.getClient(req.context));
  return answer(outcome, req);
}

export async function authSyncCallback(req: PageRequest): Promise<HttpResponseInit> {
  const q = query(req.request);
  if (!q.success) return badCallback(req);
  const outcome = await container().sync.completeSignIn(signInCallbackOf(req, q.data), df.getClient(req.context));
  return answer(outcome, req);
}

app.http('authConsentCallback', {
  route: 'auth/consent',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: page(site, authConsentCallback),
});
app.http('authSignInCallback', {
  route: 'auth/signin',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: page(site, authSignInCallback),
});
app.http('authSyncCallback', {
  route: 'auth/sync',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: page(site, authSyncCallback),
});
