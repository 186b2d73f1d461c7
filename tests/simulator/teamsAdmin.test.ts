import { ConfidentialClientApplication } from '@azure/msal-node';
import { RunningSimulator } from '../../local/simulator';
import { APP, authorize, DEMO_TENANT_ID, msalApp, startTestSimulator, TEAMS_SCOPE } from './helpers';

let sim: RunningSimulator;
let teamsToken: string;
let graphToken: string;

async function signIn(user: string, cca: ConfidentialClientApplication): Promise<{ teams: string; graph: string }> {
  const a = await authorize(sim, cca, { outcome: 'signIn', user });
  const r = await cca.acquireTokenByCode({
    code: a.location!.searchParams.get('code')!,
    scopes: ['https://graph.microsoft.com/.default'],
    redirectUri: APP.redirectUri,
    codeVerifier: a.verifier,
    nonce: a.nonce,
    state: a.state,
  });
  const t = await cca.acquireTokenSilent({ account: r.account!, scopes: [TEAMS_SCOPE] });
  return { teams: t.accessToken, graph: r.accessToken };
}

async function call(method: string, path: string, body?: unknown, token = teamsToken): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.urls.teams}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'x-ms-correlation-id': 'c1',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  sim = await startTestSimulator();
  const tokens = await signIn('megan.bowen', msalApp(sim));
  teamsToken = tokens.teams;
  graphToken = tokens.graph;
});
afterAll(async () => {
  await sim.stop();
});

