/** Optimistic concurrency on versioned resources (an account, a mapping): callers say which version they read. */

/** A precondition: the version the caller read, `any` (the resource must exist), or none (no check). */
export type IfMatch = number | 'any' | undefined;
