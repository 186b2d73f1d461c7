/**
 * Errors as values: every rule the domain enforces fails with a stable code that the HTTP layer maps to a status and
 * an RFC 9457 problem. Codes never change once published.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  ACTOR_HEADERS_INVALID: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  FORBIDDEN_ROLE: 403,
  FORBIDDEN_ACCOUNT: 403,
  ACCOUNT_NOT_FOUND: 404,
  STALE_ETAG: 412,
  ACCOUNT_REMOVAL_PENDING: 409,
  TENANT_LOCKED: 409,
  INVALID_STATE_TRANSITION: 409,
  CONCURRENT_UPDATE: 409,
  // Activation (integration page, admin consent, sign-in): each refusal has its own reason code.
  LINK_INVALID: 403,
  LINK_EXPIRED: 403,
  LINK_SUPERSEDED: 403,
  CSRF_TOKEN_INVALID: 403,
  ACTIVATION_NOT_AVAILABLE: 409,
  STATE_UNKNOWN: 400,
  STATE_EXPIRED: 400,
  STATE_ALREADY_USED: 400,
  STATE_WRONG_PURPOSE: 400,
  STATE_OTHER_BROWSER: 403,
  CONSENT_DECLINED: 403,
  ADMIN_APPROVAL_REQUIRED: 403,
  MFA_REQUIRED: 401,
  MICROSOFT_SIGN_IN_FAILED: 502,
  CODE_EXCHANGE_FAILED: 502,
  ID_TOKEN_INVALID: 401,
  TENANT_MISMATCH: 403,
  NOT_GLOBAL_ADMIN: 403,
  GLOBAL_ADMIN_MISMATCH: 403,
  TENANT_ALREADY_LINKED: 409,
  // Discovery (app-only reads of the customer tenant).
  DISCOVERY_NOT_CONSENTED: 403,
  DISCOVERY_FORBIDDEN: 403,
  DISCOVERY_THROTTLED: 429,
  DISCOVERY_FAILED: 502,
  // Voice-user directory and mapping.
  DIRECTORY_INVALID: 422,
  PRECONDITION_REQUIRED: 428,
  MAPPING_NOT_AVAILABLE: 409,
  VOICE_USER_NOT_FOUND: 422,
  VOICE_USER_HAS_NO_NUMBER: 422,
  TEAMS_USER_NOT_FOUND: 422,
  TEAMS_USER_NOT_ELIGIBLE: 422,
  TEAMS_USER_ALREADY_MAPPED: 409,
  LICENSE_LIMIT_EXCEEDED: 422,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface DomainError {
  code: ErrorCode;
  message: string;
  /** Extra machine-readable facts (e.g. the offending field, the numbers that broke a rule). */
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, message: string, details?: Record<string, unknown>): Result<T> => ({
  ok: false,
  error: { code, message, details },
});
