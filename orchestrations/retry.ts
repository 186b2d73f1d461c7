/** The Durable retry options of a workflow's retry policy (from its contract), the same way for every orchestrator. */
import * as df from 'durable-functions';

export interface RetryPolicy {
  firstRetryIntervalMs: number;
  maxAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalMs: number;
}

export function retryOptions(policy: RetryPolicy): df.RetryOptions {
  const retry = new df.RetryOptions(policy.firstRetryIntervalMs, policy.maxAttempts);
  retry.backoffCoefficient = policy.backoffCoefficient;
  retry.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalMs;
  return retry;
}

/**
 * A workflow's retry options once its deadline is known: a step's retries also end at the deadline (the Durable retry
 * timeout), so no retry runs on tokens about to expire. Deterministic: `now` is the orchestration's current time.
 */
export function retryUntil(policy: RetryPolicy, deadline: string, now: Date): df.RetryOptions {
  const retry = retryOptions(policy);
  retry.retryTimeoutInMilliseconds = Math.max(1, Date.parse(deadline) - now.getTime());
  return retry;
}
