/**
 * Host-side retry policy for CallActivityWithRetry / CallSubOrchestratorWithRetry, computed as the Durable Task
 * Framework's RetryInterceptor does: after failed attempt n (1-based) wait
 * min(firstRetryInterval * backoffCoefficient^(n-1), maxRetryInterval), unless the retry timeout has passed.
 */
export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export function retryDelayMs(options: RetryOptions, failedAttempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  return max && max > 0 ? Math.min(delay, max) : delay;
}

export function retryTimedOut(options: RetryOptions, firstAttemptAt: Date, now: Date): boolean {
  const timeout = options.retryTimeoutInMilliseconds;
  return !!timeout && timeout > 0 && now.getTime() >= firstAttemptAt.getTime() + timeout;
}
