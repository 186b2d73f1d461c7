/**
 * Simulated "Skype and Teams Tenant Admin API" (the Teams ConfigAPI behind the MicrosoftTeams PowerShell module).
 * ASSUMPTION: Microsoft publishes no REST reference for it. Paths and payload field names follow third-party code
 * (CIPP-API, terraprovider/go-teams) and the PowerShell cmdlet parameter names; response envelopes and status codes
 * are this simulator's choice. See docs/local-simulator.md.
 */
import { authenticate, Caller } from './auth';
import { json, SimRequest, SimResponse } from './http';
import { RESOURCE_TEAMS, SimState } from './state';
import { domainActive, PolicyObject, TenantState } from './tenants/model';
import { canonicalIdentity, CONFIG_TYPES, configIdentity, grantPolicy, newConfigObject, policyMap, policyTypeKey } from './tenants/teams';
import { userLookup } from './graph/users';

const ADMIN_ROLES = [
  '62e90394-69f5-4237-9190-012177145e10',
  '69091246-20e8-4a56-aa4d-066075b2a7a8',
  'baf37b3a-610e-45da-9e62-d9d1e5e8914b',
  'aa38014f-0993-46e9-9b45-30501a20909d',
];

type FieldKind = 'string' | 'string?' | 'bool' | 'int' | 'string[]' | `enum:${string}`;
const FIELDS: Record<string, Record<string, FieldKind>> = {
  OnlinePSTNGateway: {
    Identity: 'string',
    Fqdn: 'string',
    SipSignalingPort: 'int',
    Enabled: 'bool',
    MaxConcurrentSessions: 'int',
    MediaBypass: 'bool',
    SendSipOptions: 'bool',
    ForwardCallHistory: 'bool',
    ForwardPai: 'bool',
    FailoverTimeSeconds: 'int',
    FailoverResponseCodes: 'string',
    GatewaySiteId: 'string?',
    GatewaySiteLbrEnabled: 'bool',
    InboundPstnNumberTranslationRules: 'string[]',
    OutboundPstnNumberTranslationRules: 'string[]',
    InboundTeamsNumberTranslationRules: 'string[]',
    OutboundTeamsNumberTranslationRules: 'string[]',
    PidfLoSupported: 'bool',
    ProxySbc: 'string?',
    BypassMode: 'enum:None|Always|OnlyForLocalUsers',
    IPAddressVersion: 'enum:IPv4|IPv6',
    MediaRelayRoutingLocationOverride: 'string?',
    Description: 'string?',
  },
  OnlinePstnUsages: { Identity: 'string', Usage: 'string[]' },
  OnlineVoiceRoute: {
    Identity: 'string',
    NumberPattern: 'string',
    OnlinePstnGatewayList: 'string[]',
    OnlinePstnUsages: 'string[]',
    Priority: 'int',
    BridgeSourcePhoneNumber: 'string?',
    Description: 'string?',
  },
  OnlineVoiceRoutingPolicy: { Identity: 'string', OnlinePstnUsages: 'string[]', RouteType: 'string', Description: 'string?' },
  TeamsCallingPolicy: {
    Identity: 'string',
    Description: 'string?',
    AllowPrivateCalling: 'bool',
    AllowVoicemail: 'enum:AlwaysEnabled|AlwaysDisabled|UserOverride',
    AllowCallForwardingToUser: 'bool',
    AllowCallForwardingToPhone: 'bool',
    AllowCallGroups: 'bool',
    AllowDelegation: 'bool',
    AllowTransferToVoicemail: 'bool',
    MusicOnHoldEnabledType: 'enum:Enabled|Disabled|UserOverride',
    BusyOnBusyEnabledType: 'enum:Enabled|Disabled|Unanswered|UserOverride',
    PreventTollBypass: 'bool',
  },
};

function err(status: number, code: string, message: string, tenantId?: string): SimResponse {
  return { ...json(status, { error: { code, message } }), tenantId };
}

