/**
 * The app's Entra registration in the simulator, as an operator registers it in Azure (see docs/deploying.md): the
 * fixed redirect URIs for admin consent and sign-in, and the default delegated and application permissions.
 */
import { RunningSimulator } from './simulator';

export const LOCAL_CLIENT_ID = '6f0d1c2b-3a4e-4f5a-9b8c-7d6e5f4a3b21';
export const LOCAL_CLIENT_SECRET = 'local-only-client-secret';

export function redirectUris(publicBaseUrl: string): string[] {
  const base = publicBaseUrl.replace(/\/$/, '');
  return [`${base}/api/auth/consent`, `${base}/api/auth/signin`, `${base}/api/auth/sync`];
}

export function registerLocalApp(
  simulator: RunningSimulator,
  app: { clientId: string; clientSecret: string; publicBaseUrl: string; optionalIdTokenClaims?: string[]; certificatePem?: string },
): void {
  simulator.control.registerApp({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    certificatePem: app.certificatePem,
    displayName: 'Teams Voice Sync (local)',
    redirectUris: redirectUris(app.publicBaseUrl),
    optionalIdTokenClaims: app.optionalIdTokenClaims,
  });
}
