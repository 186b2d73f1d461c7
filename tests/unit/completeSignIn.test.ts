/**
 * completeSignIn against in-memory ports, with each interleaving of the tenant-claim race scripted step by step (the
 * API test can only hope to hit it): a claim whose binding lost is given back, a claim whose binding stands is kept.
 */
import { StoredAccount } from '../../shared/accounts/ports';
import { completeSignIn } from '../../shared/activation/completeSignIn';
import { ActivationDeps } from '../../shared/activation/deps';
import { AuthSession, AuthSessionStore, MicrosoftSignIn, TenantClaim, TenantLink, TenantLinks } from '../../shared/activation/ports';
import { DiscoveryTarget } from '../../shared/discovery/startDiscovery';
import { Account, enableAccount } from '../../shared/domain/account';
import { bindMicrosoftIdentity, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, MicrosoftIdentity } from '../../shared/domain/activation';
import { fail, ok, Result } from '../../shared/domain/errors';
import { bindingOf } from '../../shared/security/browserBinding';
import { CsrfTokens } from '../../shared/security/csrf';
import { singleKey } from '../../shared/security/keyRing';
import { LinkSigner } from '../../shared/security/signedLinks';
import { renderNotice } from '../../shared/pages/noticePage';

const NOW = new Date('2026-03-01T10:00:00Z');
const RING = singleKey('k1', 'a-test-master-secret-0123456789abcdef');
const THIS_TENANT = '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51';
const OTHER_TENANT = '9a7e4d21-3c5b-4f08-b1d6-7e2a9c4f0b83';
const COOKIE = 'the-flow-cookie';

const identity = (tenantId: string, objectId = 'aaaa0000-0000-0000-0000-000000000001'): MicrosoftIdentity => ({
  tenantId,
  objectId,
  username: 'ga@contoso.example',
  displayName: 'Dana Admin',
  roleTemplateIds: [GLOBAL_ADMIN_ROLE_TEMPLATE_ID],
});

/** An invited account the provider gave no tenant: any tenant's GA may bind it, so two can race for it. */
const invited = (): Account =>
  enableAccount(
    'acme',
    { name: 'Acme', licenseCount: 3, globalAdmin: { portalUserId: 'ga', displayName: 'Dana', email: 'dana@acme.example' }, tenantId: null },
    { policyPrefix: 'VoiceSync', numberType: 'directRouting' },
    new Date('2026-01-01T00:00:00Z'),
  ).account;

/** The account as another sign-in left it after binding it. */
const boundBy = (who: MicrosoftIdentity): Account => bindMicrosoftIdentity(invited(), who, NOW) as Account;

type SaveHook = (attempt: number, store: FakeAccounts) => Result<StoredAccount> | undefined;

class FakeAccounts {
  private rows = new Map<string, StoredAccount>();
  private etags = 0;
  saves = 0;
  /** Runs before each save; a result it returns replaces the save (the account is then not written). */
  beforeSave: SaveHook = () => undefined;

  put(account: Account): void {
    this.rows.set(account.accountId, { account: structuredClone(account), etag: `e${++this.etags}` });
  }
  async get(accountId: string): Promise<StoredAccount | undefined> {
    const row = this.rows.get(accountId);
    return Promise.resolve(row && structuredClone(row));
  }
  async save(account: Account, etag: string | null): Promise<Result<StoredAccount>> {
    const scripted = this.beforeSave(++this.saves, this);
    if (scripted) return Promise.resolve(scripted);
    if (this.rows.get(account.accountId)?.etag !== etag) return Promise.resolve(fail('CONCURRENT_UPDATE', 'changed meanwhile'));
    this.put(account);
    return ok((await this.get(account.accountId))!);
  }
}

class FakeTenantLinks implements TenantLinks {
  links = new Map<string, TenantLink & { etag: string }>();
  claims: Array<{ tenantId: string; accountId: string; claim: TenantClaim }> = [];
  releases: Array<{ tenantId: string; accountId: string; claim?: TenantClaim }> = [];
  private etags = 0;

  async claim(
    tenantId: string,
    accountId: string,
    at: Date,
    abandoned: (link: TenantLink) => Promise<boolean>,
  ): Promise<Result<TenantClaim>> {
    const held = this.links.get(tenantId);
    if (held && held.accountId !== accountId && !(await abandoned(held))) return fail('TENANT_ALREADY_LINKED', 'taken');
    const claim = { etag: `c${++this.etags}` };
    this.links.set(tenantId, { accountId, claimedAt: at, etag: claim.etag });
    this.claims.push({ tenantId, accountId, claim });
    return ok(claim);
  }
  async release(tenantId: string, accountId: string, claim?: TenantClaim): Promise<void> {
    this.releases.push({ tenantId, accountId, claim });
    const held = this.links.get(tenantId);
    if (held?.accountId === accountId && (!claim || claim.etag === held.etag)) this.links.delete(tenantId);
    return Promise.resolve();
  }
}

