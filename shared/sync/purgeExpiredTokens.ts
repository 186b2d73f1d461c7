/** Use case (hourly timer): deletes every run token past its expiry, so a run that crashed leaves no token behind. */
import { TokenVault } from './tokenVault';

export function purgeExpiredTokens(deps: { tokens: TokenVault; now: () => Date }): Promise<number> {
  return deps.tokens.purgeExpired(deps.now());
}
