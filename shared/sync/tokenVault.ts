/**
 * Port: the token vault. A sync run's delegated access tokens live here under the run id, one per resource, and
 * nowhere else (not in orchestration input/output, table rows, logs or pages); activities read them by run id.
 */
import { Result } from '../domain/errors';

/** One delegated access token of a run; `resource` is what it was issued for (e.g. `https://graph.microsoft.com`). */
export interface RunToken {
  resource: string;
  accessToken: string;
  expiresOn: Date;
}

export interface TokenVault {
  /**
   * Stores a run's tokens (run id: a GUID). VALIDATION_FAILED for a bad run id, resource or token (one already
   * expired included), TOKEN_VAULT_UNAVAILABLE (transient) when the vault cannot be reached; on any failure the
   * tokens already stored for the run are removed again, so a failed store leaves nothing behind.
   */
  store(runId: string, tokens: RunToken[]): Promise<Result<void>>;
  /** The run's token for `resource` while it is unexpired: TOKEN_MISSING, TOKEN_EXPIRED or TOKEN_VAULT_UNAVAILABLE. */
  read(runId: string, resource: string): Promise<Result<RunToken>>;
  /** Deletes and purges every token of the run; idempotent (a second call finds nothing). Returns how many. */
  deleteRun(runId: string): Promise<number>;
  /** Deletes and purges every run token expired at `now` (and any left deleted but unpurged). Returns how many. */
  purgeExpired(now: Date): Promise<number>;
}
