/**
 * The app's own credential towards Microsoft Entra ID: a client secret, or a certificate (PEM with the private key
 * and the certificate), which Microsoft recommends over secrets. Both SDKs get it in their own form.
 */
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, TokenCredential } from '@azure/identity';
import { X509Certificate } from 'node:crypto';

export type AppCredential = { kind: 'secret'; secret: string } | { kind: 'certificate'; pem: string };

/** msal-node's `auth` fields for the credential (certificate: SHA-256 thumbprint and the x5c chain for SNI). */
export function msalCredential(
  credential: AppCredential,
): { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string; x5c: string } } {
  if (credential.kind === 'secret') return { clientSecret: credential.secret };
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(credential.pem)?.[0];
  const privateKey = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(credential.pem)?.[0];
  if (!certificate || !privateKey) throw new Error('The app certificate PEM needs both the certificate and its private key.');
  const thumbprintSha256 = new X509Certificate(certificate).fingerprint256.replace(/:/g, '');
  return { clientCertificate: { thumbprintSha256, privateKey, x5c: certificate } };
}

/** An @azure/identity credential for app-only tokens in `tenantId`. */
export function tenantCredential(
  tenantId: string,
  clientId: string,
  credential: AppCredential,
  options: { authorityHost: string; disableInstanceDiscovery: boolean },
): TokenCredential {
  return credential.kind === 'secret'
    ? new ClientSecretCredential(tenantId, clientId, credential.secret, options)
    : new ClientCertificateCredential(tenantId, clientId, { certificate: credential.pem }, options);
}

/**
 * How the app signs in to one of the provider's own Azure resources (the token vault, the trunk DNS zone): its managed
 * identity (in Azure; `clientId` for a user-assigned one), or the app registration's own credential in the resource's
 * tenant (locally: the simulator's home tenant).
 */
export type AzureIdentity =
  | { kind: 'managedIdentity'; clientId?: string }
  | { kind: 'app'; tenantId: string; clientId: string; credential: AppCredential; authorityHost: string };

/** The @azure/identity credential for an `AzureIdentity`. */
export function azureCredential(identity: AzureIdentity): TokenCredential {
  if (identity.kind === 'managedIdentity')
    return identity.clientId ? new ManagedIdentityCredential({ clientId: identity.clientId }) : new ManagedIdentityCredential();
  return tenantCredential(identity.tenantId, identity.clientId, identity.credential, {
    authorityHost: identity.authorityHost,
    disableInstanceDiscovery: true,
  });
}
