/** What discovery needs from the outside world (Graph, Table Storage) and what it reports. */
import { Classification, DirectoryUser, LicenceCount, SubscribedSku } from '../domain/eligibility';
import { Account } from '../domain/account';
import { Result } from '../domain/errors';

export interface DiscoveryCounts {
  /** Users seen in the tenant by the last discovery (resource accounts and disabled users included). */
  users: number;
  eligible: number;
  /** Users (not resource accounts) holding an active Microsoft Calling Plan. */
  callingPlan: number;
  resourceAccounts: number;
  /** Users known from earlier discoveries and not seen in the last one. */
  gone: number;
}

export interface TenantProfile {
  displayName: string | null;
  /** e.g. contoso.onmicrosoft.com or the domain the customer made default */
  defaultDomain: string | null;
}

/** One account's latest discovery, as stored and shown by /status and the integration page. */
export interface DiscoveryStatus {
  discoveryId: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** When the discovery last wrote progress (null on rows from before this was recorded). */
  progressAt: string | null;
  pagesRead: number;
  usersSeen: number;
  counts: DiscoveryCounts | null;
  licences: LicenceCount[] | null;
  /** The tenant's name and default domain (Graph organization), shown where a GUID would tell a person nothing. */
  tenant: TenantProfile | null;
  /** A stable code (DISCOVERY_*) and a readable message; never a token or a secret. */
  error: { code: string; message: string } | null;
}

export interface UsersPage {
  users: DirectoryUser[];
  /** Graph's @odata.nextLink, or null on the last page. */
  nextLink: string | null;
}

/**
 * App-only reads of a customer tenant (Microsoft Graph). Failures come back as values; `error.transient` marks the
 * ones worth retrying (throttling, 5xx, network).
 */
export interface TenantDirectory {
  /** The first users page when `nextLink` is null, otherwise the page that link names. */
  usersPage(tenantId: string, nextLink: string | null): Promise<Result<UsersPage>>;
  subscribedSkus(tenantId: string): Promise<Result<SubscribedSku[]>>;
  /** The tenant's display name and default verified domain. */
  organization(tenantId: string): Promise<Result<TenantProfile>>;
}

/** A discovered Teams user as stored (teamsUsers table: one partition per account, one row per Teams user id). */
export interface TeamsUserRecord extends Classification {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  department: string | null;
  accountEnabled: boolean;
  /** Id of the discovery that last wrote the row (first seen, changed or back in the tenant), and when. */
  lastSeen: string;
  lastSeenAt: string;
  /** No longer in the tenant (not seen by the last successful discovery); kept, never silently deleted. */
  gone: boolean;
  goneSince: string | null;
}

export type TeamsUserName = Pick<TeamsUserRecord, 'id' | 'displayName' | 'userPrincipalName'>;

export interface TeamsUserStore {
  /**
   * Writes the users that are new, changed or back from gone (compared with what is stored, `lastSeen` and
   * `lastSeenAt` aside), in transactions of at most 100 (one partition); an unchanged user is not written. Idempotent.
   * Returns how many were written.
   */
  saveSeen(accountId: string, users: TeamsUserRecord[]): Promise<number>;
  /**
   * Marks every stored user not in `seen` as gone (keeping an earlier goneSince; a keys-only read of the partition
   * finds them); returns how many are gone.
   */
  markGone(accountId: string, seen: ReadonlySet<string>, at: string): Promise<number>;
  list(accountId: string): Promise<TeamsUserRecord[]>;
  /**
   * Eligible users still in the tenant in display-name order (then id), for the mapping's free list: the first `limit`
   * that `wanted` keeps, and whether more would follow. Read in chunks from a kept list (rebuilt by the first read
   * after a discovery wrote anything), so the common case is one or two point reads.
   */
  eligibleByName(
    accountId: string,
    wanted: (u: TeamsUserName) => boolean,
    limit: number,
  ): Promise<{ users: TeamsUserName[]; more: boolean }>;
  /** The users with these ids (point reads); unknown ids are left out. */
  getMany(accountId: string, ids: string[]): Promise<TeamsUserRecord[]>;
}

export interface DiscoveryStore {
  get(accountId: string): Promise<DiscoveryStatus | undefined>;
  /** Records a new discovery as running; a second call for the same discovery id changes nothing. */
  begin(accountId: string, discoveryId: string, startedAt: string): Promise<void>;
  /**
   * Applies `patch` to the account's discovery when it is still `discoveryId` (a later discovery wins over a late,
   * duplicate step of an earlier one). Returns false when another discovery has replaced it.
   */
  update(accountId: string, discoveryId: string, patch: DiscoveryPatch): Promise<boolean>;
  /** Records the user ids one users page of `discoveryId` saw (page numbers from 1; a repeated page overwrites itself). */
  recordSeen(accountId: string, discoveryId: string, page: number, ids: readonly string[]): Promise<void>;
  /** Every user id the pages of `discoveryId` recorded; null when no page was recorded (nothing to compare with). */
  seen(accountId: string, discoveryId: string): Promise<Set<string> | null>;
  /**
   * Records the discovery as succeeded with `patch` and, in the same transaction, saves `activation.account` (the
   * account it activates) under `activation.etag`: nobody ever sees one without the other. ok(false) when another
   * discovery has replaced this one; CONCURRENT_UPDATE when either row changed meanwhile.
   */
  succeed(
    accountId: string,
    discoveryId: string,
    patch: DiscoveryPatch,
    activation: { account: Account; etag: string } | null,
  ): Promise<Result<boolean>>;
}

/** A change to the discovery row; the steps set `progressAt` on every write (a run that stops writing has stopped). */
export type DiscoveryPatch = Partial<Omit<DiscoveryStatus, 'discoveryId'>>;

/**
 * The part of the Durable client that starting orchestrations needs (adapter: shared/durable/orchestrationClient.ts).
 * The Durable extension replaces an instance that completed, failed or was terminated when its id is started again,
 * so a fixed per-account id can run again and again; only a pending or running instance refuses a new start.
 */
export interface OrchestrationClient {
  /** True while the instance is pending or running. */
  isRunning(instanceId: string): Promise<boolean>;
  /** Starts (or restarts, when the instance finished) `name` under `instanceId`. */
  start(name: string, instanceId: string, input: unknown): Promise<void>;
  /** Asks the runtime to end a pending or running instance (it may take a moment to be seen as ended). */
  terminate(instanceId: string, reason: string): Promise<void>;
}
