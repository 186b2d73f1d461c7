import { enableAccount } from '../../shared/domain/account';
import {
  bindMicrosoftIdentity,
  checkSignIn,
  GLOBAL_ADMIN_ROLE_TEMPLATE_ID,
  refusalForMicrosoftError,
  TENANT_CLAIM_GRACE_MS,
  tenantLinkAbandoned,
} from '../../shared/domain/activation';
import { renderIntegrationPage } from '../../shared/pages/integrationPage';
import { renderNotice } from '../../shared/pages/noticePage';

const TENANT = '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51';
const account = (tenantId: string | null = TENANT) =>
  enableAccount(
    'acme',
    {
      name: 'Acme <script>alert(1)</script>',
      licenseCount: 3,
      globalAdmin: { portalUserId: 'ga', displayName: 'Dana "D" Admin', email: 'd@acme.example' },
      tenantId,
    },
    { policyPrefix: 'VoiceSync', numberType: 'directRouting' },
    new Date('2026-01-01T00:00:00Z'),
  ).account;
const who = {
  tenantId: TENANT.toUpperCase(),
  objectId: 'AAAA0000-0000-0000-0000-000000000001',
  username: 'm@x',
  displayName: 'M',
  roleTemplateIds: [GLOBAL_ADMIN_ROLE_TEMPLATE_ID],
};

describe('Microsoft error answers map to reason codes', () => {
  test.each([
    ['consent_required', 'AADSTS65004: The resource owner or authorization server denied the request.', 'CONSENT_DECLINED'],
    ['access_denied', 'AADSTS65004: User declined to consent', 'CONSENT_DECLINED'],
    ['access_denied', 'AADSTS90094: Administrator consent is required.', 'ADMIN_APPROVAL_REQUIRED'],
    ['access_denied', 'AADSTS90095: admin consent workflow', 'ADMIN_APPROVAL_REQUIRED'],
    ['interaction_required', 'AADSTS50076: Due to a configuration change…', 'MFA_REQUIRED'],
    ['invalid_grant', 'AADSTS50079: must enroll', 'MFA_REQUIRED'],
    ['access_denied', '', 'CONSENT_DECLINED'],
    ['interaction_required', '', 'MFA_REQUIRED'],
    ['server_error', 'AADSTS90000 something', 'MICROSOFT_SIGN_IN_FAILED'],
  ])('%s / %s → %s', (error, description, code) => {
    expect(refusalForMicrosoftError(error, description)).toBe(code);
  });
});

describe('sign-in checks', () => {
  test('the account tenant, compared without case', () => {
    expect(checkSignIn(account(), who).ok).toBe(true);
    expect(checkSignIn(account(), { ...who, tenantId: '9a7e4d21-3c5b-4f08-b1d6-7e2a9c4f0b83' })).toMatchObject({
      ok: false,
      error: { code: 'TENANT_MISMATCH' },
    });
  });
  test('any tenant is accepted when the provider gave none, and is then bound', () => {
    const bound = bindMicrosoftIdentity(account(null), who, new Date());
    expect(bound).toMatchObject({
      tenantId: TENANT,
      tenantBound: true,
      globalAdminObjectId: who.objectId.toLowerCase(),
      state: 'consented',
      actionNeeded: 'none',
    });
    expect(bound?.version).toBe(2);
    // Signing in again as the same person changes nothing (the provider's ETag stays valid).
    expect(bindMicrosoftIdentity(bound!, who, new Date())).toBeNull();
  });
  test('the Global Administrator role is required; other admin roles are not enough', () => {
    expect(checkSignIn(account(), { ...who, roleTemplateIds: ['69091246-20e8-4a56-aa4d-066075b2a7a8'] })).toMatchObject({
      ok: false,
      error: { code: 'NOT_GLOBAL_ADMIN' },
    });
  });
  test('once bound, only the same person', () => {
    const bound = bindMicrosoftIdentity(account(), who, new Date())!;
    expect(checkSignIn(bound, who).ok).toBe(true);
    expect(checkSignIn(bound, { ...who, objectId: 'bbbb0000-0000-0000-0000-000000000002' })).toMatchObject({
      ok: false,
      error: { code: 'GLOBAL_ADMIN_MISMATCH' },
    });
  });
});

