/**
 * The integration page (browser, anonymous; the signed email link is the credential):
 *   GET  /api/integration?link=…          the page: account, state, next action
 *   POST /api/integration/authorize       "Authorize" (form: link, csrf) → Microsoft admin consent
 */
import { app, HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { openIntegrationPage } from '../shared/activation/openIntegrationPage';
import { startActivation } from '../shared/activation/startActivation';
import { container } from '../shared/container';
import { cookieHeader, CSRF_COOKIE, FLOW_COOKIE, randomValue, readCookie } from '../shared/http/browserGuard';
import { readText } from '../shared/http/api';
import { htmlResponse, page, PageRequest, redirect, refusalPage } from '../shared/http/page';
import { renderIntegrationPage } from '../shared/pages/integrationPage';

const LinkToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  .max(4096);
const PageQuery = z.object({ link: LinkToken });
const AuthorizeForm = z.object({ link: LinkToken, csrf: z.string().max(200).optional() });
const MAX_FORM_BYTES = 16 * 1024;

const deps = () => container().activation;
const brand = () => deps().brand;
const invalidLink = (req: PageRequest) =>
  refusalPage(
    brand(),
    { code: 'LINK_INVALID', message: 'This link is incomplete or damaged. Use the link from your email, unchanged.' },
    req,
  );

export const showIntegrationPage = page(brand, async (req) => {
  const query = PageQuery.safeParse({ link: req.request.query.get('link') ?? undefined });
  if (!query.success) return invalidLink(req);
  const opened = await openIntegrationPage(deps(), query.data.link);
  if (!opened.ok) return refusalPage(brand(), opened.error, req);
  const { account } = opened.value.stored;
  const csrfCookie = readCookie(req.request.headers, CSRF_COOKIE) ?? randomValue();
  const [discovery, mapping] = await Promise.all([
    container().discovery.status(account.accountId),
    container().mapping.summary(account.accountId),
  ]);
  const body = renderIntegrationPage(brand(), {
    account,
    discovery,
    link: opened.value.link,
    csrfToken: deps().csrf.tokenFor(csrfCookie, account.accountId),
    queuedChanges: mapping.queued,
  });
  return htmlResponse(200, body, req, {
    'set-cookie': cookieHeader(CSRF_COOKIE, csrfCookie, '/api/integration', deps().publicBaseUrl),
  });
});

async function readForm(request: HttpRequest): Promise<URLSearchParams | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) return undefined;
  const text = await readText(request, MAX_FORM_BYTES);
  return text.ok ? new URLSearchParams(text.value) : undefined;
}

export const authorize = page(brand, async (req) => {
  const raw = await readForm(req.request);
  const form = AuthorizeForm.safeParse({ link: raw?.get('link') ?? undefined, csrf: raw?.get('csrf') ?? undefined });
  if (!form.success) return invalidLink(req);
  const result = await startActivation(deps(), {
    link: form.data.link,
    csrfToken: form.data.csrf,
    csrfCookie: readCookie(req.request.headers, CSRF_COOKIE),
    flowCookie: readCookie(req.request.headers, FLOW_COOKIE),
  });
  if (!result.ok) return refusalPage(brand(), result.error, req);
  return redirect(result.value.location, req, {
    'set-cookie': cookieHeader(FLOW_COOKIE, result.value.flowCookie, '/api/auth', deps().publicBaseUrl, 3600),
  });
});

app.http('integrationPage', { route: 'integration', methods: ['GET'], authLevel: 'anonymous', handler: showIntegrationPage });
app.http('integrationAuthorize', { route: 'integration/authorize', methods: ['POST'], authLevel: 'anonymous', handler: authorize });
