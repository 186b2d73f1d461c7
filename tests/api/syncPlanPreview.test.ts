/**
 * GET /sync-plan over real HTTP on the activated demo tenant: what the next sync would change, per user, read with
 * the app's own permissions. Three mapped voice users with different settings: two get their number, the voice routing
 * policy and their calling-policy variant; one whose number the tenant's auto attendant holds is refused with
 * NUMBER_IN_USE. Nothing is written to the tenant, and every Graph request passes Microsoft's contract.
 */
import { LinkSigner } from '../../shared/security/signedLinks';
import { enableAndActivate } from '../support/activate';
import { Browser } from '../support/browser';
import { json, LINK_KEYS, Stack, startStack } from '../support/stack';

let stack: Stack;
const ACCOUNT = 'preview-1';
let eligible: Array<{ id: string }>;

beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
  await enableAndActivate(stack, ACCOUNT, 5);
  const all = (await json(await stack.call('GET', `accounts/${ACCOUNT}/teams-users?pageSize=1000`))).users as Array<{
    id: string;
    eligible: boolean;
  }>;
  eligible = all.filter((u) => u.eligible);
}, 60_000);
afterAll(() => stack?.stop());

const voiceUser = (id: string, phoneNumber: string, voicemail: boolean, callForwarding: boolean, musicOnHold: 'teams' | 'provider') => ({
  id,
  displayName: `Voice ${id}`,
  email: `${id}@customer.example`,
  extension: null,
  phoneNumber,
  voicemail,
  callForwarding,
  musicOnHold,
});

test('the preview lists each change per user, refuses the conflict with its code, and writes nothing', async () => {
  const prefix = (await json(await stack.call('GET', `accounts/${ACCOUNT}`))).settings.policyPrefix as string;
  const put = await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, {
    body: {
      voiceUsers: [
        voiceUser('v1', '+14255551001', true, true, 'teams'),
        voiceUser('v2', '+14255551002', false, false, 'provider'),
        voiceUser('v3', '+14255550200', true, true, 'teams'), // the auto attendant's number
      ],
    },
  });
  expect(put.status).toBe(200);
  const [a, b, c] = eligible.map((u) => u.id);
  const mapping = await stack.call('GET', `accounts/${ACCOUNT}/mapping`);
  const saved = await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, {
    body: {
      changes: [
        { voiceUserId: 'v1', teamsUserId: a },
        { voiceUserId: 'v2', teamsUserId: b },
        { voiceUserId: 'v3', teamsUserId: c },
      ],
    },
    headers: { 'if-match': mapping.headers.get('etag') as string },
  });
  expect(saved.status).toBe(200);

  const teamsBefore = JSON.stringify(
    stack.simulator.control.teamsState(stack.simulator.control.tenants().find((t) => t.domain?.startsWith('contoso'))?.id ?? ''),
  );
  const writesBefore = stack.simulator.control
    .requestLog({ service: 'graph' })
    .filter((r) => r.method !== 'GET' && !r.url.endsWith('/$batch')).length;
  const res = await stack.call('GET', `accounts/${ACCOUNT}/sync-plan`);
  expect(res.status).toBe(200);
  const plan = await json(res);
  expect(plan.summary).toEqual({
    usersChanged: 2,
    usersRefused: 1,
    operations: { assignNumber: 2, grantVoiceRoutingPolicy: 2, grantCallingPolicy: 2 },
    refusals: { NUMBER_IN_USE: 1 },
  });
  const byUser = new Map(plan.users.map((u: { teamsUserId: string }) => [u.teamsUserId, u]));
  expect(byUser.get(a)).toEqual({
    teamsUserId: a,
    voiceUserIds: ['v1'],
    role: 'mapped',
    outcome: 'planned',
    operations: [
      { kind: 'assignNumber', telephoneNumber: '+14255551001', numberType: 'directRouting' },
      { kind: 'grantVoiceRoutingPolicy', policyName: prefix, before: null },
      { kind: 'grantCallingPolicy', policyName: `${prefix}-VM-MOHTEAMS`, before: null },
    ],
    error: null,
  });
  expect((byUser.get(b) as { operations: unknown[] }).operations).toContainEqual({
    kind: 'grantCallingPolicy',
    policyName: `${prefix}-NoVMOrForward-MOHEXT`,
    before: null,
  });
  expect(byUser.get(c)).toMatchObject({ outcome: 'refused', operations: [], error: { code: 'NUMBER_IN_USE' } });

  // Read-only: no Graph write, the tenant as it was; every request within Microsoft's contract.
  const writesAfter = stack.simulator.control
    .requestLog({ service: 'graph' })
    .filter((r) => r.method !== 'GET' && !r.url.endsWith('/$batch')).length;
  expect(writesAfter).toBe(writesBefore);
  expect(
    JSON.stringify(
      stack.simulator.control.teamsState(stack.simulator.control.tenants().find((t) => t.domain?.startsWith('contoso'))?.id ?? ''),
    ),
  ).toBe(teamsBefore);
  expect(stack.simulator.contractChecks.enabled).toBe(true);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
});

/** The integration page as the Global Admin opens it from an email link. */
async function integrationPage(): Promise<string> {
  const link = await new LinkSigner(LINK_KEYS, 3600).sign({
    purpose: 'integration',
    accountId: ACCOUNT,
    globalAdminId: `ga-${ACCOUNT}`,
    globalAdminEmail: `ga-${ACCOUNT}@customer.example`,
  });
  const shown = await new Browser().request(`${stack.url}/api/integration?link=${link}`);
  expect(shown.status).toBe(200);
  return shown.body;
}

test('the integration page says what the sync will change before the sign-in; without the preview it still works', async () => {
  // the mapping of the test above: two users planned, one refused
  const body = await integrationPage();
  expect(body).toContain(
    '<p class="sync-preview">This sync will assign 2 numbers, set 2 voice routing policies and set 2 calling policies. 1 user will be skipped (see the portal).</p>',
  );
  expect(body).toContain('action="/api/integration/sync"');

  // Microsoft refusing the app's reads: the page, its sync button, and no sentence
  stack.simulator.control.injectFault({ service: 'graph', path: '/$batch', status: 403, times: 10 });
  try {
    const without = await integrationPage();
    expect(without).not.toContain('sync-preview');
    expect(without).toContain('action="/api/integration/sync"');
  } finally {
    stack.simulator.control.clearFaults();
  }
});

test('an account that is not active has no preview: 409 SYNC_NOT_AVAILABLE; an unknown one 404', async () => {
  const put = await stack.call('PUT', 'accounts/preview-invited', {
    body: { name: 'Invited', licenseCount: 1, globalAdmin: { portalUserId: 'ga-x', displayName: 'Gale', email: 'ga-x@customer.example' } },
  });
  expect(put.status).toBe(201);
  const res = await stack.call('GET', 'accounts/preview-invited/sync-plan');
  expect(res.status).toBe(409);
  expect(await json(res)).toMatchObject({ code: 'SYNC_NOT_AVAILABLE' });
  expect((await stack.call('GET', 'accounts/preview-nobody/sync-plan')).status).toBe(404);
});
