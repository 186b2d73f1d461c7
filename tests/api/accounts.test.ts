/** Accounts API and its emails, end to end: local host + Azurite + simulator mailbox. */
import { TableClient } from '@azure/data-tables';
import { decodeProtectedHeader } from 'jose';
import { LinkSigner } from '../../shared/security/signedLinks';
import { isInsecure } from '../../shared/storage/tables';
import { json, LINK_KEYS, LINK_SIGNING_KEY_ID, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

const ga = { portalUserId: 'u-ga-1', displayName: 'Dana Admin', email: 'dana@acme.example' };
const body = (overrides: Record<string, unknown> = {}) => ({ name: 'Acme Ltd', licenseCount: 10, globalAdmin: ga, ...overrides });

async function deliver(): Promise<void> {
  await stack.deliverEmails();
}

const mailTo = (address: string) => stack.simulator.control.mailbox().filter((m) => m.to.some((t) => t.address === address));

function linkIn(text: string | undefined): string {
  const match = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(text ?? '');
  if (!match) throw new Error(`no integration link in: ${text}`);
  return decodeURIComponent(new URL(match[1]).searchParams.get('link') as string);
}

test('creating an account sends "activate" and "you are the Global Admin", each with a valid signed link', async () => {
  const res = await stack.call('PUT', 'accounts/acme', { body: body({ tenantId: '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51' }) });
  expect(res.status).toBe(201);
  expect(res.headers.get('etag')).toBe('"1"');
  expect(res.headers.get('location')).toBe('/api/accounts/acme');
  const account = await json(res);
  expect(account).toMatchObject({
    accountId: 'acme',
    state: 'invited',
    actionNeeded: 'activate',
    licenseCount: 10,
    settings: { policyPrefix: 'VoiceSync' },
  });

  await deliver();
  const mails = mailTo(ga.email);
  expect(mails.map((m) => m.subject).sort()).toEqual([
    'Activate the Microsoft Teams integration for Acme Ltd',
    'You are now the Global Admin of the Teams integration for Acme Ltd',
  ]);
  const signer = new LinkSigner(LINK_KEYS, 3600);
  for (const mail of mails) {
    const check = await signer.verify(linkIn(mail.plainText));
    expect(decodeProtectedHeader(linkIn(mail.plainText)).kid).toBe(LINK_SIGNING_KEY_ID);
    expect(check).toMatchObject({ ok: true, value: { claims: { purpose: 'integration', accountId: 'acme', globalAdminId: 'u-ga-1' } } });
    expect(mail.html).toContain('Example Voice');
    expect(mail.html).not.toContain('<script');
  }
});

test('a second identical PUT changes and sends nothing', async () => {
  const before = stack.simulator.control.mailbox().length;
  const res = await stack.call('PUT', 'accounts/acme', { body: body({ tenantId: '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51' }) });
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe('"1"');
  await deliver();
  expect(stack.simulator.control.mailbox().length).toBe(before);
});

test('a licence change emails both counts', async () => {
  const res = await stack.call('PUT', 'accounts/acme', { body: body({ licenseCount: 15 }), headers: { 'if-match': '"1"' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe('"2"');
  await deliver();
  const mail = mailTo(ga.email).find((m) => m.subject.includes('licences'));
  expect(mail?.plainText).toContain('Previous number: 10');
  expect(mail?.plainText).toContain('New number: 15');
});

test('a stale If-Match is refused with 412 and changes nothing', async () => {
  const res = await stack.call('PUT', 'accounts/acme', { body: body({ licenseCount: 99 }), headers: { 'if-match': '"1"' } });
  expect(res.status).toBe(412);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(await json(res)).toMatchObject({ code: 'STALE_ETAG', status: 412, currentVersion: 2 });
  expect((await json(await stack.call('GET', 'accounts/acme'))).licenseCount).toBe(15);
});

test('If-Match: * updates an existing account but never creates one', async () => {
  const missing = await stack.call('PUT', 'accounts/never-created', { body: body(), headers: { 'if-match': '*' } });
  expect(missing.status).toBe(412);
  expect((await stack.call('GET', 'accounts/never-created')).status).toBe(404);
  const existing = await stack.call('PUT', 'accounts/acme', { body: body({ licenseCount: 15 }), headers: { 'if-match': '*' } });
  expect(existing.status).toBe(200);
});

test('reassigning the Global Admin emails both people and clears the Microsoft identity binding', async () => {
  // Activation binds the GA's Microsoft object id; set it as activation would.
  const conn = process.env.AzureWebJobsStorage as string;
  const table = TableClient.fromConnectionString(conn, 'accounts', { allowInsecureConnection: isInsecure(conn) });
  await table.updateEntity({ partitionKey: 'acme', rowKey: 'profile', gaObjectId: '11111111-2222-3333-4444-555555555555' }, 'Merge');
  expect((await json(await stack.call('GET', 'accounts/acme/status'))).globalAdmin.microsoftIdentityBound).toBe(true);

  const newGa = { portalUserId: 'u-ga-2', displayName: 'Sam New', email: 'sam@acme.example' };
  const res = await stack.call('PUT', 'accounts/acme', { body: body({ licenseCount: 15, globalAdmin: newGa }) });
  expect(res.status).toBe(200);
  await deliver();
  expect(mailTo(ga.email).some((m) => m.subject.startsWith('You are no longer the Global Admin'))).toBe(true);
  expect(mailTo(newGa.email).map((m) => m.subject)).toEqual(['You are now the Global Admin of the Teams integration for Acme Ltd']);
  const status = await json(await stack.call('GET', 'accounts/acme/status'));
  expect(status.globalAdmin).toEqual({ ...newGa, microsoftIdentityBound: false });
});

test('a new address for the same Global Admin gets the links again; the binding stays', async () => {
  const first = { portalUserId: 'u-mover', displayName: 'Morgan Mover', email: 'morgan@movers.example' };
  expect((await stack.call('PUT', 'accounts/movers', { body: body({ globalAdmin: first }) })).status).toBe(201);
  const conn = process.env.AzureWebJobsStorage as string;
  const table = TableClient.fromConnectionString(conn, 'accounts', { allowInsecureConnection: isInsecure(conn) });
  await table.updateEntity({ partitionKey: 'movers', rowKey: 'profile', gaObjectId: '11111111-2222-3333-4444-555555555555' }, 'Merge');

  const moved = { ...first, email: 'morgan.new@movers.example' };
  expect((await stack.call('PUT', 'accounts/movers', { body: body({ globalAdmin: moved }) })).status).toBe(200);
  await deliver();
  const mails = mailTo(moved.email);
  expect(mails.map((m) => m.subject)).toEqual(['You are now the Global Admin of the Teams integration for Acme Ltd']);
  expect(await new LinkSigner(LINK_KEYS, 60).verify(linkIn(mails[0]?.plainText))).toMatchObject({ ok: true });
  expect(mailTo(first.email).some((m) => m.subject.startsWith('You are no longer'))).toBe(false);
  expect((await json(await stack.call('GET', 'accounts/movers/status'))).globalAdmin.microsoftIdentityBound).toBe(true);
});

test('removal of an activated account asks for a final sync; an account never activated is removed at once', async () => {
  // Simulate an activated account (activation is another use case).
  const conn = process.env.AzureWebJobsStorage as string;
  const table = TableClient.fromConnectionString(conn, 'accounts', { allowInsecureConnection: isInsecure(conn) });
  await table.updateEntity({ partitionKey: 'acme', rowKey: 'profile', state: 'active', actionNeeded: 'none' }, 'Merge');

  const res = await stack.call('DELETE', 'accounts/acme/integration');
  expect(res.status).toBe(202);
  expect(await json(res)).toMatchObject({ state: 'removalPending', actionNeeded: 'finalSync' });
  await deliver();
  const mail = mailTo('sam@acme.example').find((m) => m.subject.includes('removed'));
  expect(mail?.plainText).toContain('Run the final sync');
  expect(await new LinkSigner(LINK_KEYS, 60).verify(linkIn(mail?.plainText))).toMatchObject({ ok: true });

  const blocked = await stack.call('PUT', 'accounts/acme', { body: body() });
  expect(blocked.status).toBe(409);
  expect((await json(blocked)).code).toBe('ACCOUNT_REMOVAL_PENDING');

  await stack.call('PUT', 'accounts/never-active', { body: body({ globalAdmin: { ...ga, email: 'solo@acme.example' } }) });
  const removed = await stack.call('DELETE', 'accounts/never-active/integration');
  expect(await json(removed)).toMatchObject({ state: 'removed', actionNeeded: 'none' });
  await deliver();
  expect(mailTo('solo@acme.example').find((m) => m.subject.includes('removed'))?.plainText).toContain('nothing needs to be done');
});

test('an unknown account is a 404 problem', async () => {
  const res = await stack.call('GET', 'accounts/nobody');
  expect(res.status).toBe(404);
  expect(await json(res)).toMatchObject({ code: 'ACCOUNT_NOT_FOUND', status: 404, instance: '/api/accounts/nobody' });
  expect(res.headers.get('x-correlation-id')).toBeTruthy();
});

test('roles and accounts are enforced: an admin of A never reads B; admins cannot write', async () => {
  await stack.call('PUT', 'accounts/beta', { body: body({ globalAdmin: { ...ga, email: 'b@beta.example' } }) });
  const adminOfAcme = { id: 'a-1', role: 'admin' as const, account: 'acme' };
  const cross = await stack.call('GET', 'accounts/beta', { actor: adminOfAcme });
  expect(cross.status).toBe(403);
  expect((await json(cross)).code).toBe('FORBIDDEN_ACCOUNT');
  expect((await stack.call('GET', 'accounts/beta/status', { actor: adminOfAcme })).status).toBe(403);
  expect((await stack.call('GET', 'accounts/beta', { actor: { ...adminOfAcme, account: 'beta' } })).status).toBe(200);
  const write = await stack.call('PUT', 'accounts/beta', { actor: { ...adminOfAcme, account: 'beta' }, body: body() });
  expect(write.status).toBe(403);
  expect((await json(write)).code).toBe('FORBIDDEN_ROLE');
  const user = await stack.call('GET', 'accounts/beta', { actor: { id: 'u', role: 'user', account: 'beta' } });
  expect(user.status).toBe(403);
  const noActor = await stack.call('GET', 'accounts/beta', { actor: null });
  expect(noActor.status).toBe(400);
  expect((await json(noActor)).code).toBe('ACTOR_HEADERS_INVALID');
  expect((await fetch(`${stack.url}/api/accounts/beta`)).status).toBe(401);
});

test.each([
  ['malformed JSON', { rawBody: '{"name": ', headers: { 'content-type': 'application/json' } }, 'MALFORMED_JSON', undefined],
  ['wrong types', { body: { ...body(), licenseCount: 'ten' } }, 'VALIDATION_FAILED', 'licenseCount'],
  ['a bad email', { body: body({ globalAdmin: { ...ga, email: 'not-an-email' } }) }, 'VALIDATION_FAILED', 'globalAdmin.email'],
  ['a bad tenant id', { body: body({ tenantId: 'contoso.onmicrosoft.com' }) }, 'VALIDATION_FAILED', 'tenantId'],
  ['an unknown property', { body: { ...body(), licenceCount: 3 } }, 'VALIDATION_FAILED', 'licenceCount'],
  ['a negative licence count', { body: body({ licenseCount: -1 }) }, 'VALIDATION_FAILED', 'licenseCount'],
  [
    'a main number that is no phone number',
    { body: body({ settings: { mainNumber: 'reception' } }) },
    'VALIDATION_FAILED',
    'settings.mainNumber',
  ],
  [
    'a main number not in E.164',
    { body: body({ settings: { mainNumber: '+1 (425) 555-0100' } }) },
    'VALIDATION_FAILED',
    'settings.mainNumber',
  ],
  ['text instead of JSON', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }, 'UNSUPPORTED_MEDIA_TYPE', undefined],
])('%s → 4xx problem naming the field, nothing stored', async (_label, request, code, field) => {
  const res = await stack.call('PUT', 'accounts/fresh-one', request as never);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const problem = await json(res);
  expect(problem.code).toBe(code);
  if (field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
  expect((await stack.call('GET', 'accounts/fresh-one')).status).toBe(404);
});

test('settings.mainNumber round-trips: null by default, set, shown on GET, removed with null', async () => {
  const created = await stack.call('PUT', 'accounts/main-no', { body: body() });
  expect(created.status).toBe(201);
  expect((await json(created)).settings).toEqual({ policyPrefix: 'VoiceSync', numberType: 'directRouting', mainNumber: null });
  const set = await stack.call('PUT', 'accounts/main-no', {
    body: body({ settings: { mainNumber: '+14255550100' } }),
    headers: { 'if-match': '"1"' },
  });
  expect(set.status).toBe(200);
  expect(set.headers.get('etag')).toBe('"2"');
  expect((await json(await stack.call('GET', 'accounts/main-no'))).settings.mainNumber).toBe('+14255550100');
  // Omitted keeps it; null removes it.
  const kept = await stack.call('PUT', 'accounts/main-no', {
    body: body({ settings: { policyPrefix: 'AcmeVoice' } }),
    headers: { 'if-match': '"2"' },
  });
  expect((await json(kept)).settings).toMatchObject({ policyPrefix: 'AcmeVoice', mainNumber: '+14255550100' });
  const removed = await stack.call('PUT', 'accounts/main-no', {
    body: body({ settings: { mainNumber: null } }),
    headers: { 'if-match': '"3"' },
  });
  expect(removed.status).toBe(200);
  expect((await json(await stack.call('GET', 'accounts/main-no'))).settings.mainNumber).toBeNull();
});

test('a bad account id or If-Match is a 400 problem', async () => {
  const badId = await stack.call('PUT', 'accounts/bad%20id', { body: body() });
  expect(badId.status).toBe(400);
  expect((await json(badId)).errors[0].field).toBe('accountId');
  const badEtag = await stack.call('PUT', 'accounts/acme2', { body: body(), headers: { 'if-match': 'yesterday' } });
  expect(badEtag.status).toBe(400);
});

test('the OpenAPI document describes these routes with their schemas', async () => {
  const doc = await json(await fetch(`${stack.url}/api/openapi.json`));
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/accounts/{accountId}', '/accounts/{accountId}/status', '/accounts/{accountId}/integration']),
  );
  expect(doc.paths['/accounts/{accountId}'].put.requestBody.content['application/json'].schema.$ref).toBe(
    '#/components/schemas/AccountPut',
  );
  expect(doc.components.schemas.AccountPut.required).toEqual(expect.arrayContaining(['name', 'licenseCount', 'globalAdmin']));
  expect(doc.components.schemas.AccountPut.additionalProperties).toBe(false);
});
