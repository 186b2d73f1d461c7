/** Optimistic concurrency on versioned resources (an account, a mapping): callers say which version they read. */
import { fail, Result } from './errors';

/** A precondition: the version the caller read, `any` (the resource must exist), or none (no check). */
export type IfMatch = number | 'any' | undefined;

/** The resource changed since the caller read it (412 STALE_ETAG): `currentVersion` is the one stored now. */
export function staleVersion(resource: 'account' | 'mapping', currentVersion: number | null): Result<never> {
  return fail(
    'STALE_ETAG',
    resource === 'account'
      ? 'The account changed since you read it; read it again and retry.'
      : 'The mapping changed since you read it; read it again and reapply your changes.',
    { currentVersion },
  );
}
