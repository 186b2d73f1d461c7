/** Everything the activation use cases share, wired by the container. */
import { IntegrationLinkDeps } from '../accounts/integrationLink';
import { AccountStore } from '../accounts/ports';
import { CsrfTokens } from '../security/csrf';
import { AuthSessionStore, MicrosoftSignIn, TenantLinks } from './ports';

export interface ActivationDeps extends IntegrationLinkDeps {
  store: AccountStore;
  sessions: AuthSessionStore;
  tenantLinks: TenantLinks;
  microsoft: MicrosoftSignIn;
  csrf: CsrfTokens;
  stateTtlMinutes: number;
  now: () => Date;
}
