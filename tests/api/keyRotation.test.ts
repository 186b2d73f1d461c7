/**
 * Rotating the master secret (docs/operations.md), as configured: during the overlap, links signed with the previous
 * key still open the integration page and new ones carry the new key's id; a link under a key id the app no longer
 * holds is refused. (Dropping the previous key: tests/unit/keyRing.test.ts; one stack per file, as the host loads the
 * app once per process.)
 */
import { decodeProtectedHeader } from 'jose';
import { singleKey } from '../../shared/security/keyRing';
import { LinkSigner } from '../../shared/security/signedLinks';
import { DEMO_TENANT_ID } from '../../local/simulator';
import { Browser, formField } from '../support/browser';
import { LINK_KEYS, LINK_SIGNING_KEY, LINK_SIGNING_KEY_ID, Stack, startStack } from '../support/stack';

const NEW_KEY = { LINK_SIGNING_KEY: 'the-rotated-master-secret-0123456789abcdef', LINK_SIGNING_KEY_ID: 'test-k2' };
const refusal = (body: string) => /Reason: ([A-Z_]+)/.exec(body)?.[1];

/** Enables an account; returns the link from its "activate" email and one signed with the key before the rotation. */
async function enable(stack: Stack, accountId: string) {
  const globalAdmin = { portalUserId: `ga-${accountId}`, displayName: 'Gale Admin', email: `ga@${accountId}.example` };
  const res = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: accountId, licenseCount: 5, globalAdmin, tenantId: DEMO_TENANT_ID },
  });
  expect(res.status).toBe(201);
  await stack.host.runTimer('deliverOutbox');
  const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === globalAdmin.email));
  const emailed = new URL(/(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string).searchParams.get(
    'link',
  ) as string;
  const request = {
    purpose: 'integration' as const,
    accountId,
    globalAdminId: globalAdmin.portalUserId,
    globalAdminEmail: globalAdmin.email,
  };
  const signedBefore = await new LinkSigner(LINK_KEYS, 3600).sign(request);
  return { emailed, signedBefore, request };
}

describe('during the overlap (previous key still configured)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...NEW_KEY, LINK_SIGNING_KEYS_PREVIOUS: `${LINK_SIGNING_KEY_ID}:${LINK_SIGNING_KEY}` } });
  });
  afterAll(() => stack?.stop());

  test('a link signed with the previous key opens the page, and Authorize works; new links carry the new kid', async () => {
    const { emailed, signedBefore } = await enable(stack, 'rotating');
    expect(decodeProtectedHeader(emailed).kid).toBe('test-k2');
    expect(decodeProtectedHeader(signedBefore).kid).toBe(LINK_SIGNING_KEY_ID);
    for (const link of [signedBefore, emailed]) {
      const browser = new Browser();
      const page = await browser.request(`${stack.url}/api/integration?link=${link}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<button type="submit">Authorize</button>');
      const hop = await browser.request(`${stack.url}/api/integration/authorize`, {
        form: { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string },
      });
      expect(hop.status).toBe(303);
    }
  });

  test('a link signed under a key id that is no longer configured is refused', async () => {
    const { request } = await enable(stack, 'dropped');
    const dropped = await new LinkSigner(singleKey('test-k0', LINK_SIGNING_KEY), 3600).sign(request);
    const hop = await new Browser().request(`${stack.url}/api/integration?link=${dropped}`);
    expect(hop.status).toBe(403);
    expect(refusal(hop.body)).toBe('LINK_INVALID');
  });
});
