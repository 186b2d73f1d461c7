/**
 * App-only Microsoft Graph reads of a customer tenant (TenantDirectory port): client credentials for that tenant with
 * @azure/identity, requests with @microsoft/microsoft-graph-client. The client's RetryHandler retries 429/503/504 and
 * honours Retry-After; what still fails comes back as a value with a stable code, marked transient when a later retry
 * (error.transient: the Durable activity retry) may succeed. Messages are ours: no token, secret or raw Microsoft text in them.
 */
import { AuthenticationError, TokenCredential } from '@azure/identity';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { TenantDirectory, TenantProfile, UsersPage } from '../discovery/ports';
import { AssignedPlan, DirectoryUser, SubscribedSku } from '../domain/eligibility';
import { DomainError, ErrorCode, Result } from '../domain/errors';
import { AppCredential, tenantCredential } from './appCredential';

export interface GraphDirectorySettings {
  authorityHost: string;
  graphBaseUrl: string;
  clientId: string;
  credential: AppCredential;
}

/** App-only tokens ask for the app's consented application permissions on Graph. */
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** Only what classification and the mapping drop-down need (assignedPlans is returned only on $select). */
export const USER_SELECT = ['id', 'displayName', 'userPrincipalName', 'mail', 'department', 'accountEnabled', 'assignedPlans'];
/** Graph's largest page for /users. */
export const USERS_PAGE_SIZE = 999;

/** AADSTS codes meaning "this app has no service principal / consent in that tenant". */
const NOT_CONSENTED = ['700016', '65001', '7000229', '500011'];
/** AADSTS codes meaning our own app credential is wrong or expired (an operator must fix the secret). */
const BAD_CREDENTIAL = ['7000215', '7000222', '700027'];

type Failure = { ok: false; error: DomainError };

const failure = (code: ErrorCode, message: string, transient: boolean, details?: Record<string, unknown>): Failure => ({
  ok: false,
  error: { code, message, details, transient },
});

/** Token endpoint failures: never consented, bad app credential, transient, or other. */
export function tokenFailure(err: unknown): Failure {
  const e = err as Partial<AuthenticationError> & { message?: string; code?: string };
  const text = [e.errorResponse?.errorDescription, e.errorResponse?.error, e.message].filter(Boolean).join(' ');
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1] ?? e.errorResponse?.errorCodes?.map(String)[0];
  const details = aadsts ? { aadsts: `AADSTS${aadsts}` } : undefined;
  if (aadsts && NOT_CONSENTED.includes(aadsts)) {
    return failure(
      'DISCOVERY_NOT_CONSENTED',
      "The app has not been granted admin consent in the customer's Microsoft tenant; the Global Admin must activate the integration (admin consent) first.",
      false,
      details,
    );
  }
  if (aadsts === '90002')
    return failure('DISCOVERY_FAILED', 'Microsoft does not know the tenant id the account is linked to.', false, details);
  if (aadsts && BAD_CREDENTIAL.includes(aadsts)) {
    return failure(
      'DISCOVERY_FAILED',
      "Microsoft refused the app's own credential; the operator must renew the client secret.",
      false,
      details,
    );
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  // No status (network) or a server-side/throttling answer, or Entra's "transient error" AADSTS90033: try again later.
  if (status === undefined || status === 0 || status === 429 || status >= 500 || aadsts === '90033') {
    return failure('DISCOVERY_FAILED', 'Microsoft Entra ID could not issue a token right now.', true, details);
  }
  return failure(
    'DISCOVERY_FAILED',
    `Microsoft Entra ID refused the app's token request${aadsts ? ` (AADSTS${aadsts})` : ''}.`,
    false,
    details,
  );
}

/** Graph answers other than success. */
export function graphFailure(err: unknown, what: string): Failure {
  const e = err as Partial<GraphError>;
  const status = typeof e.statusCode === 'number' ? e.statusCode : -1;
  const graphCode = typeof e.code === 'string' ? e.code : undefined;
  const details = { graphStatus: status, ...(graphCode ? { graphCode } : {}), ...(e.requestId ? { requestId: e.requestId } : {}) };
  if (status === 429) {
    const retryAfter = e.headers?.get?.('retry-after');
    return failure(
      'DISCOVERY_THROTTLED',
      `Microsoft Graph kept throttling ${what}${retryAfter ? ` (Retry-After ${retryAfter} s)` : ''}.`,
      true,
      details,
    );
  }
  if (status === 401) {
    return failure('DISCOVERY_FORBIDDEN', `Microsoft Graph did not accept the app's token for ${what} (401).`, false, details);
  }
  if (status === 403) {
    return failure(
      'DISCOVERY_FORBIDDEN',
      `The app lacks a Microsoft Graph permission to read ${what} (403); the Global Admin must grant admin consent again.`,
      false,
      details,
    );
  }
  // -1: no HTTP answer (network); 5xx: Graph's side. Both are worth another try.
  if (status === -1 || status >= 500) {
    return failure(
      'DISCOVERY_FAILED',
      `Microsoft Graph could not be reached for ${what}${status > 0 ? ` (${status})` : ''}.`,
      true,
      details,
    );
  }
  return failure(
    'DISCOVERY_FAILED',
    `Microsoft Graph refused the request for ${what} (${status}${graphCode ? ` ${graphCode}` : ''}).`,
    false,
    details,
  );
}

