import { singleKey } from '../../shared/security/keyRing';
import { Sealer } from '../../shared/security/sealer';

const SECRET = 'unit-test-master-secret-0123456789abcdef';
const sealer = new Sealer(singleKey('k1', SECRET));
const AT = 'authSessions/state-1/verifier';

/** The same sealed value with its authentication tag (the last part of a compact JWE) cut to `bytes`. */
const withTagOf = (sealed: string, bytes: number): string => {
  const parts = sealed.split('.');
  const tag = Buffer.from(parts[parts.length - 1] as string, 'base64url');
  parts[parts.length - 1] = tag.subarray(0, bytes).toString('base64url');
  return parts.join('.');
};

test('a sealed value opens where it was sealed, and reveals nothing', async () => {
  const sealed = await sealer.seal('verifier-secret', AT);
  expect(sealed).not.toContain('verifier-secret');
  expect(await sealer.open(sealed, AT)).toBe('verifier-secret');
  const header = JSON.parse(Buffer.from(sealed.split('.')[0] as string, 'base64url').toString()) as Record<string, unknown>;
  expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
});

test('a truncated authentication tag is refused', async () => {
  const sealed = await sealer.seal('verifier-secret', AT);
  for (const bytes of [15, 12, 8, 4, 0]) {
    expect(await sealer.open(withTagOf(sealed, bytes), AT)).toBeUndefined();
  }
});

test('a value moved to another row or field is refused', async () => {
  const sealed = await sealer.seal('verifier-secret', AT);
  expect(await sealer.open(sealed, 'authSessions/state-2/verifier')).toBeUndefined();
  expect(await sealer.open(sealed, 'authSessions/state-1/nonce')).toBeUndefined();
});

test('a value sealed under an unknown key id, or with another key, is refused', async () => {
  // Same secret, another id: the id is part of what must match, not a label.
  const unknownKid = await new Sealer(singleKey('retired', SECRET)).seal('verifier-secret', AT);
  expect(await sealer.open(unknownKid, AT)).toBeUndefined();
  const otherKey = await new Sealer(singleKey('k1', 'another-master-secret-0123456789abcdef')).seal('verifier-secret', AT);
  expect(await sealer.open(otherKey, AT)).toBeUndefined();
  expect(await sealer.open('not.a.sealed.value.at-all', AT)).toBeUndefined();
  expect(await sealer.open('', AT)).toBeUndefined();
});

test('after a rotation, a value sealed under the previous key still opens; sealing uses the new key', async () => {
  const before = await sealer.seal('verifier-secret', AT);
  const rotated = new Sealer({
    current: { id: 'k2', secret: 'the-new-master-secret-0123456789abcdef' },
    previous: [{ id: 'k1', secret: SECRET }],
  });
  expect(await rotated.open(before, AT)).toBe('verifier-secret');
  const after = await rotated.seal('verifier-secret', AT);
  expect(JSON.parse(Buffer.from(after.split('.')[0] as string, 'base64url').toString())).toMatchObject({ kid: 'k2' });
  expect(await sealer.open(after, AT)).toBeUndefined();
});
