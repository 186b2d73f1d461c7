import { createHmac } from 'node:crypto';
import { CompactEncrypt, decodeProtectedHeader, SignJWT } from 'jose';
import { CsrfTokens } from '../../shared/security/csrf';
import { deriveKey, KEY_LABELS, KeyRing, singleKey } from '../../shared/security/keyRing';
import { Sealer } from '../../shared/security/sealer';
import { LinkSigner } from '../../shared/security/signedLinks';

const OLD = { id: 'k1', secret: 'the-old-master-secret-0123456789abcdef' };
const NEW = { id: 'k2', secret: 'the-new-master-secret-0123456789abcdef' };
const beforeRotation: KeyRing = { current: OLD, previous: [] };
const duringOverlap: KeyRing = { current: NEW, previous: [OLD] };
const afterOverlap: KeyRing = { current: NEW, previous: [] };
const request = { purpose: 'integration' as const, accountId: 'acme', globalAdminId: 'ga-1', globalAdminEmail: 'ga@acme.example' };

describe('links', () => {
  test('every link names its key (kid)', async () => {
    const link = await new LinkSigner(beforeRotation, 3600).sign(request);
    expect(decodeProtectedHeader(link)).toMatchObject({ alg: 'HS256', kid: 'k1' });
  });

  test('a link signed before a rotation opens during the overlap, and is refused once the previous key is dropped', async () => {
    const inFlight = await new LinkSigner(beforeRotation, 3600).sign(request);
    expect(await new LinkSigner(duringOverlap, 3600).verify(inFlight)).toMatchObject({
      ok: true,
      value: { claims: { accountId: 'acme' } },
    });
    expect(await new LinkSigner(afterOverlap, 3600).verify(inFlight)).toMatchObject({ ok: false, error: { code: 'LINK_INVALID' } });
  });

  test('new links are signed with the current key only', async () => {
    const fresh = await new LinkSigner(duringOverlap, 3600).sign(request);
    expect(decodeProtectedHeader(fresh).kid).toBe('k2');
    expect(await new LinkSigner(afterOverlap, 3600).verify(fresh)).toMatchObject({ ok: true });
    expect(await new LinkSigner(beforeRotation, 3600).verify(fresh)).toMatchObject({ ok: false, error: { code: 'LINK_INVALID' } });
  });

  test('a link without a kid, with an unknown kid, or signed with another job’s key is refused', async () => {
    const claims = { pur: 'integration', acc: 'acme', ga: 'ga-1', gae: 'x' };
    const forge = (header: { alg: string; kid?: string }, key: Uint8Array) =>
      new SignJWT(claims)
        .setProtectedHeader(header)
        .setIssuer('teams-voice-sync')
        .setIssuedAt()
        .setJti('link-1')
        .setExpirationTime('1h')
        .sign(key);
    const signer = new LinkSigner(beforeRotation, 3600);
    const linkKey = deriveKey(OLD.secret, 'links');
    expect(await signer.verify(await forge({ alg: 'HS256', kid: 'k1' }, linkKey))).toMatchObject({ ok: true });
    for (const forged of [
      await forge({ alg: 'HS256' }, linkKey),
      await forge({ alg: 'HS256', kid: 'k9' }, linkKey),
      await forge({ alg: 'HS256', kid: 'k1' }, new TextEncoder().encode(OLD.secret)),
      await forge({ alg: 'HS256', kid: 'k1' }, deriveKey(OLD.secret, 'csrf')),
      await forge({ alg: 'HS256', kid: 'k1' }, deriveKey(OLD.secret, 'sealing')),
    ]) {
      expect(await signer.verify(forged)).toMatchObject({ ok: false, error: { code: 'LINK_INVALID' } });
    }
  });
});

describe('one master secret, a key per job', () => {
  test('the derivation labels differ, and so do the keys (none is the master secret itself)', () => {
    const labels = Object.values(KEY_LABELS);
    expect(new Set(labels).size).toBe(labels.length);
    const keys = (['links', 'csrf', 'sealing'] as const).map((p) => Buffer.from(deriveKey(OLD.secret, p)).toString('hex'));
    expect(new Set([...keys, Buffer.from(OLD.secret).toString('hex')]).size).toBe(4);
    expect(keys.every((k) => k.length === 64)).toBe(true);
  });

  test('a CSRF token cannot be made with the link key (or the master secret)', () => {
    const csrf = new CsrfTokens(beforeRotation);
    const token = csrf.tokenFor('cookie-1', 'acme');
    expect(csrf.verify('cookie-1', token, 'acme')).toBe(true);
    for (const key of [deriveKey(OLD.secret, 'links'), deriveKey(OLD.secret, 'sealing'), Buffer.from(OLD.secret)]) {
      const forged = createHmac('sha256', key).update('cookie-1|acme').digest('base64url');
      expect(csrf.verify('cookie-1', forged, 'acme')).toBe(false);
    }
  });

  test('a value sealed with the link key does not open', async () => {
    const at = 'authSessions/s/verifier';
    const sealedWithLinkKey = await new CompactEncrypt(new TextEncoder().encode('v'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1', ctx: at })
      .encrypt(deriveKey(OLD.secret, 'links'));
    expect(await new Sealer(beforeRotation).open(sealedWithLinkKey, at)).toBeUndefined();
  });

  test('a CSRF token made before a rotation is accepted during the overlap, not after', () => {
    const token = new CsrfTokens(beforeRotation).tokenFor('cookie-1', 'acme');
    expect(new CsrfTokens(duringOverlap).verify('cookie-1', token, 'acme')).toBe(true);
    expect(new CsrfTokens(afterOverlap).verify('cookie-1', token, 'acme')).toBe(false);
    expect(new CsrfTokens(singleKey('k1', NEW.secret)).verify('cookie-1', token, 'acme')).toBe(false);
  });
});
