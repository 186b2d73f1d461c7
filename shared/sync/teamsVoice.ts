/**
 * Port: the customer tenant's Teams voice state, read and written. One gateway per access: a run's delegated tokens
 * (read from the token vault by run id: the sync reads and writes with the Global Admin's rights) or the app's own
 * application permissions (read-only: the preview of GET /sync-plan). Adapter: shared/microsoft/teamsVoice.ts.
 *
 * Every answer is a value. A failure carries a stable code and our own message (never a token or raw Microsoft text)
 * and `transient: true` when a later attempt may succeed (429, 5xx, timeouts); `retryAfterSeconds` in its details
 * when Microsoft said how long to wait. Write results carry the request ids to quote to Microsoft support.
 */
import type { Result } from '../domain/errors';
import type { ActualUser, NumberAssignment } from '../domain/syncPlan';
import type { NumberType } from '../domain/account';

export type VoiceAccess =
  /** The run's delegated tokens (Graph and the Teams admin API), read from the vault. */
  | { kind: 'run'; runId: string; tenantId: string }
  /** App-only, for reads (Graph application permission TeamsUserConfiguration.Read.All and the number reads). */
  | { kind: 'app'; tenantId: string };

/** Ids Microsoft support asks for: our `client-request-id` and Microsoft's `request-id`, when it sent one. */
export interface RequestIds {
  clientRequestId: string;
  requestId: string | null;
}

export interface NumberChange {
  kind: 'assignNumber' | 'unassignNumber';
  teamsUserId: string;
  /** `+E164` or `+E164;ext=NNN`. */
  telephoneNumber: string;
  numberType: NumberType;
}

/** A submitted number change: Graph answered 202 and this is the long-running operation to poll (its Location). */
export interface SubmittedChange extends RequestIds {
  operationUrl: string;
}

export type OperationStatus =
  | { state: 'running' }
  | { state: 'succeeded' }
  /** Microsoft's own statusDetail stays out: `reason` is our sentence for it. */
  | { state: 'failed'; reason: string };

export type PolicyType = 'TeamsCallingPolicy' | 'OnlineVoiceRoutingPolicy';

export interface PolicyGrant {
  teamsUserId: string;
  policyType: PolicyType;
  /** The policy's name (without `Tag:`); null takes the direct grant away (back to the org-wide default). */
  policyName: string | null;
}

/** The reads of a sync (with the run's tokens) and of the preview (app-only). */
export interface TeamsVoiceReader {
  /**
   * The Teams voice configuration of these users (`/admin/teams/userConfigurations`), joined with the tenant's number
   * assignments for the numbers they hold (for the number type). A user Microsoft does not know comes back `gone`.
   */
  users(teamsUserIds: readonly string[]): Promise<Result<ActualUser[]>>;
  /** Who holds these lines (`+E164` or `+E164;ext=NNN`) in the tenant (`numberAssignments`, filtered). */
  numberAssignments(telephoneNumbers: readonly string[]): Promise<Result<NumberAssignment[]>>;
}

/** The writes of a sync, with the run's delegated tokens only. */
export interface TeamsVoiceWriter {
  /** Submits number changes (Graph `$batch`, 20 a request); one result per change, in order. */
  submitNumberChanges(changes: readonly NumberChange[]): Promise<Array<Result<SubmittedChange>>>;
  /** Polls long-running number operations (Graph `$batch`); one result per URL, in order. */
  pollNumberOperations(operationUrls: readonly string[]): Promise<Array<Result<OperationStatus>>>;
  /**
   * Grants or revokes policies; one result per grant, in order. Calling policies go through Graph's policy
   * assignment (several users per request), voice routing policies through the Teams admin API (docs/architecture.md).
   */
  grantPolicies(grants: readonly PolicyGrant[]): Promise<Array<Result<RequestIds>>>;
}

/** Builds the reader for one access; cheap (tokens are fetched on use and cached for the reader's life). */
export type TeamsVoiceReaderFor = (access: VoiceAccess) => TeamsVoiceReader;

/** Builds the writer of one run (its delegated tokens only: the app never writes Teams on its own). */
export type TeamsVoiceWriterFor = (access: Extract<VoiceAccess, { kind: 'run' }>) => TeamsVoiceWriter;
