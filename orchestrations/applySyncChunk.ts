/**
 * Applies one chunk of a sync run's plan (a sub-orchestration per chunk, so each history stays small): the apply step
 * runs until every operation of the chunk settled, with a durable timer between steps while Microsoft runs the number
 * changes or a retry waits (never a sleep). Past the run's deadline, or after APPLY_MAX_STEPS steps, one last step
 * stops what is left and commits the chunk; a step's retries end at the deadline too. Only ids, counts and codes pass
 * through the history.
 */
import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { ActivityError } from '../shared/domain/activityFailure';
import { insideWindow } from '../shared/domain/syncRun';
import {
  APPLY_MAX_STEPS,
  APPLY_STEPS_EXHAUSTED,
  APPLY_SYNC_CHUNK,
  ApplyChunkInput,
  ApplyChunkOutput,
  ApplyStepInput,
  ApplyStepOutput,
  SYNC_RETRY,
  SYNC_WINDOW_PASSED,
  SyncActivities as A,
} from '../shared/sync/contract';
import { retryOptions, retryUntil } from './retry';

export function* applySyncChunk(context: OrchestrationContext): Generator<Task, ApplyChunkOutput, unknown> {
  const { accountId, runId, tenantId, chunk, deadline } = context.df.getInput() as ApplyChunkInput;
  let stop: ActivityError | null = null;
  for (let step = 0; ; step++) {
    const now = context.df.currentUtcDateTime;
    if (!stop && !insideWindow({ deadline }, now)) stop = SYNC_WINDOW_PASSED;
    if (!stop && step >= APPLY_MAX_STEPS) stop = APPLY_STEPS_EXHAUSTED;
    const input: ApplyStepInput = { accountId, runId, tenantId, chunk, stop };
    // A step's retries end at the deadline; the last step (stop: it records and commits) retries as long as it must.
    const retry = stop ? retryOptions(SYNC_RETRY) : retryUntil(SYNC_RETRY, deadline, now);
    let out: ApplyStepOutput;
    try {
      out = (yield context.df.callActivityWithRetry(A.applyStep, retry, input)) as ApplyStepOutput;
    } catch (err) {
      // Retries cut short by the deadline: the chunk still stops cleanly, keeping what was applied.
      if (stop || insideWindow({ deadline }, context.df.currentUtcDateTime)) throw err;
      stop = SYNC_WINDOW_PASSED;
      continue;
    }
    if (out.settled || stop) return { counts: out.counts, expired: stop === SYNC_WINDOW_PASSED };
    const wake = new Date(context.df.currentUtcDateTime.getTime() + out.waitSeconds * 1000);
    yield context.df.createTimer(wake);
  }
}

df.app.orchestration(APPLY_SYNC_CHUNK, applySyncChunk);
