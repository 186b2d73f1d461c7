/** RFC 9457 problem details with a stable machine-readable `code`, and the HTTP status each code answers with. */
import { ErrorCode } from '../domain/errors';

/** Codes only the HTTP layer raises: about the request itself, not about a rule of the product. */
export type HttpErrorCode =
  | 'MALFORMED_JSON'
  | 'BODY_NOT_UTF8'
  | 'ACTOR_HEADERS_INVALID'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'FORBIDDEN_ROLE'
  | 'FORBIDDEN_ACCOUNT'
  | 'PRECONDITION_REQUIRED'
  | 'INTERNAL_ERROR';

export type ProblemCode = ErrorCode | HttpErrorCode;

export const HTTP_STATUS: Record<ProblemCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  BODY_NOT_UTF8: 400,
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
  LINK_INVALID: 403,
  LINK_EXPIRED: 403,
  LINK_SUPERSEDED: 403,
  LINK_ALREADY_USED: 403,
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
  DISCOVERY_NOT_CONSENTED: 403,
  DISCOVERY_FORBIDDEN: 403,
  DISCOVERY_THROTTLED: 429,
  DISCOVERY_FAILED: 502,
  DISCOVERY_STALLED: 504,
  DISCOVERY_SUPERSEDED: 409,
  DIRECTORY_INVALID: 422,
  PRECONDITION_REQUIRED: 428,
  MAPPING_NOT_AVAILABLE: 409,
  VOICE_USER_NOT_FOUND: 422,
  VOICE_USER_HAS_NO_NUMBER: 422,
  TEAMS_USER_NOT_FOUND: 422,
  TEAMS_USER_NOT_ELIGIBLE: 422,
  TEAMS_USER_ALREADY_MAPPED: 409,
  LICENSE_LIMIT_EXCEEDED: 422,
  SYNC_RUN_NOT_FOUND: 404,
  NOT_SYNC_ADMIN: 403,
  SYNC_NOT_AVAILABLE: 409,
  SYNC_RUNNING: 409,
  SYNC_WINDOW_TOO_SHORT: 409,
  SYNC_START_FAILED: 503,
  // Recorded on runs only (a run that ran out of its token window, or gave up after unexpected errors).
  SYNC_EXPIRED: 409,
  SYNC_FAILED: 502,
  SYNC_PARTIAL: 502,
  TEAMS_ADMIN_CONSENT_MISSING: 403,
  // A sync run's per-user refusals (recorded per user; conflicts with the tenant's state).
  NUMBER_IN_USE: 409,
  USER_NOT_ELIGIBLE: 409,
  USER_GONE: 409,
  TEAMS_READ_FAILED: 502,
  TEAMS_WRITE_REFUSED: 502,
  TEAMS_WRITE_FAILED: 502,
  TEAMS_THROTTLED: 503,
  TEAMS_UNAVAILABLE: 503,
  POLICY_NOT_FOUND: 409,
  DEPENDENCY_FAILED: 409,
  NOT_EFFECTIVE_AFTER_2H: 502,
  EMAIL_SEND_FAILED: 502,
  TOKEN_MISSING: 409,
  TOKEN_EXPIRED: 409,
  TOKEN_VAULT_UNAVAILABLE: 503,
  DNS_UNAVAILABLE: 503,
  DNS_REFUSED: 502,
  TRUNK_DOMAIN_FAILED: 502,
  NO_SPARE_LICENCES: 409,
  INTERNAL_ERROR: 500,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  correlationId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(
  status: number,
  code: string,
  title: string,
  extra: Omit<Partial<Problem>, 'status' | 'code' | 'title'> = {},
): Problem {
  return { type: `urn:teams-voice-sync:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, code, ...extra };
}
