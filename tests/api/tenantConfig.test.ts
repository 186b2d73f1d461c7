/**
 * The sync's tenant voice configuration on the local runtime with the demo tenant: the first sync creates the
 * integration's PSTN usage, voice routing policy and six calling policies with their documented settings, and the
 * users' grants refer to them; a second sync changes nothing; an admin's changes in the Teams admin center (three
 * settings, one calling policy deleted) are put back by the next sync, one activity row each, while a policy with
 * another prefix is left alone.
 */
import { CALLING_POLICY_SETTINGS, MUSIC_ON_HOLD_SETTINGS } from '../../shared/domain/tenantVoiceConfig';
import { delegatedTokens } from '../support/delegatedTokens';
import { Stack, startStack } from '../support/stack';
import { syncAccount, voiceUser } from '../support/sync';

let stack: Stack;
const ACCOUNT = 'tenant-config';
let t: Awaited<ReturnType<typeof syncAccount>>;

beforeAll(async () => {
  stack = await startStack({ env: { PROVIDER_NAME: 'Example Voice' } });
  t = await syncAccount(stack, ACCOUNT, { licenses: 5 });
}, 120_000);
afterAll(() => stack?.stop());

type Policy = Record<string, unknown> & { Identity: string };
const policies = (type: string): Policy[] =>
  ((t.teams() as unknown as { policies: Record<string, Policy[]> }).policies[type] ?? []).filter((p) => p.Identity !== 'Global');
const policy = (type: string, name: string) => policies(type).find((p) => p.Identity === `Tag:${name}`);
const usages = () => (t.teams() as unknown as { policies: Record<string, Policy[]> }).policies.OnlinePstnUsages?.[0]?.Usage as string[];