interface GraphUser {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  department?: string | null;
  accountEnabled?: boolean | null;
  assignedPlans?: Array<{ servicePlanId?: string | null; capabilityStatus?: string | null }> | null;
}

function toDirectoryUser(u: GraphUser): DirectoryUser {
  return {
    id: u.id,
    displayName: u.displayName ?? null,
    userPrincipalName: u.userPrincipalName ?? null,
    mail: u.mail ?? null,
    department: u.department ?? null,
    accountEnabled: u.accountEnabled ?? null,
    assignedPlans: (u.assignedPlans ?? [])
      .filter((p) => typeof p.servicePlanId === 'string')
      .map((p): AssignedPlan => ({ servicePlanId: p.servicePlanId as string, capabilityStatus: p.capabilityStatus ?? '' })),
  };
}

export function graphTenantDirectory(settings: GraphDirectorySettings): TenantDirectory {
  const graphBase = settings.graphBaseUrl.replace(/\/$/, '');
  // One credential (and token cache) and one client per customer tenant, reused by later activity calls.
  const tenants = new Map<string, { credential: TokenCredential; client: Client }>();

  function forTenant(tenantId: string): { credential: TokenCredential; client: Client } {
    let entry = tenants.get(tenantId);
    if (!entry) {
      const credential = tenantCredential(tenantId, settings.clientId, settings.credential, {
        authorityHost: settings.authorityHost,
        disableInstanceDiscovery: true,
      });
      const client = Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
        baseUrl: `${graphBase}/`,
        defaultVersion: 'v1.0',
        customHosts: new Set([new URL(graphBase).hostname]),
      });
      entry = { credential, client };
      tenants.set(tenantId, entry);
    }
    return entry;
  }

  /** Gets the token first, so Entra's refusals (e.g. never consented) are told apart from Graph's. */
  async function call<T>(tenantId: string, what: string, request: (client: Client) => Promise<T>): Promise<Result<T>> {
    const { credential, client } = forTenant(tenantId);
    try {
      await credential.getToken(GRAPH_SCOPE);
    } catch (err) {
      return tokenFailure(err);
    }
    try {
      return { ok: true, value: await request(client) };
    } catch (err) {
      return graphFailure(err, what);
    }
  }

  return {
    usersPage(tenantId, nextLink) {
      // The link comes back through the orchestration history: follow it only to our Graph origin.
      if (nextLink !== null && !nextLink.startsWith(`${graphBase}/`)) {
        return Promise.resolve(failure('DISCOVERY_FAILED', 'The next page link does not point to Microsoft Graph.', false));
      }
      return call(tenantId, 'the tenant users', async (client): Promise<UsersPage> => {
        // The next link is followed as given (it carries Graph's $skiptoken and our $select/$top).
        const request = nextLink ? client.api(nextLink) : client.api('/users').select(USER_SELECT).top(USERS_PAGE_SIZE);
        const page = (await request.get()) as { value?: GraphUser[]; '@odata.nextLink'?: string };
        return { users: (page.value ?? []).map(toDirectoryUser), nextLink: page['@odata.nextLink'] ?? null };
      });
    },

    organization(tenantId) {
      return call(tenantId, 'the organization', async (client): Promise<TenantProfile> => {
        const page = (await client.api('/organization').select(['displayName', 'verifiedDomains']).get()) as {
          value?: Array<{ displayName?: string | null; verifiedDomains?: Array<{ name?: string; isDefault?: boolean }> }>;
        };
        const org = page.value?.[0];
        return {
          displayName: org?.displayName ?? null,
          defaultDomain: org?.verifiedDomains?.find((d) => d.isDefault)?.name ?? null,
        };
      });
    },

    subscribedSkus(tenantId) {
      return call(tenantId, 'the subscribed licences', async (client): Promise<SubscribedSku[]> => {
        const page = (await client.api('/subscribedSkus').select(['skuId', 'skuPartNumber', 'prepaidUnits', 'consumedUnits']).get()) as {
          value?: Array<{ skuId: string; skuPartNumber?: string; prepaidUnits?: { enabled?: number }; consumedUnits?: number }>;
        };
        return (page.value ?? []).map((s) => ({
          skuId: s.skuId,
          skuPartNumber: s.skuPartNumber ?? '',
          enabledUnits: s.prepaidUnits?.enabled ?? 0,
          consumedUnits: s.consumedUnits ?? 0,
        }));
      });
    },
  };
}
