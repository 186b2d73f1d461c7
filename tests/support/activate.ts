/** Enables an account and activates it the way a Global Admin does (email link, consent, sign-in), then discovery. */
import { AuthorizeOutcome } from '../../local/simulator/state';
import { Browser, formField } from './browser';
import { Stack } from './stack';

const MEGAN: AuthorizeOutcome = { outcome: 'signIn', user: 'megan.bowen' };

/** Enables the account (its Global Admin is ga-{accountId}) and answers the integration page link from its email. */
export async function enableAccount(
  stack: Stack,
  accountId: string,
  licenseCount: number,
  name = `Customer ${accountId}`,
  tenantId?: string,
): Promise<string> {
  const email = `ga-${accountId}@customer.example`;
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: {
      name,
      licenseCount,
      globalAdmin: { portalUserId: `ga-${accountId}`, displayName: 'Gale Admin', email },
      ...(tenantId ? { tenantId } : {}),
    },
  });
  if (put.status !== 201) throw new Error(`PUT account answered ${put.status}`);
  await stack.deliverEmails();
  const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email) && /Activate/.test(m.subject));
  const pageUrl = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1];
  if (!pageUrl) throw new Error('no link in the activation email');
  return pageUrl;
}

/** From the integration page: Authorize, consent and sign in as Megan Bowen (Global Administrator of the demo tenant). */
export async function authorizeAsGlobalAdmin(
  stack: Stack,
  browser: Browser,
  pageUrl: string,
  admin: AuthorizeOutcome = MEGAN,
): Promise<void> {
  const page = await browser.request(pageUrl);
  const toConsent = await browser.request(`${stack.url}/api/integration/authorize`, {
    form: { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string },
  });
  stack.simulator.control.scriptAuthorize(admin, admin);
  const consentCallback = (await browser.request(toConsent.location as string)).location as string;
  const signIn = (await browser.request(consentCallback)).location as string;
  const signInCallback = (await browser.request(signIn)).location as string;
  const done = await browser.request(signInCallback);
  if (done.status !== 303) throw new Error(`activation refused: ${done.status}`);
}

export async function enableAndActivate(stack: Stack, accountId: string, licenseCount: number): Promise<void> {
  const pageUrl = await enableAccount(stack, accountId, licenseCount);
  await authorizeAsGlobalAdmin(stack, new Browser(), pageUrl);
  await stack.host.durable.whenIdle();
}
