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
