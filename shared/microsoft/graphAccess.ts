/**
 * One Graph client per VoiceAccess, for the Teams voice adapters: the run's delegated Graph token from the token vault
 * (the sync), or the app's own token for the tenant (app-only, the preview). The token stays inside the client's auth
 * provider: it never enters a result, a log line or the history. Also the one mapping of a Microsoft answer that is not
 * a success to our failure values: 429 and 5xx/network are transient (with Retry-After when sent), the rest permanent.
 */
import { TokenCredential } from '@azure/identity';
import { AuthenticationProvider, Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DomainError, ErrorCode, ok, Result } from '../domain/errors';
import { VoiceAccess } from '../sync/teamsVoice';
import { TokenVault } from '../sync/tokenVault';
import { AppCredential, tenantCredential } from './appCredential';
import { GRAPH_RESOURCE } from './entraSignIn';

const GRAPH_SCOPE = `${GRAPH_RESOURCE}/.default`;

export interface GraphAccessSettings {
  authorityHost: string;
  graphBaseUrl: string;
  clientId: string;
  credential: AppCredential;
  tokens: TokenVault;
}

export type Failure = { ok: false; error: DomainError };

export const failure = (code: ErrorCode, message: string, transient: boolean, details?: Record<string, unknown>): Failure => ({
  ok: false,
  error: { code, message, ...(details ? { details } : {}), ...(transient ? { transient } : {}) },
});

/** Retry-After in seconds: whole ones as HTTP has them, or Graph's fractions (e.g. 2.128), rounded up. */
export const retryAfterSeconds = (retryAfter?: string | null): number | undefined =>
  retryAfter && /^\d+(\.\d+)?$/.test(retryAfter.trim()) ? Math.ceil(Number(retryAfter.trim())) : undefined;

/**
 * A Microsoft answer other than success: `service` names the API in our message, `what` the thing asked for,
 * `permanent` the code of a refusal (4xx). Never Microsoft's own text: it may quote what it was sent.
 */
export function microsoftFailure(
  status: number,
  opts: { service: string; what: string; permanent: ErrorCode; retryAfter?: string | null },
): Failure {
  const wait = retryAfterSeconds(opts.retryAfter);
  const details = { status, ...(wait !== undefined ? { retryAfterSeconds: wait } : {}) };
  if (status === 429) return failure('TEAMS_THROTTLED', `${opts.service} is throttling ${opts.what}.`, true, details);
  if (status <= 0 || status >= 500)
    return failure('TEAMS_UNAVAILABLE', `${opts.service} could not be reached for ${opts.what}.`, true, details);
  return failure(opts.permanent, `${opts.service} refused ${opts.what} (${status}).`, false, details);
}

/**
 * A request not sent because Microsoft is throttling its API (a 429 earlier in the step, or the paced turn is further
 * away than the step may wait): transient, never counted as an attempt, retried after `seconds`.
 */
export const notSent = (service: string, what: string, seconds: number): Failure =>
  failure('TEAMS_THROTTLED', `${service} is throttling ${what}; it was not sent yet.`, true, {
    status: 429,
    retryAfterSeconds: seconds,
    notSent: true,
  });

/** A thrown Graph SDK error (or a network error) as a failure value. */
export function thrownGraphFailure(err: unknown, opts: { what: string; permanent: ErrorCode }): Failure {
  const e = err as Partial<GraphError> & { headers?: Headers };
  const status = typeof e.statusCode === 'number' ? e.statusCode : -1;
  return microsoftFailure(status, { service: 'Microsoft Graph', ...opts, retryAfter: e.headers?.get?.('retry-after') });
}

/** A header of a `$batch` inner answer (their names come in any case). */
export const batchHeader = (headers: Record<string, string> | undefined, name: string): string | undefined =>
  Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/** The Graph client of one access; built on first use and kept for the adapter's life. */
export function graphClientFor(settings: GraphAccessSettings, access: VoiceAccess): () => Promise<Result<Client>> {
  const graphBase = settings.graphBaseUrl.replace(/\/$/, '');
  let credential: TokenCredential | undefined;
  let client: Client | undefined;

  async function authProvider(): Promise<Result<AuthenticationProvider>> {
    if (access.kind === 'app') {
      credential ??= tenantCredential(access.tenantId, settings.clientId, settings.credential, {
        authorityHost: settings.authorityHost,
        disableInstanceDiscovery: true,
      });
      try {
        await credential.getToken(GRAPH_SCOPE);
      } catch {
        return failure('TEAMS_UNAVAILABLE', 'Microsoft Entra ID could not issue the app a token for the tenant.', true);
      }
      return ok(new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }));
    }
    const token = await settings.tokens.read(access.runId, GRAPH_RESOURCE);
    if (!token.ok) return token;
    return ok({ getAccessToken: async () => token.value.accessToken });
  }

  return async () => {
    if (client) return ok(client);
    const auth = await authProvider();
    if (!auth.ok) return auth;
    client = Client.initWithMiddleware({
      authProvider: auth.value,
      baseUrl: `${graphBase}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(graphBase).hostname]),
    });
    return ok(client);
  };
}