describe('tenant links', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const bound = { ...account(null), tenantId: TENANT, tenantBound: true };

  test('a link whose account is bound to the tenant always counts, the tenant id compared without case', () => {
    expect(tenantLinkAbandoned(bound, TENANT.toUpperCase(), ago(365 * 86_400_000), now)).toBe(false);
  });

  test('a young link counts (a sign-in binding right now); once the grace is over, an unbound or missing holder lets go', () => {
    expect(tenantLinkAbandoned(account(null), TENANT, ago(TENANT_CLAIM_GRACE_MS - 1), now)).toBe(false);
    expect(tenantLinkAbandoned(account(null), TENANT, ago(TENANT_CLAIM_GRACE_MS), now)).toBe(true);
    expect(tenantLinkAbandoned(null, TENANT, ago(TENANT_CLAIM_GRACE_MS), now)).toBe(true);
    const otherTenant = { ...bound, tenantId: '9a7e4d21-3c5b-4f08-b1d6-7e2a9c4f0b83' };
    expect(tenantLinkAbandoned(otherTenant, TENANT, ago(TENANT_CLAIM_GRACE_MS), now)).toBe(true);
  });
});

describe('pages escape what they show', () => {
  const brand = { providerName: 'Voice & <Co>', supportContact: 'help@voice.example' };
  test('integration page', () => {
    const page = renderIntegrationPage(brand, {
      account: account(),
      discovery: undefined,
      link: 'a.b"c.d',
      csrfToken: 't<k>',
      queuedChanges: 0,
    });
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('Voice &amp; &lt;Co&gt;');
    expect(page).toContain('value="a.b&quot;c.d"');
    expect(page).toContain('<html lang="en">');
  });
  test('a failed discovery explains itself and offers to try again', () => {
    const page = renderIntegrationPage(brand, {
      account: { ...account(), state: 'consented' },
      discovery: {
        status: 'failed',
        pagesRead: 0,
        usersSeen: 0,
        finishedAt: null,
        counts: null,
        error: { code: 'DISCOVERY_NOT_CONSENTED', message: 'No consent <b>' },
      },
      link: 'a.b.c',
      csrfToken: 't',
      queuedChanges: 0,
    });
    expect(page).toContain('DISCOVERY_NOT_CONSENTED');
    expect(page).toContain('No consent &lt;b&gt;');
    expect(page).toContain('Authorize again');
  });
  test('a running discovery refreshes itself and offers no button', () => {
    const page = renderIntegrationPage(brand, {
      account: { ...account(), state: 'consented' },
      discovery: { status: 'running', pagesRead: 1, usersSeen: 999, finishedAt: null, counts: null, error: null },
      link: 'a.b.c',
      csrfToken: 't',
      queuedChanges: 0,
    });
    expect(page).toContain('http-equiv="refresh"');
    expect(page).toContain('999 users so far');
    expect(page).not.toContain('<form');
  });
  test('an active account with queued mapping changes says a sync is needed and how many', () => {
    const page = renderIntegrationPage(brand, {
      account: { ...account(), state: 'active', actionNeeded: 'none' },
      discovery: {
        status: 'succeeded',
        pagesRead: 1,
        usersSeen: 30,
        finishedAt: '2026-01-01T00:00:00Z',
        counts: { users: 30, eligible: 16, callingPlan: 4, resourceAccounts: 3, gone: 0 },
        error: null,
      },
      link: 'a.b.c',
      csrfToken: 't',
      queuedChanges: 3,
    });
    expect(page).toContain('>Sync needed<');
    expect(page).toContain('<strong>3</strong> mapping changes are queued');
  });
  test('notice page', () => {
    const page = renderNotice(brand, 'TENANT_MISMATCH', 'detail <i>', 'https://app.example/api/integration?link=x&y', 'corr-1');
    expect(page).toContain('You signed in to a different Microsoft tenant');
    expect(page).toContain('detail &lt;i&gt;');
    expect(page).toContain('href="https://app.example/api/integration?link=x&amp;y"');
    expect(page).toContain('Reason: TENANT_MISMATCH');
  });
});
