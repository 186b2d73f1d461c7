/**
 * The discovery orchestration's contract with its activities: names, inputs and outputs. Everything here goes into
 * the orchestration history, so it stays small: ids, links, counts and error codes, never user lists or tokens.
 * Pure (no I/O), so the deterministic orchestrator may import it.
 */
import { ErrorCode, ErrorCodes } from '../domain/errors';
import { DiscoveryCounts } from './ports';

export const DISCOVER_TENANT = 'discoverTenant';

export const DiscoveryActivities = {
  begin: 'discoveryBegin',
  usersPage: 'discoveryUsersPage',
  licences: 'discoveryLicences',
  markGone: 'discoveryMarkGone',
  complete: 'discoveryComplete',
  fail: 'discoveryFail',
} as const;

export interface DiscoverTenantInput {
  accountId: string;
  tenantId: string;
}

export interface StepError {
  code: ErrorCode;
  message: string;
}

/** A permanent failure comes back as a value; transient ones are thrown so callActivityWithRetry retries them. */
export type StepResult<T> = { ok: true; value: T } | { ok: false; error: StepError };

export interface BeginInput {
  accountId: string;
  discoveryId: string;
  startedAt: string;
}

export interface UsersPageInput {
  accountId: string;
  tenantId: string;
  discoveryId: string;
  /** null for the first page */
  nextLink: string | null;
  /** Progress after this page, written with it (so a repeated page writes the same numbers). */
  pagesRead: number;
  usersSeenBefore: number;
  seenAt: string;
}

export interface PageCounts {
  users: number;
  eligible: number;
  callingPlan: number;
  resourceAccounts: number;
}

export interface UsersPageOutput extends PageCounts {
  nextLink: string | null;
}

export interface LicencesInput {
  accountId: string;
  tenantId: string;
  discoveryId: string;
}

export interface MarkGoneInput {
  accountId: string;
  discoveryId: string;
  at: string;
}

export interface CompleteInput {
  accountId: string;
  discoveryId: string;
  finishedAt: string;
  counts: DiscoveryCounts;
}

export interface FailInput {
  accountId: string;
  discoveryId: string;
  finishedAt: string;
  error: StepError;
}

export interface DiscoverTenantOutput {
  discoveryId: string;
  status: 'succeeded' | 'failed';
  counts: DiscoveryCounts | null;
  error: StepError | null;
}

/** What the orchestrator shows as custom status while it runs. */
export interface DiscoveryProgress {
  discoveryId: string;
  stage: 'starting' | 'users' | 'licences' | 'gone' | 'completing' | 'succeeded' | 'failed';
  pagesRead: number;
  usersSeen: number;
}

/** Activity retries for transient faults, on top of the Graph client's own Retry-After handling. */
export const DISCOVERY_RETRY = { firstRetryIntervalMs: 2000, maxAttempts: 5, backoffCoefficient: 3, maxRetryIntervalMs: 60_000 };

/** A thrown transient failure carries its code in the message: "DISCOVERY_THROTTLED: …". */
export const transientMessage = (error: StepError): string => `${error.code}: ${error.message}`;

/**
 * The error to record when an activity failed for good (its retries used up). Our own transient failures name their
 * code; anything else (storage outage, a bug) gets DISCOVERY_FAILED with a fixed message, since a raw exception
 * message is not fit to show (details are in the logs).
 */
export function stepErrorFromFailure(message: string | undefined): StepError {
  // Not anchored: the real host may wrap the message ("Exception: …", stack lines after it).
  const m = /\b(DISCOVERY_[A-Z_]+): ([^\n]+)/.exec(message ?? '');
  if (m && m[1] in ErrorCodes) return { code: m[1] as ErrorCode, message: m[2] };
  return { code: 'DISCOVERY_FAILED', message: 'Discovery stopped after repeated unexpected errors; the logs have the details.' };
}

export const emptyCounts = (): DiscoveryCounts => ({ users: 0, eligible: 0, callingPlan: 0, resourceAccounts: 0, gone: 0 });