class FakeSessions implements AuthSessionStore {
  private sessions = new Map<string, AuthSession & { used?: boolean }>();

  issue(state: string): void {
    this.sessions.set(state, {
      state,
      purpose: 'signIn',
      accountId: 'acme',
      globalAdminId: 'ga',
      browserBinding: bindingOf(COOKIE),
      codeVerifier: 'verifier',
      nonce: 'nonce',
      createdAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 600_000).toISOString(),
    });
  }
  async create(session: AuthSession): Promise<void> {
    this.sessions.set(session.state, session);
    return Promise.resolve();
  }
  async consume(state: string, expected: { purpose: string; browserBinding: string | null }): Promise<Result<AuthSession>> {
    const session = this.sessions.get(state);
    if (!session || session.purpose !== expected.purpose) return Promise.resolve(fail('STATE_UNKNOWN', 'unknown'));
    if (session.browserBinding !== expected.browserBinding) return Promise.resolve(fail('STATE_OTHER_BROWSER', 'other browser'));
    if (session.used) return Promise.resolve(fail('STATE_ALREADY_USED', 'used'));
    session.used = true;
    return Promise.resolve(ok(session));
  }
  async useLink(): Promise<Result<void>> {
    return Promise.resolve(ok(undefined));
  }
  async purgeExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}

function setup(who: MicrosoftIdentity) {
  const store = new FakeAccounts();
  store.put(invited());
  const tenantLinks = new FakeTenantLinks();
  const sessions = new FakeSessions();
  const microsoft: MicrosoftSignIn = {
    adminConsentUrl: () => 'https://login.example/adminconsent',
    signInUrl: async () => Promise.resolve({ url: 'https://login.example/authorize', codeVerifier: 'verifier', nonce: 'nonce' }),
    completeSignIn: async () => Promise.resolve(ok(who)),
    syncSignInUrl: async () => Promise.resolve({ url: 'https://login.example/authorize', codeVerifier: 'verifier', nonce: 'nonce' }),
    completeSyncSignIn: async () => Promise.resolve(fail('CODE_EXCHANGE_FAILED', 'not used here')),
  };
  const deps: ActivationDeps = {
    store,
    sessions,
    tenantLinks,
    microsoft,
    csrf: new CsrfTokens(RING),
    links: new LinkSigner(RING, 3600),
    integrationPageUrl: 'https://voice-sync.example/api/integration',
    stateTtlMinutes: 10,
    now: () => NOW,
  };
  const discoveries: DiscoveryTarget[] = [];
  let discoveryFails = false;
  const startDiscovery = async (input: DiscoveryTarget) => {
    discoveries.push(input);
    if (discoveryFails) throw new Error('durable task hub unreachable');
    return Promise.resolve({ alreadyRunning: false });
  };
  let states = 0;
  const signIn = () => {
    const state = `state-${++states}`;
    sessions.issue(state);
    return completeSignIn(deps, startDiscovery, { state, code: 'the-code', flowCookie: COOKIE });
  };
  const failDiscovery = (fails: boolean) => {
    discoveryFails = fails;
  };
  return { store, tenantLinks, discoveries, signIn, failDiscovery };
}

const account = async (store: FakeAccounts) => (await store.get('acme'))!.account;

