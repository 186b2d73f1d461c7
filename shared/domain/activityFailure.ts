/**
 * A Durable activity's failure crosses into its orchestrator as data. Transient failures are thrown (so the retry
 * policy of callActivityWithRetry retries them) as a TransientFailure whose message is the JSON of its code and
 * message; when the retries are used up, the orchestrator reads that JSON back. Any other exception (a storage
 * outage, a bug) becomes the caller's fallback error: a raw exception text is never shown.
 */
import { DomainError, ErrorCode, isErrorCode } from './errors';

/** What travels: the code and a readable message (never details, which may be large; never a secret). */
export interface ActivityError {
  code: ErrorCode;
  message: string;
}

export class TransientFailure extends Error {
  constructor(error: Pick<DomainError, 'code' | 'message'>) {
    // One line of JSON: the host may put a prefix before it and stack lines after it, never inside it.
    super(JSON.stringify({ code: error.code, message: error.message }));
    this.name = 'TransientFailure';
  }
}

const MARK = '{"code":';

/** The error an activity failed with, from the failure message the orchestrator received. */
export function activityErrorFrom(failureMessage: string | undefined, fallback: ActivityError): ActivityError {
  const at = failureMessage?.indexOf(MARK) ?? -1;
  if (!failureMessage || at < 0) return fallback;
  const line = failureMessage.slice(at).split('\n')[0];
  try {
    const data = JSON.parse(line) as { code?: unknown; message?: unknown };
    return isErrorCode(data.code) && typeof data.message === 'string' ? { code: data.code, message: data.message } : fallback;
  } catch {
    return fallback;
  }
}