/** A change in the Teams admin center: the admin API with the Global Admin's own token. */
async function asAdmin(method: string, path: string, body?: unknown): Promise<number> {
  const { teams } = await delegatedTokens(stack, t.tenantId, 'megan.bowen');
  const res = await fetch(`${stack.simulator.urls.teams}${path}`, {
    method,
    headers: { authorization: `Bearer ${teams}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status;
}

test('the first sync creates the usage, the routing policy and six calling policies; the grants refer to them', async () => {
  expect(policies('TeamsCallingPolicy').filter((p) => p.Identity.startsWith(`Tag:${t.prefix}`))).toEqual([]);
  await t.putDirectory([voiceUser('c1', '+14255554001', null, false, false, 'provider')]);
  await t.map([{ voiceUserId: 'c1', teamsUserId: t.free[0]! }]);
  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 3, applied: 3 } });

  expect(usages()).toContain(t.prefix);
  expect(policy('OnlineVoiceRoutingPolicy', t.prefix)).toMatchObject({ OnlinePstnUsages: [t.prefix] });
  for (const [variant, settings] of Object.entries(CALLING_POLICY_SETTINGS)) {
    for (const [moh, music] of Object.entries(MUSIC_ON_HOLD_SETTINGS)) {
      const p = policy('TeamsCallingPolicy', `${t.prefix}-${variant}-${moh}`);
      expect(p).toMatchObject({ AllowPrivateCalling: true, ...settings, ...music });
      expect(String(p?.Description)).toContain('Example Voice');
    }
  }
  expect(t.policiesOf(t.free[0]!)).toEqual({
    OnlineVoiceRoutingPolicy: `Tag:${t.prefix}`,
    TeamsCallingPolicy: `Tag:${t.prefix}-NoVMOrForward-MOHEXT`,
  });
  // The policy rows (the derived trunk's rows are tests/api/syncTrunk.test.ts's).
  const POLICY_ROWS = ['addPstnUsage', 'createPolicy', 'repairPolicy'];
  const config = (await t.activity(run.runId)).filter((e) => POLICY_ROWS.includes(e.kind));
  expect(config.map((e) => `${e.kind} ${e.target}`).sort()).toEqual(
    [
      `addPstnUsage OnlinePstnUsages/${t.prefix}`,
      `createPolicy OnlineVoiceRoutingPolicy/${t.prefix}`,
      ...['VM', 'NoVM', 'NoVMOrForward'].flatMap((v) =>
        ['MOHTEAMS', 'MOHEXT'].map((m) => `createPolicy TeamsCallingPolicy/${t.prefix}-${v}-${m}`),
      ),
    ].sort(),
  );
  expect(config.every((e) => e.result === 'succeeded')).toBe(true);

  // Nothing to do the second time.
  const again = await t.syncNow();
  expect((await t.activity(again.runId)).filter((e) => e.teamsUserId === '')).toEqual([]);
}, 120_000);

test('drift: three changed settings and a deleted calling policy are put back, four rows; another prefix is untouched', async () => {
  stack.simulator.control.addPolicies(t.tenantId, 'TeamsCallingPolicy', ['Other-VM-MOHTEAMS']);
  const other = JSON.stringify(policy('TeamsCallingPolicy', 'Other-VM-MOHTEAMS'));
  const tag = (name: string) => encodeURIComponent(`Tag:${name}`);
  const base = '/Skype.Policy/configurations/TeamsCallingPolicy/configuration';
  expect(await asAdmin('PUT', `${base}/${tag(`${t.prefix}-VM-MOHTEAMS`)}`, { AllowVoicemail: 'UserOverride' })).toBe(200);
  expect(await asAdmin('PUT', `${base}/${tag(`${t.prefix}-NoVM-MOHEXT`)}`, { MusicOnHoldEnabledType: 'Enabled' })).toBe(200);
  expect(
    await asAdmin('PUT', `/Skype.Policy/configurations/OnlineVoiceRoutingPolicy/configuration/${tag(t.prefix)}`, { OnlinePstnUsages: [] }),
  ).toBe(200);
  // The user's own variant: deleting it also takes it from the user, so the sync grants it again.
  expect(await asAdmin('DELETE', `${base}/${tag(`${t.prefix}-NoVMOrForward-MOHEXT`)}`)).toBe(204);
  expect(t.policiesOf(t.free[0]!).TeamsCallingPolicy).toBeUndefined();

  const run = await t.syncNow();
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 1, applied: 1 } });
  const repairs = (await t.activity(run.runId)).filter((e) => e.teamsUserId === '');
  expect(repairs.map((e) => `${e.kind} ${e.target}`).sort()).toEqual(
    [
      `createPolicy TeamsCallingPolicy/${t.prefix}-NoVMOrForward-MOHEXT`,
      `repairPolicy OnlineVoiceRoutingPolicy/${t.prefix}`,
      `repairPolicy TeamsCallingPolicy/${t.prefix}-NoVM-MOHEXT`,
      `repairPolicy TeamsCallingPolicy/${t.prefix}-VM-MOHTEAMS`,
    ].sort(),
  );
  const vm = repairs.find((e) => e.target === `TeamsCallingPolicy/${t.prefix}-VM-MOHTEAMS`) as unknown as { before: string; after: string };
  expect(JSON.parse(vm.before)).toEqual({ AllowVoicemail: 'UserOverride' });
  expect(JSON.parse(vm.after)).toEqual({ AllowVoicemail: 'AlwaysEnabled' });
  expect(policy('TeamsCallingPolicy', `${t.prefix}-VM-MOHTEAMS`)).toMatchObject({ AllowVoicemail: 'AlwaysEnabled' });
  expect(policy('TeamsCallingPolicy', `${t.prefix}-NoVM-MOHEXT`)).toMatchObject({ MusicOnHoldEnabledType: 'Disabled' });
  expect(policy('OnlineVoiceRoutingPolicy', t.prefix)).toMatchObject({ OnlinePstnUsages: [t.prefix] });
  expect(policy('TeamsCallingPolicy', `${t.prefix}-NoVMOrForward-MOHEXT`)).toMatchObject({ AllowVoicemail: 'AlwaysDisabled' });
  expect(t.policiesOf(t.free[0]!).TeamsCallingPolicy).toBe(`Tag:${t.prefix}-NoVMOrForward-MOHEXT`);
  expect(JSON.stringify(policy('TeamsCallingPolicy', 'Other-VM-MOHTEAMS'))).toBe(other);
  expect(stack.simulator.control.contractViolations()).toEqual([]);
}, 120_000);