function checkFields(type: string, body: Record<string, unknown>): string | undefined {
  const spec = FIELDS[type];
  if (!spec) return undefined;
  for (const [k, v] of Object.entries(body)) {
    if (k === 'Key' || k === '@odata.type') continue;
    const kind = spec[k];
    if (!kind) return `Property '${k}' is not a property of ${type}.`;
    if (v === null && (kind.endsWith('?') || kind === 'string[]')) continue;
    const bad =
      (kind.startsWith('string') && kind !== 'string[]' && typeof v !== 'string') ||
      (kind === 'bool' && typeof v !== 'boolean') ||
      (kind === 'int' && !Number.isInteger(v)) ||
      (kind === 'string[]' &&
        !(Array.isArray(v) && v.every((x) => typeof x === 'string')) &&
        !(type === 'OnlinePstnUsages' && typeof v === 'object')) ||
      (kind.startsWith('enum:') && !kind.slice(5).split('|').includes(String(v)));
    if (bad)
      return `Property '${k}' of ${type} has an invalid value (${kind.startsWith('enum:') ? 'expected one of ' + kind.slice(5).replace(/\|/g, ', ') : 'expected ' + kind}).`;
  }
  return undefined;
}

function semanticCheck(t: TenantState, type: string, obj: PolicyObject): string | undefined {
  const usages = (t.policies.get('OnlinePstnUsages')?.get('global')?.Usage as string[] | undefined) ?? [];
  if (type === 'OnlinePSTNGateway') {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(obj.Identity)) return `Identity '${obj.Identity}' is not a fully qualified domain name.`;
    if (obj.SipSignalingPort === undefined) return 'SipSignalingPort is required.';
    const p = obj.SipSignalingPort as number;
    if (p < 1 || p > 65535) return 'SipSignalingPort must be between 1 and 65535.';
  }
  if (type === 'OnlineVoiceRoute') {
    try {
      new RegExp(String(obj.NumberPattern ?? ''));
    } catch {
      return `NumberPattern '${String(obj.NumberPattern)}' is not a valid regular expression.`;
    }
    // A gateway of the tenant, or a derived trunk (Microsoft's carrier model): a domain of the tenant, verified and
    // activated by a licensed user on it; anything else is refused.
    for (const g of (obj.OnlinePstnGatewayList as string[] | undefined) ?? [])
      if (!t.policies.get('OnlinePSTNGateway')?.has(g.toLowerCase()) && !domainActive(t, g))
        return `Gateway '${g}' is neither a PSTN gateway of the tenant nor a derived trunk of an active domain.`;
  }
  if (type === 'OnlineVoiceRoute' || type === 'OnlineVoiceRoutingPolicy') {
    for (const u of (obj.OnlinePstnUsages as string[] | undefined) ?? [])
      if (!usages.includes(u)) return `PSTN usage '${u}' is not in the global PSTN usage list.`;
  }
  return undefined;
}

