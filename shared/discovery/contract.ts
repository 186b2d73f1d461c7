/**
 * The discovery orchestration's contract with its activities: names, inputs and outputs. Everything here goes into
 * the orchestration history, so it stays small: ids, links, counts and error codes, never user lists or tokens.
 * Pure (no I/O), so the deterministic orchestrator may import it. Steps answer with a Result: a permanent failure
 * comes back as a value (code and message only); transient ones are thrown as TransientFailure, which
 * callActivityWithRetry retries. Every step given an account and a tenant first checks that the account is bound to
 * that tenant (TENANT_MISMATCH otherwise): whoever starts the orchestration cannot point one account at another tenant.
 */
import { ActivityError } from '../domain/activityFailure';
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

export interface BeginInput {
  accountId: string;
  tenantId: string;
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
  error: ActivityError;
}

export interface DiscoverTenantOutput {
  discoveryId: string;
  status: 'succeeded' | 'failed';
  counts: DiscoveryCounts | null;
  error: ActivityError | null;
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

/** Recorded when a step failed for good with anything but one of our transient failures (details are in the logs). */
export const DISCOVERY_GAVE_UP: ActivityError = {
  code: 'DISCOVERY_FAILED',
  message: 'Discovery stopped after repeated unexpected errors; the logs have the details.',
};

export const emptyCounts = (): DiscoveryCounts => ({ users: 0, eligible: 0, callingPlan: 0, resourceAccounts: 0, gone: 0 });