describe('completeSignIn: the tenant claim and the binding are one outcome', () => {
  test('the save conflicts and the re-read shows another tenant bound (its sign-in won): TENANT_MISMATCH, and this claim is released', async () => {
    const t = setup(identity(THIS_TENANT));
    t.store.beforeSave = (attempt, store) => {
      if (attempt > 1) return undefined;
      store.put(boundBy(identity(OTHER_TENANT, 'bbbb0000-0000-0000-0000-000000000002'))); // the other sign-in's write lands first
      return fail('CONCURRENT_UPDATE', 'changed meanwhile');
    };

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: false, error: { code: 'TENANT_MISMATCH' } });
    expect(t.tenantLinks.claims).toEqual([{ tenantId: THIS_TENANT, accountId: 'acme', claim: expect.anything() }]);
    expect(t.tenantLinks.releases).toEqual([{ tenantId: THIS_TENANT, accountId: 'acme', claim: t.tenantLinks.claims[0].claim }]);
    expect(t.tenantLinks.links.has(THIS_TENANT)).toBe(false);
    expect(t.discoveries).toEqual([]);
    expect(await account(t.store)).toMatchObject({ tenantId: OTHER_TENANT, tenantBound: true });
  });

  test('the save succeeds: the claim stays, the account is bound and discovery starts once for its tenant', async () => {
    const t = setup(identity(THIS_TENANT));

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: true, value: expect.stringMatching(/^https:\/\/voice-sync\.example\/api\/integration\?link=/) });
    expect(t.tenantLinks.claims).toHaveLength(1);
    expect(t.tenantLinks.releases).toEqual([]);
    expect(t.tenantLinks.links.get(THIS_TENANT)).toMatchObject({ accountId: 'acme' });
    expect(t.discoveries).toEqual([{ accountId: 'acme', tenantId: THIS_TENANT }]);
    expect(await account(t.store)).toMatchObject({ tenantId: THIS_TENANT, tenantBound: true, state: 'consented' });
  });

  test('the save fails for good with another error than a conflict: the claim is released', async () => {
    const t = setup(identity(THIS_TENANT));
    t.store.beforeSave = () => fail('ACCOUNT_NOT_FOUND', 'the row is gone');

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } });
    expect(t.store.saves).toBe(1); // not a conflict: not retried
    expect(t.tenantLinks.releases).toEqual([{ tenantId: THIS_TENANT, accountId: 'acme', claim: t.tenantLinks.claims[0].claim }]);
    expect(t.tenantLinks.links.has(THIS_TENANT)).toBe(false);
    expect(t.discoveries).toEqual([]);
    expect(await account(t.store)).toMatchObject({ tenantId: null, tenantBound: false, state: 'invited' });
  });

  test('the save conflicts on every attempt (retries give up): the claim is released', async () => {
    const t = setup(identity(THIS_TENANT));
    t.store.beforeSave = () => fail('CONCURRENT_UPDATE', 'changed meanwhile');

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONCURRENT_UPDATE' } });
    expect(t.tenantLinks.releases).toHaveLength(1);
    expect(t.tenantLinks.releases[0]).toEqual({ tenantId: THIS_TENANT, accountId: 'acme', claim: t.tenantLinks.claims.at(-1)!.claim });
    expect(t.tenantLinks.links.has(THIS_TENANT)).toBe(false);
  });

  test('the re-read shows the account bound to this tenant after all (a parallel sign-in of it won): the claim is kept', async () => {
    // Another Microsoft identity of the same tenant won the race: this sign-in is refused, but the tenant serves the account now.
    const t = setup(identity(THIS_TENANT));
    t.store.beforeSave = (attempt, store) => {
      if (attempt > 1) return undefined;
      store.put(boundBy(identity(THIS_TENANT, 'cccc0000-0000-0000-0000-000000000003')));
      return fail('CONCURRENT_UPDATE', 'changed meanwhile');
    };

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: false, error: { code: 'GLOBAL_ADMIN_MISMATCH' } });
    expect(t.tenantLinks.claims).toHaveLength(1);
    expect(t.tenantLinks.releases).toEqual([]);
    expect(t.tenantLinks.links.get(THIS_TENANT)).toMatchObject({ accountId: 'acme' });
    expect(await account(t.store)).toMatchObject({ tenantId: THIS_TENANT, tenantBound: true });
  });

  test('the same sign-in finishing twice at once: the one that lost the save finds the account bound as it wanted, nothing is released', async () => {
    const who = identity(THIS_TENANT);
    const t = setup(who);
    t.store.beforeSave = (attempt, store) => {
      if (attempt > 1) return undefined;
      store.put(boundBy(who));
      return fail('CONCURRENT_UPDATE', 'changed meanwhile');
    };

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({ ok: true });
    expect(t.tenantLinks.releases).toEqual([]);
    expect(t.discoveries).toEqual([{ accountId: 'acme', tenantId: THIS_TENANT }]);
  });
});

describe('completeSignIn: discovery does not start', () => {
  test('the binding stays, the GA is told to press Authorize again, and the next sign-in starts discovery', async () => {
    const t = setup(identity(THIS_TENANT));
    t.failDiscovery(true);

    const outcome = await t.signIn();

    expect(outcome).toMatchObject({
      ok: false,
      error: {
        code: 'DISCOVERY_FAILED',
        message: expect.stringContaining('Authorize again'),
        details: { backUrl: expect.stringMatching(/^https:\/\/voice-sync\.example\/api\/integration\?link=/) },
      },
    });
    expect(JSON.stringify(outcome)).not.toContain('durable task hub unreachable');
    if (outcome.ok) return;
    const notice = renderNotice(
      { providerName: 'Example Voice', supportContact: 'help@voice.example' },
      outcome.error.code,
      outcome.error.message,
      outcome.error.details?.backUrl as string,
    );
    expect(notice).toContain('Reading your Teams users could not start');
    expect(notice).toContain('press Authorize again');
    expect(notice).toContain('Back to the integration page');
    expect(await account(t.store)).toMatchObject({ tenantId: THIS_TENANT, tenantBound: true, state: 'consented' });
    expect(t.tenantLinks.releases).toEqual([]);
    expect(t.tenantLinks.links.get(THIS_TENANT)).toMatchObject({ accountId: 'acme' });

    t.failDiscovery(false);
    expect(await t.signIn()).toMatchObject({ ok: true });
    expect(t.discoveries).toEqual([
      { accountId: 'acme', tenantId: THIS_TENANT },
      { accountId: 'acme', tenantId: THIS_TENANT },
    ]);
  });
});