describe('Teams admin ConfigAPI (assumed paths)', () => {
  test('service discovery answers with the ConfigAPI endpoint', async () => {
    const r = await call('GET', '/Teams.Tenant/tenants');
    expect(r.status).toBe(200);
    expect(r.json.serviceDiscovery.Endpoints.ConfigApiEndpoint).toBe(sim.urls.teams);
    expect(r.json.tenantId).toBe(DEMO_TENANT_ID);
  });

  test('voice configuration CRUD: usage, gateway, route, routing policy, calling policy, then grants visible in Graph', async () => {
    expect(
      (await call('PUT', '/Skype.Policy/configurations/OnlinePstnUsages/configuration/Global', { Usage: { add: ['VoiceSync-Usage'] } }))
        .json.Usage,
    ).toContain('VoiceSync-Usage');
    expect(
      (
        await call('POST', '/Skype.Policy/configurations/OnlinePSTNGateway', {
          Identity: 'sbc1.provider.example',
          SipSignalingPort: 5061,
          Enabled: true,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('POST', '/Skype.Policy/configurations/OnlineVoiceRoute', {
          Identity: 'VoiceSync-Route',
          NumberPattern: '.*',
          OnlinePstnGatewayList: ['sbc1.provider.example'],
          OnlinePstnUsages: ['VoiceSync-Usage'],
          Priority: 1,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('POST', '/Skype.Policy/configurations/OnlineVoiceRoutingPolicy', {
          Identity: 'VoiceSync-VRP',
          OnlinePstnUsages: ['VoiceSync-Usage'],
        })
      ).status,
    ).toBe(201);
    const cp = await call('POST', '/Skype.Policy/configurations/TeamsCallingPolicy', {
      Identity: 'VS-VM-MOHTEAMS',
      AllowVoicemail: 'AlwaysEnabled',
      AllowCallForwardingToPhone: true,
      MusicOnHoldEnabledType: 'Enabled',
    });
    expect(cp.status).toBe(201);
    expect(cp.json.Identity).toBe('Tag:VS-VM-MOHTEAMS');
    expect(
      (await call('GET', '/Skype.Policy/configurations/TeamsCallingPolicy/configuration/Tag:VS-VM-MOHTEAMS')).json.AllowVoicemail,
    ).toBe('AlwaysEnabled');
    const upd = await call('PUT', '/Skype.Policy/configurations/TeamsCallingPolicy/configuration/Tag:VS-VM-MOHTEAMS', {
      AllowVoicemail: 'AlwaysDisabled',
    });
    expect(upd.json.AllowVoicemail).toBe('AlwaysDisabled');
    expect(upd.json.MusicOnHoldEnabledType).toBe('Enabled');

    const user = sim.control.user(DEMO_TENANT_ID, 'nestor.wilke');
    expect(
      (await call('PATCH', `/Skype.Policy/users/${user.id}/policies/OnlineVoiceRoutingPolicy`, { PolicyName: 'VoiceSync-VRP' })).status,
    ).toBe(204);
    expect(
      (await call('PATCH', `/Skype.Policy/users/${user.userPrincipalName}/policies/TeamsCallingPolicy`, { PolicyName: 'VS-VM-MOHTEAMS' }))
        .status,
    ).toBe(204);
    const state = sim.control.teamsState(DEMO_TENANT_ID) as { grants: Array<{ userId: string; policies: Record<string, string> }> };
    expect(state.grants.find((g) => g.userId === user.id)!.policies).toEqual({
      OnlineVoiceRoutingPolicy: 'Tag:VoiceSync-VRP',
      TeamsCallingPolicy: 'Tag:VS-VM-MOHTEAMS',
    });

    // the same grant through Graph's view (delegated token with TeamsUserConfiguration.Read.All)
    const res = await fetch(`${sim.urls.graph}/v1.0/admin/teams/userConfigurations/${user.id}`, {
      headers: { authorization: `Bearer ${graphToken}` },
    });
    const cfg = (await res.json()) as { effectivePolicyAssignments: Array<{ policyType: string }> };
    expect(cfg.effectivePolicyAssignments.map((p) => p.policyType).sort()).toEqual(['OnlineVoiceRoutingPolicy', 'TeamsCallingPolicy']);

    // revert to global with null, delete objects
    expect((await call('PATCH', `/Skype.Policy/users/${user.id}/policies/TeamsCallingPolicy`, { PolicyName: null })).status).toBe(204);
    expect((await call('DELETE', '/Skype.Policy/configurations/OnlinePSTNGateway/configuration/sbc1.provider.example')).status).toBe(400);
    expect((await call('DELETE', '/Skype.Policy/configurations/OnlineVoiceRoute/configuration/VoiceSync-Route')).status).toBe(204);
    expect((await call('DELETE', '/Skype.Policy/configurations/OnlinePSTNGateway/configuration/sbc1.provider.example')).status).toBe(204);
    expect((await call('DELETE', '/Skype.Policy/configurations/TeamsCallingPolicy/configuration/Global')).status).toBe(400);
  });

  test('bad input is refused: unknown property, bad enum, unknown usage, unknown policy in a grant, duplicate create', async () => {
    expect(
      (await call('POST', '/Skype.Policy/configurations/TeamsCallingPolicy', { Identity: 'X1', AllowVoiceMail: 'AlwaysEnabled' })).status,
    ).toBe(400);
    expect(
      (await call('POST', '/Skype.Policy/configurations/TeamsCallingPolicy', { Identity: 'X2', AllowVoicemail: 'Sometimes' })).status,
    ).toBe(400);
    expect(
      (await call('POST', '/Skype.Policy/configurations/OnlineVoiceRoutingPolicy', { Identity: 'X3', OnlinePstnUsages: ['Nope'] })).status,
    ).toBe(400);
    const user = sim.control.user(DEMO_TENANT_ID, 'lee.gu');
    expect((await call('PATCH', `/Skype.Policy/users/${user.id}/policies/TeamsCallingPolicy`, { PolicyName: 'DoesNotExist' })).status).toBe(
      404,
    );
    expect((await call('POST', '/Skype.Policy/configurations/TeamsCallingPolicy', { Identity: 'AllowCalling' })).status).toBe(409);
  });

  test('delegated Graph: /me and /me/memberOf show the Global Administrator role template', async () => {
    const me = (await (await fetch(`${sim.urls.graph}/v1.0/me`, { headers: { authorization: `Bearer ${graphToken}` } })).json()) as {
      userPrincipalName: string;
    };
    expect(me.userPrincipalName).toBe(sim.control.user(DEMO_TENANT_ID, 'megan.bowen').userPrincipalName);
    const roles = (await (
      await fetch(`${sim.urls.graph}/v1.0/me/memberOf`, { headers: { authorization: `Bearer ${graphToken}` } })
    ).json()) as { value: Array<Record<string, string>> };
    expect(roles.value).toEqual([
      expect.objectContaining({ '@odata.type': '#microsoft.graph.directoryRole', roleTemplateId: '62e90394-69f5-4237-9190-012177145e10' }),
    ]);
  });

  test('authorisation: Graph audience, missing token and non-admin users are refused', async () => {
    expect((await call('GET', '/Skype.Policy/configurations/TeamsCallingPolicy', undefined, graphToken)).status).toBe(401);
    expect((await fetch(`${sim.urls.teams}/Skype.Policy/configurations/TeamsCallingPolicy`)).status).toBe(401);
    const other = await signIn('adele.vance', msalApp(sim));
    expect((await call('GET', '/Skype.Policy/configurations/TeamsCallingPolicy', undefined, other.teams)).status).toBe(403);
  });
});
