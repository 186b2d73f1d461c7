/** Everything the activation use cases share, wired by the container. */
import { AccountStore } from '../accounts/ports';
import { CsrfTokens } from '../http/browserGuard';
import { LinkSigner } from '../http/signedLinks';
import { AuthSessionStore, MicrosoftSignIn, TenantLinks } from './ports';

export interface ActivationDeps {
  links: LinkSigner;
  store: AccountStore;
  sessions: AuthSessionStore;
  tenantLinks: TenantLinks;
  microsoft: MicrosoftSignIn;
  csrf: CsrfTokens;
  stateTtlMinutes: number;
  /** Absolute URL of the integration page; `?link=` is appended. */
  integrationPageUrl: string;
  now: () => Date;
}
