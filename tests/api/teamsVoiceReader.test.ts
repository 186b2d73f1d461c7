/**
 * The Teams voice reads of the sync and the preview (shared/microsoft/teamsVoice.ts) against the simulator, app-only:
 * each user's configuration with its line and number type, Calling Plan and resource accounts told apart, a user
 * Microsoft does not know read as gone; the holders of a set of lines (user or resource account). The same answers by
 * id ($batch) and from the whole list; every Graph request passes Microsoft's contract.
 */
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { TenantSeed } from '../../local/simulator/tenants/model';
import { loadConfig } from '../../shared/config';
import { tokenVaultFor } from '../../shared/container';
import { graphTeamsVoiceReader } from '../../shared/microsoft/teamsVoice';
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.stop());

const TENANT = '7e57ab1e-0000-4000-8000-000000000012';
const seed: TenantSeed = {
  id: TENANT,
  displayName: 'Reader Test',
  domain: 'readertest.onmicrosoft.com',
  skus: [
    { skuPartNumber: 'SPE_E3', prepaidUnits: 10 },
    { skuPartNumber: 'MCOEV', prepaidUnits: 10 },
    { skuPartNumber: 'MCOPSTN1', prepaidUnits: 2 },
    { skuPartNumber: 'PHONESYSTEM_VIRTUALUSER', prepaidUnits: 2 },
  ],
  users: [
    { alias: 'ada', displayName: 'Ada', licenses: ['SPE_E3', 'MCOEV'] },
    { alias: 'bob', displayName: 'Bob', licenses: ['SPE_E3', 'MCOEV', 'MCOPSTN1'] },
    { alias: 'carl', displayName: 'Carl', licenses: ['SPE_E3', 'MCOEV'] },
    { alias: 'dana', displayName: 'Dana', licenses: ['SPE_E3'] },
    { alias: 'aa', displayName: 'Main line', licenses: ['PHONESYSTEM_VIRTUALUSER'], resourceAccount: 'autoAttendant' },
  ],
  numbers: [
    { telephoneNumber: '+14255550101', numberType: 'directRouting', assignedTo: 'ada' },
    { telephoneNumber: '+14255550102', numberType: 'operatorConnect', assignedTo: 'carl' },
    { telephoneNumber: '+14255550199', numberType: 'directRouting', assignedTo: 'aa' },
    { telephoneNumber: '+14255550150', numberType: 'operatorConnect' },
  ],
  adminConsentedClients: [LOCAL_CLIENT_ID],
};

function reader(listAbove?: number) {
  const config = loadConfig(process.env);
  const credential = { kind: 'secret' as const, secret: config.ENTRA_CLIENT_SECRET! };
  return graphTeamsVoiceReader({
    authorityHost: config.ENTRA_AUTHORITY_HOST,
    graphBaseUrl: config.GRAPH_BASE_URL,
    clientId: config.ENTRA_CLIENT_ID,
    credential,
    tokens: tokenVaultFor(config, credential, () => new Date()),
    listAbove,
  })({ kind: 'app', tenantId: TENANT });
}

const idOf = (alias: string) => stack.simulator.control.user(TENANT, alias).id;

beforeAll(() => {
  stack.simulator.control.addTenant(seed);
  // The contract checks below would pass vacuously without the contract.
  expect(stack.simulator.contractChecks.enabled).toBe(true);
});

test.each([
  ['by id, in $batch requests', undefined],
  ['from the whole list', 0],
])('users %s: lines with their number type, Calling Plan, resource account, gone', async (_how, listAbove) => {
  const requestsBefore = stack.simulator.control.requestLog({ service: 'graph' }).length;
  const ids = ['ada', 'bob', 'carl', 'dana', 'aa'].map(idOf);
  const gone = '00000000-0000-4000-8000-00000000dead';
  const read = await reader(listAbove).users([...ids, gone]);
  expect(read.ok).toBe(true);
  if (!read.ok) return;
  const [ada, bob, carl, dana, aa, nobody] = read.value;
  expect(ada).toEqual({
    teamsUserId: ids[0],
    gone: false,
    eligible: true,
    callingPlan: false,
    enterpriseVoice: true,
    line: { phoneNumber: '+14255550101', extension: null, numberType: 'directRouting' },
    voiceRoutingPolicy: null,
    callingPolicy: null,
  });
  expect(bob).toMatchObject({ gone: false, callingPlan: true, line: null });
  expect(carl).toMatchObject({ eligible: true, line: { phoneNumber: '+14255550102', numberType: 'operatorConnect' } });
  expect(dana).toMatchObject({ gone: false, eligible: false, enterpriseVoice: false, line: null });
  expect(aa).toMatchObject({ gone: false, eligible: false, line: { phoneNumber: '+14255550199' } });
  expect(nobody).toMatchObject({ teamsUserId: gone, gone: true, line: null });
  const calls = stack.simulator.control.requestLog({ service: 'graph' }).slice(requestsBefore);
  expect(calls.every((c) => c.method === 'GET' || c.url.endsWith('/$batch'))).toBe(true);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
});

test('number assignments: the holders of the lines asked for, a user or a resource account; free lines have none', async () => {
  const read = await reader().numberAssignments(['+14255550101', '+14255550199', '+14255550150', '+14255550177;ext=12']);
  expect(read.ok).toBe(true);
  if (!read.ok) return;
  expect(read.value.sort((a, b) => a.phoneNumber.localeCompare(b.phoneNumber))).toEqual([
    { phoneNumber: '+14255550101', extension: null, numberType: 'directRouting', targetId: idOf('ada'), targetKind: 'user' },
    { phoneNumber: '+14255550199', extension: null, numberType: 'directRouting', targetId: idOf('aa'), targetKind: 'resourceAccount' },
  ]);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
});

test('a read still throttled after the Graph client retried is transient; no token in the failure', async () => {
  stack.simulator.control.injectFault({ service: 'graph', path: '/$batch', status: 429, retryAfterSeconds: 1, times: 10 });
  const read = await reader().users([idOf('ada')]);
  expect(read).toMatchObject({ ok: false, error: { code: 'TEAMS_THROTTLED', transient: true } });
  stack.simulator.control.clearFaults();
  const text = JSON.stringify(read);
  for (const token of stack.simulator.control.issuedTokens()) expect(text).not.toContain(token);
});
