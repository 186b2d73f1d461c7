import {
  CALLING_POLICY_SETTINGS,
  desiredTenantConfig,
  MUSIC_ON_HOLD_SETTINGS,
  tenantConfigChanges,
  ActualTenantConfig,
} from '../../shared/domain/tenantVoiceConfig';
import {
  derivedTrunk,
  desiredVoiceRoute,
  SPARE_LICENCES_NEEDED,
  spareTeamsLicences,
  trunkFqdn,
  trunkLabel,
} from '../../shared/domain/trunkDomain';

const settings = { policyPrefix: 'Acme', numberType: 'directRouting' as const, providerName: 'Example Voice' };
const desired = desiredTenantConfig(settings);
/** The tenant exactly as desired. */
const matching = (): ActualTenantConfig => ({
  pstnUsages: ['Global usage', 'Acme'],
  objects: desired.objects.map((o) => ({ type: o.type, name: o.name, fields: { Identity: `Tag:${o.name}`, ...o.fields, Other: 1 } })),
});

describe('desiredTenantConfig', () => {
  test('Direct Routing: the usage, the voice routing policy granting it, and six calling policies', () => {
    expect(desired.pstnUsage).toBe('Acme');
    expect(desired.objects.map((o) => `${o.type}/${o.name}`)).toEqual([
      'OnlineVoiceRoutingPolicy/Acme',
      'TeamsCallingPolicy/Acme-VM-MOHTEAMS',
      'TeamsCallingPolicy/Acme-VM-MOHEXT',
      'TeamsCallingPolicy/Acme-NoVM-MOHTEAMS',
      'TeamsCallingPolicy/Acme-NoVM-MOHEXT',
      'TeamsCallingPolicy/Acme-NoVMOrForward-MOHTEAMS',
      'TeamsCallingPolicy/Acme-NoVMOrForward-MOHEXT',
    ]);
    expect(desired.objects[0]!.fields.OnlinePstnUsages).toEqual(['Acme']);
  });

  test('Operator Connect: no usage and no voice routing policy of ours, the same calling policies', () => {
    const oc = desiredTenantConfig({ ...settings, numberType: 'operatorConnect' });
    expect(oc.pstnUsage).toBeNull();
    expect(oc.objects.map((o) => o.type)).toEqual(Array(6).fill('TeamsCallingPolicy'));
  });

  test('each variant carries its voicemail, forwarding and music-on-hold settings, and allows calling', () => {
    const byName = new Map(desired.objects.map((o) => [o.name, o.fields]));
    expect(byName.get('Acme-NoVMOrForward-MOHEXT')).toMatchObject({
      AllowPrivateCalling: true,
      AllowVoicemail: 'AlwaysDisabled',
      AllowCallForwardingToUser: false,
      AllowCallForwardingToPhone: false,
      MusicOnHoldEnabledType: 'Disabled',
    });
    expect(byName.get('Acme-VM-MOHTEAMS')).toMatchObject({
      AllowVoicemail: 'AlwaysEnabled',
      AllowCallForwardingToUser: true,
      MusicOnHoldEnabledType: 'Enabled',
    });
    expect(byName.get('Acme-NoVM-MOHTEAMS')).toMatchObject({ AllowVoicemail: 'AlwaysDisabled', AllowCallForwardingToPhone: true });
    expect(Object.keys(CALLING_POLICY_SETTINGS)).toHaveLength(3);
    expect(Object.keys(MUSIC_ON_HOLD_SETTINGS)).toHaveLength(2);
    expect(String(byName.get('Acme-VM-MOHTEAMS')!.Description)).toContain('Example Voice');
  });
});

