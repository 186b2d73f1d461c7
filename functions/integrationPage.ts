/**
 * The integration page (browser, anonymous; the signed email link is the credential):
 *   GET  /api/integration?link=…          the page: account, state, next action (&refresh=off: no self-refresh)
 *   POST /api/integration/authorize       "Authorize" (form: link, csrf) → Microsoft admin consent
 *   POST /api/integration/sync            "Sync now" / "Final sync" (form: link, csrf) → Microsoft sign-in for the sync
 */
import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { container } from '../shared/container';
import { readText } from '../shared/http/api';
import { cookieHeader, CSRF_COOKIE, FLOW_COOKIE, readCookie } from '../shared/http/cookies';
import { htmlResponse, page, PageRequest, redirect, refusalPage } from '../shared/http/page';
import { renderIntegrationPage } from '../shared/pages/integrationPage';
import { randomValue } from '../shared/security/browserBinding';
import { AuthorizeForm, Redirect } from '../shared/activation/startActivation';
import { Result } from '../shared/domain/errors';

const LinkToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  .max(4096);
const PageQuery = z.object({ link: LinkToken, refresh: z.enum(['off']).optional() });
const PageForm = z.object({ link: LinkToken, csrf: z.string().max(200).optional() });
const MAX_FORM_BYTES = 16 * 1024;

const web = () => container().web;
const site = () => web().site;
const invalidLink = (req: PageRequest) =>
  refusalPage({ code: 'LINK_INVALID', message: 'This link is incomplete or damaged. Use the link from your email, unchanged.' }, req);

export async function integrationPage(req: PageRequest): Promise<HttpResponseInit> {
  const query = PageQuery.safeParse({
    link: req.request.query.get('link') ?? undefined,
    refresh: req.request.query.get('refresh') ?? undefined,
  });
  if (!query.success) return invalidLink(req);
  const csrfCookie = readCookie(req.request.headers, CSRF_COOKIE) ?? randomValue();
  const shown = await container().activation.showPage(query.data.link, csrfCookie);
  if (!shown.ok) return refusalPage(shown.error, req);
  return htmlResponse(200, renderIntegrationPage(req.site.brand, { ...shown.value, refreshOff: query.data.refresh === 'off' }), req, {
    'set-cookie': cookieHeader(CSRF_COOKIE, csrfCookie, '/api/integration', web().publicBaseUrl),
  });
}

async function readForm(request: HttpRequest): Promise<URLSearchParams | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) return undefined;
  const text = await readText(request, MAX_FORM_BYTES);
  return text.ok ? new URLSearchParams(text.value) : undefined;
}

type FormAction = (form: AuthorizeForm) => Promise<Result<Redirect>>;

/** A page form (link + CSRF) whose answer binds this browser to the OAuth flow and sends it on to Microsoft. */
async function toMicrosoft(req: PageRequest, action: FormAction): Promise<HttpResponseInit> {
  const raw = await readForm(req.request);
  const form = PageForm.safeParse({ link: raw?.get('link') ?? undefined, csrf: raw?.get('csrf') ?? undefined });
  if (!form.success) return invalidLink(req);
  const result = await action({
    link: form.data.link,
    csrfToken: form.data.csrf,
    csrfCookie: readCookie(req.request.headers, CSRF_COOKIE),
    flowCookie: readCookie(req.request.headers, FLOW_COOKIE),
  });
  if (!result.ok) return refusalPage(result.error, req);
  return redirect(result.value.location, req, {
    'set-cookie': cookieHeader(FLOW_COOKIE, result.value.flowCookie, '/api/auth', web().publicBaseUrl, 3600),
  });
}

export const integrationAuthorize = (req: PageRequest) => toMicrosoft(req, (form) => container().activation.authorize(form));
export const integrationSync = (req: PageRequest) => toMicrosoft(req, (form) => container().sync.startSignIn(form));

app.http('integrationPage', { route: 'integration', methods: ['GET'], authLevel: 'anonymous', handler: page(site, integrationPage) });
app.http('integrationAuthorize', {
  route: 'integration/authorize',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: page(site, integrationAuthorize),
});
app.http('integrationSync', {
  route: 'integration/sync',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: page(site, integrationSync),
});
