/** Shared setup for the simulator tests: start a simulator on free ports and drive sign-ins with msal-node. */
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { AuthorizeOutcome, DEMO_TENANT_ID, RunningSimulator, startSimulator, StartSimulatorOptions } from '../../local/simulator';

export const APP = {
  clientId: 'c0ffee00-1111-4222-8333-444455556666',
  clientSecret: 'sim-test-secret-value',
  redirectUri: 'https://localhost/auth/callback',
};
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const TEAMS_SCOPE = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default';
export { DEMO_TENANT_ID };

export async function startTestSimulator(opts: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({
    seed: 42,
    apps: [{ ...APP, redirectUris: [APP.redirectUri], displayName: 'Teams Voice Sync (test)', optionalIdTokenClaims: ['wids'] }],
    ...opts,
  });
  return sim;
}

export function msalApp(sim: RunningSimulator, tenant = 'organizations', secret = APP.clientSecret): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: APP.clientId,
      clientSecret: secret,
      authority: `${sim.urls.entra}/${tenant}`,
      knownAuthorities: [new URL(sim.urls.entra).host],
    },
  });
}

export interface AuthorizeResult {
  status: number;
  location?: URL;
  body: string;
  verifier: string;
  nonce: string;
  state: string;
}

/** Builds the authorize URL with msal-node (PKCE S256), scripts the outcome and follows the first hop. */
export async function authorize(
  sim: RunningSimulator,
  cca: ConfidentialClientApplication,
  outcome: AuthorizeOutcome | undefined,
  scopes: string[] = ['https://graph.microsoft.com/User.Read'],
): Promise<AuthorizeResult & { url: string }> {
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const state = crypto.createNewGuid();
  const nonce = crypto.createNewGuid();
  const url = await cca.getAuthCodeUrl({
    scopes,
    redirectUri: APP.redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    responseMode: 'query' as never,
  });
  if (outcome) sim.control.scriptAuthorize(outcome);
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { url, status: res.status, location: location ? new URL(location) : undefined, body: await res.text(), verifier, nonce, state };
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
