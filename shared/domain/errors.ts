/**
 * Errors as values: one Result type for the whole app. Every rule fails with a stable code (codes never change once
 * published); `transient` marks a failure worth retrying later (throttling, an outage). What a code means over HTTP
 * is the HTTP layer's business (shared/http/problem.ts).
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'ACCOUNT_NOT_FOUND',
  'STALE_ETAG',
  'ACCOUNT_REMOVAL_PENDING',
  'TENANT_LOCKED',
  'INVALID_STATE_TRANSITION',
  'CONCURRENT_UPDATE',
  // Activation (integration page, admin consent, sign-in): each refusal has its own reason code.
  'LINK_INVALID',
  'LINK_EXPIRED',
  'LINK_SUPERSEDED',
  'LINK_ALREADY_USED',
  'CSRF_TOKEN_INVALID',
  'ACTIVATION_NOT_AVAILABLE',
  'STATE_UNKNOWN',
  'STATE_EXPIRED',
  'STATE_ALREADY_USED',
  'STATE_WRONG_PURPOSE',
  'STATE_OTHER_BROWSER',
  'CONSENT_DECLINED',
  'ADMIN_APPROVAL_REQUIRED',
  'MFA_REQUIRED',
  'MICROSOFT_SIGN_IN_FAILED',
  'CODE_EXCHANGE_FAILED',
  'ID_TOKEN_INVALID',
  'TENANT_MISMATCH',
  'NOT_GLOBAL_ADMIN',
  'GLOBAL_ADMIN_MISMATCH',
  'TENANT_ALREADY_LINKED',
  // Discovery (app-only reads of the customer tenant).
  'DISCOVERY_NOT_CONSENTED',
  'DISCOVERY_FORBIDDEN',
  'DISCOVERY_THROTTLED',
  'DISCOVERY_FAILED',
  'DISCOVERY_STALLED',
  'DISCOVERY_SUPERSEDED',
  // Voice-user directory and mapping.
  'DIRECTORY_INVALID',
  'MAPPING_NOT_AVAILABLE',
  'VOICE_USER_NOT_FOUND',
  'VOICE_USER_HAS_NO_NUMBER',
  'TEAMS_USER_NOT_FOUND',
  'TEAMS_USER_NOT_ELIGIBLE',
  'TEAMS_USER_ALREADY_MAPPED',
  'LICENSE_LIMIT_EXCEEDED',
  // Sync runs.
  'SYNC_RUN_NOT_FOUND',
  'NOT_SYNC_ADMIN',
  'SYNC_NOT_AVAILABLE',
  'SYNC_RUNNING',
  'SYNC_WINDOW_TOO_SHORT',
  'SYNC_START_FAILED',
  'SYNC_EXPIRED',
  'SYNC_FAILED',
  'SYNC_PARTIAL',
  'TEAMS_ADMIN_CONSENT_MISSING',
  // Sync plan: per-user refusals (the user fails, the others go on).
  'NUMBER_IN_USE',
  'USER_NOT_ELIGIBLE',
  'USER_GONE',
  // Sync apply and reads: per-operation results with the delegated tokens (recorded, the others go on).
  'TEAMS_READ_FAILED',
  'TEAMS_WRITE_REFUSED',
  'TEAMS_WRITE_FAILED',
  'TEAMS_THROTTLED',
  'TEAMS_UNAVAILABLE',
  'POLICY_NOT_FOUND',
  'DEPENDENCY_FAILED',
  // Post-sync verification: applied, yet Microsoft Teams still does not show it to the user.
  'NOT_EFFECTIVE_AFTER_2H',
  // Email delivery (Communication Services).
  'EMAIL_SEND_FAILED',
  // Token vault (a sync run's access tokens).
  'TOKEN_MISSING',
  'TOKEN_EXPIRED',
  'TOKEN_VAULT_UNAVAILABLE',
  // The provider's trunk DNS zone (Azure DNS).
  'DNS_UNAVAILABLE',
  'DNS_REFUSED',
  // The provider's trunk domain in the customer tenant (Graph domains, the activation user and its licence).
  'TRUNK_DOMAIN_FAILED',
  'NO_SPARE_LICENCES',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const isErrorCode = (value: unknown): value is ErrorCode => (ERROR_CODES as readonly unknown[]).includes(value);

export interface DomainError<C extends string = ErrorCode> {
  code: C;
  message: string;
  /** Extra machine-readable facts (e.g. the offending field, the numbers that broke a rule). */
  details?: Record<string, unknown>;
  /** Worth trying again later (throttling, a passing outage); absent means permanent. */
  transient?: boolean;
}

export type Result<T, C extends string = ErrorCode> = { ok: true; value: T } | { ok: false; error: DomainError<C> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <T = never, C extends string = ErrorCode>(
  code: C,
  message: string,
  details?: Record<string, unknown>,
): Result<T, C> => ({ ok: false, error: { code, message, ...(details ? { details } : {}) } });

/** A failure worth retrying later. */
export const failTransient = <T = never>(code: ErrorCode, message: string, details?: Record<string, unknown>): Result<T> => ({
  ok: false,
  error: { code, message, ...(details ? { details } : {}), transient: true },
});
