/**
 * Optimistic concurrency, written once: a step that reads, decides and writes under an ETag is run again with fresh
 * reads while it loses the race (CONCURRENT_UPDATE). Any other outcome, success or failure, is final.
 */
import { fail, Result } from './errors';

export const CONFLICT_ATTEMPTS = 5;

export async function retryOnConflict<T>(
  step: () => Promise<Result<T>>,
  gaveUp = 'The data is being changed by someone else; retry shortly.',
): Promise<Result<T>> {
  for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
    const outcome = await step();
    if (outcome.ok || outcome.error.code !== 'CONCURRENT_UPDATE') return outcome;
  }
  return fail('CONCURRENT_UPDATE', gaveUp);
}