describe('tenantConfigChanges', () => {
  test('an empty tenant: the usage first, then every object created', () => {
    const changes = tenantConfigChanges(desired, { pstnUsages: [], objects: [] });
    expect(changes[0]).toEqual({ kind: 'addPstnUsage', name: 'Acme' });
    expect(changes.slice(1).map((c) => c.kind)).toEqual(Array(7).fill('create'));
  });

  test('a tenant that matches (other fields and list order aside) needs nothing', () => {
    const actual = matching();
    const vrp = actual.objects[0]!;
    (vrp.fields as Record<string, unknown>).OnlinePstnUsages = ['Acme'];
    expect(tenantConfigChanges(desired, actual)).toEqual([]);
  });

  test('drift: only the fields that differ are put back, with what they were', () => {
    const actual = matching();
    const vm = actual.objects.find((o) => o.name === 'Acme-VM-MOHTEAMS')!;
    Object.assign(vm.fields, { AllowVoicemail: 'UserOverride', MusicOnHoldEnabledType: 'Disabled' });
    expect(tenantConfigChanges(desired, actual)).toEqual([
      {
        kind: 'repair',
        type: 'TeamsCallingPolicy',
        name: 'Acme-VM-MOHTEAMS',
        fields: { AllowVoicemail: 'AlwaysEnabled', MusicOnHoldEnabledType: 'Enabled' },
        before: { AllowVoicemail: 'UserOverride', MusicOnHoldEnabledType: 'Disabled' },
      },
    ]);
  });

  test('a usage list on the policy with an extra usage is drift; a missing object is created; names match in any case', () => {
    const actual = matching();
    (actual.objects[0]!.fields as Record<string, unknown>).OnlinePstnUsages = ['Acme', 'Someone else'];
    const withoutOne = {
      ...actual,
      objects: actual.objects.filter((o) => o.name !== 'Acme-NoVM-MOHEXT').map((o) => ({ ...o, name: o.name.toUpperCase() })),
    };
    const changes = tenantConfigChanges(desired, withoutOne);
    expect(changes.map((c) => `${c.kind} ${'name' in c ? c.name : ''}`)).toEqual(['repair Acme', 'create Acme-NoVM-MOHEXT']);
  });

  test('the usage missing from the Global list is added even when the policies are right', () => {
    expect(tenantConfigChanges(desired, { ...matching(), pstnUsages: ['Other'] })).toEqual([{ kind: 'addPstnUsage', name: 'Acme' }]);
  });
});

describe('the derived trunk names', () => {
  test('an account id that is a DNS label is used as it is; any other is folded and told apart by a hash', () => {
    expect(trunkLabel('acme-001')).toBe('acme-001');
    expect(trunkLabel('Acme.001')).toMatch(/^acme-001-[0-9a-z]{7}$/);
    expect(trunkLabel('acme_001')).toMatch(/^acme-001-[0-9a-z]{7}$/);
    expect(trunkLabel('Acme.001')).not.toBe(trunkLabel('acme_001'));
    const long = trunkLabel('a'.repeat(64));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  test('the pattern places the label under the base domain', () => {
    expect(derivedTrunk('acme-001', 'Trunks.Example.com')).toEqual({ relativeName: 'acme-001', fqdn: 'acme-001.trunks.example.com' });
    expect(derivedTrunk('acme-001', 'trunks.example.com', '{account}.eu')).toEqual({
      relativeName: 'acme-001.eu',
      fqdn: 'acme-001.eu.trunks.example.com',
    });
    expect(trunkFqdn('acme-001', 'trunks.example.com')).toBe('acme-001.trunks.example.com');
  });

  test('the route over the derived trunks, and the spare licences that count', () => {
    expect(desiredVoiceRoute('Acme', ['a.t.example', 'b.t.example'])).toEqual({
      name: 'Acme',
      fields: { NumberPattern: '.*', OnlinePstnGatewayList: ['a.t.example', 'b.t.example'], OnlinePstnUsages: ['Acme'], Priority: 1 },
    });
    expect(
      spareTeamsLicences([
        { spare: 2, teams: true },
        { spare: 5, teams: false },
        { spare: -1, teams: true },
      ]),
    ).toBe(2);
    expect(SPARE_LICENCES_NEEDED).toBe(2);
  });
});