export function createTeamsAdmin(state: SimState) {
  function authorize(req: SimRequest): Caller | SimResponse {
    const auth = authenticate(state, req, [RESOURCE_TEAMS, `api://${RESOURCE_TEAMS}`]);
    if (!auth.ok)
      return {
        ...err(401, 'Unauthorized', auth.message),
        headers: {
          'www-authenticate': `Bearer authorization_uri="${state.urls.entra}/common/oauth2/authorize", resource_id="${RESOURCE_TEAMS}"`,
        },
      };
    const c = auth.caller;
    if (c.appOnly) {
      const app = state.apps.get(c.clientId);
      if (!app?.application?.[RESOURCE_TEAMS])
        return err(403, 'Forbidden', 'App-only access needs a Teams administrator directory role on the service principal.', c.tenant.id);
    } else {
      if (!c.scopes.includes('user_impersonation'))
        return err(403, 'Forbidden', 'The token lacks the user_impersonation scope.', c.tenant.id);
      if (!c.user!.roles.some((r) => ADMIN_ROLES.includes(r)))
        return err(403, 'Forbidden', 'The user is not a Teams or Global administrator.', c.tenant.id);
    }
    return c;
  }

  return async function handleTeams(req: SimRequest): Promise<SimResponse> {
    const c = authorize(req);
    if ('status' in c) return c;
    const t = c.tenant;
    const segs = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const ok = (status: number, body?: unknown): SimResponse => ({
      status,
      body,
      tenantId: t.id,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });

    if (req.method === 'GET' && segs[0] === 'Teams.Tenant' && (segs[1] === 'tenants' || segs[1] === 'serviceDiscovery')) {
      const body = {
        tenantId: t.id,
        DisplayName: t.displayName,
        serviceDiscovery: {
          Endpoints: { ConfigApiEndpoint: req.origin, AdminServiceEndpoint: req.origin },
          Headers: { 'X-MS-Forest': 'SIMFOREST01' },
        },
      };
      return { ...ok(200, body), headers: { 'content-type': 'application/json', 'x-ms-target-uri': req.origin } };
    }

    if (segs[0] !== 'Skype.Policy') return err(404, 'NotFound', `No such ConfigAPI resource: ${req.path}`, t.id);

    // user grants
    if (segs[1] === 'users' && segs[2]) {
      const user = userLookup(t, segs[2]);
      if (!user) return err(404, 'UserNotFound', `User '${segs[2]}' was not found.`, t.id);
      if (req.method === 'GET' && segs[3] === 'policies' && !segs[4]) {
        return ok(200, {
          userId: user.id,
          userPrincipalName: user.userPrincipalName,
          policies: Object.fromEntries(t.grants.get(user.id) ?? []),
        });
      }
      if (req.method === 'PATCH' && segs[3] === 'policies' && segs[4]) {
        const type = segs[4];
        let body: { PolicyName?: unknown };
        try {
          body = JSON.parse(req.rawBody || '{}') as { PolicyName?: unknown };
        } catch {
          return err(400, 'BadRequest', 'The body is not valid JSON.', t.id);
        }
        const extra = Object.keys(body).filter((k) => k !== 'PolicyName');
        if (extra.length || !('PolicyName' in body))
          return err(400, 'BadRequest', 'The body must be exactly { "PolicyName": <name or null> }.', t.id);
        if (body.PolicyName !== null && typeof body.PolicyName !== 'string')
          return err(400, 'BadRequest', 'PolicyName must be a string or null.', t.id);
        if (!t.policies.has(policyTypeKey(t, type))) return err(404, 'PolicyTypeNotFound', `Unknown policy type '${type}'.`, t.id);
        if (body.PolicyName === null || /^global$/i.test(body.PolicyName)) {
          grantPolicy(t, user.id, type, null);
          return ok(204);
        }
        const identity = canonicalIdentity(body.PolicyName);
        if (!policyMap(t, type).has(identity.toLowerCase()))
          return err(404, 'PolicyNotFound', `Policy '${body.PolicyName}' of type '${type}' does not exist.`, t.id);
        grantPolicy(t, user.id, type, identity);
        return ok(204);
      }
      return err(405, 'MethodNotAllowed', `${req.method} is not supported here.`, t.id);
    }

    if (segs[1] !== 'configurations' || !segs[2]) return err(404, 'NotFound', `No such ConfigAPI resource: ${req.path}`, t.id);
    const type = CONFIG_TYPES.find((x) => x.toLowerCase() === segs[2]!.toLowerCase());
    if (!type) return err(404, 'PolicyTypeNotFound', `Configuration type '${segs[2]}' is not simulated.`, t.id);
    const m = policyMap(t, type);
    const identityRaw = segs[3] === 'configuration' ? segs[4] : undefined;
    if (segs[3] !== undefined && (segs[3] !== 'configuration' || !identityRaw || segs.length > 5))
      return err(404, 'NotFound', `No such ConfigAPI resource: ${req.path}`, t.id);

    if (req.method === 'GET' && !identityRaw) return ok(200, [...m.values()]);
    if (req.method === 'GET') {
      const obj = m.get(configIdentity(type, identityRaw!).toLowerCase());
      return obj ? ok(200, obj) : err(404, 'NotFound', `${type} '${identityRaw}' does not exist.`, t.id);
    }

    let body: Record<string, unknown> = {};
    if (req.method === 'POST' || req.method === 'PUT') {
      try {
        const parsed = JSON.parse(req.rawBody || '{}') as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          return err(400, 'BadRequest', 'The body must be a JSON object.', t.id);
        body = parsed as Record<string, unknown>;
      } catch {
        return err(400, 'BadRequest', 'The body is not valid JSON.', t.id);
      }
      const bad = checkFields(type, body);
      if (bad) return err(400, 'InvalidProperty', bad, t.id);
    }

    if (req.method === 'POST' && !identityRaw) {
      const rawId = typeof body.Identity === 'string' ? body.Identity : typeof body.Fqdn === 'string' ? body.Fqdn : undefined;
      if (!rawId) return err(400, 'BadRequest', 'Identity is required.', t.id);
      if (type === 'OnlinePstnUsages') return err(400, 'BadRequest', 'PSTN usages are a single Global list; update it with PUT.', t.id);
      const identity = configIdentity(type, rawId);
      if (identity === 'Global') return err(409, 'Conflict', `The Global ${type} always exists; update it with PUT.`, t.id);
      if (m.has(identity.toLowerCase())) return err(409, 'Conflict', `${type} '${rawId}' already exists.`, t.id);
      const obj = newConfigObject(type, identity, body);
      const bad = semanticCheck(t, type, obj);
      if (bad) return err(400, 'ValidationFailed', bad, t.id);
      m.set(identity.toLowerCase(), obj);
      return ok(201, obj);
    }

    if (req.method === 'PUT' && identityRaw) {
      const identity = configIdentity(type, identityRaw);
      const existing = m.get(identity.toLowerCase());
      if (!existing) return err(404, 'NotFound', `${type} '${identityRaw}' does not exist.`, t.id);
      const next: PolicyObject = { ...existing };
      for (const [k, v] of Object.entries(body)) {
        if (k === 'Identity') continue;
        if (type === 'OnlinePstnUsages' && k === 'Usage' && v && typeof v === 'object' && !Array.isArray(v)) {
          const change = v as { add?: string[]; remove?: string[] };
          const current = new Set((existing.Usage as string[]) ?? []);
          for (const a of change.add ?? []) current.add(a);
          for (const r of change.remove ?? []) current.delete(r);
          next.Usage = [...current];
        } else next[k] = v;
      }
      const bad = semanticCheck(t, type, next);
      if (bad) return err(400, 'ValidationFailed', bad, t.id);
      m.set(identity.toLowerCase(), next);
      return ok(200, next);
    }

    if (req.method === 'DELETE' && identityRaw) {
      const identity = configIdentity(type, identityRaw);
      if (identity === 'Global') return err(400, 'BadRequest', `The Global ${type} cannot be removed.`, t.id);
      if (!m.has(identity.toLowerCase())) return err(404, 'NotFound', `${type} '${identityRaw}' does not exist.`, t.id);
      if (type === 'OnlinePSTNGateway') {
        const used = [...(t.policies.get('OnlineVoiceRoute')?.values() ?? [])].find((r) =>
          ((r.OnlinePstnGatewayList as string[]) ?? []).some((g) => g.toLowerCase() === identity.toLowerCase()),
        );
        if (used) return err(400, 'ValidationFailed', `Gateway '${identity}' is used by voice route '${used.Identity}'.`, t.id);
      }
      m.delete(identity.toLowerCase());
      for (const [userId, g] of t.grants) {
        for (const [k, v] of g)
          if (k.toLowerCase() === type.toLowerCase() && v.toLowerCase() === identity.toLowerCase()) grantPolicy(t, userId, type, null);
      }
      return ok(204);
    }
    return err(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.path}.`, t.id);
  };
}
