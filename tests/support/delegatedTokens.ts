/**
 * Real delegated tokens from the simulated Microsoft sign-in, for tests that hand a run its tokens directly (as the
 * sync sign-in callback does): the authorization code flow with PKCE for the app's local registration, then the
 * Teams admin API token from the refresh token, as the product's sign-in does.
 */
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, redirectUris } from '../../local/appRegistration';
import { Stack } from './stack';

const GRAPH = 'https://graph.microsoft.com/.default';
const TEAMS = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default';

/**
 * Access tokens of `user` (alias or UPN) in `tenantId` for Graph and the Teams admin API. `graphScopes`: the delegated
 * Graph permissions to ask for (the product's sync sign-in asks for SYNC_GRAPH_SCOPES); by default `/.default`.
 */
export async function delegatedTokens(
  stack: Stack,
  tenantId: string,
  user: string,
  graphScopes: readonly string[] = [GRAPH],
): Promise<{ graph: string; teams: string }> {
  const scopes = [...graphScopes];
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: LOCAL_CLIENT_ID,
      clientSecret: LOCAL_CLIENT_SECRET,
      authority: `${stack.simulator.urls.entra}/organizations`,
      knownAuthorities: [new URL(stack.simulator.urls.entra).host],
    },
  });
  const redirectUri = redirectUris(stack.url).find((u) => u.endsWith('/api/auth/sync'))!;
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const url = await cca.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256' });
  stack.simulator.control.scriptAuthorize({ outcome: 'signIn', user, tenantId });
  const location = (await fetch(url, { redirect: 'manual' })).headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`the simulated sign-in of ${user} gave no code`);
  const graph = await cca.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier: verifier });
  const teams = await cca.acquireTokenSilent({ account: graph.account!, scopes: [TEAMS] });
  return { graph: graph.accessToken, teams: teams.accessToken };
}
