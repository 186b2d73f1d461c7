/** Use case: sign-in sessions (state, sealed PKCE verifier) that expired over an hour ago are deleted. */
import { ActivationDeps } from './deps';

const GRACE_MS = 3600_000;

export function purgeExpiredSessions(deps: Pick<ActivationDeps, 'sessions' | 'now'>): Promise<number> {
  return deps.sessions.purgeExpired(new Date(deps.now().getTime() - GRACE_MS));
}
