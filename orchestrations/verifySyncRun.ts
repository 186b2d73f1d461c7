/**
 * The post-sync verification of one run (started by the run's last activity, under an instance id of its own): every
 * `pollSeconds` it checks the chunks that still have applied users not showing their changes in Teams, until none is
 * left or `until` (2 hours after the run) has passed; the last check flags those still not effective. The run record
 * shows the counts after each round. Only ids and counts pass through the history.
 */
import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { RunVerification, VerificationCounts } from '../shared/domain/syncVerification';
import {
  RecordVerificationInput,
  SYNC_RETRY,
  VERIFY_SYNC_RUN,
  VerifyActivities as A,
  VerifyChunkInput,
  VerifySyncRunInput,
} from '../shared/sync/contract';
import { retryOptions } from './retry';

export function* verifySyncRun(context: OrchestrationContext): Generator<Task, RunVerification['status'], unknown> {
  const { accountId, runId, tenantId, chunks, until, pollSeconds } = context.df.getInput() as VerifySyncRunInput;
  const retry = retryOptions(SYNC_RETRY);
  const end = Date.parse(until);
  const byChunk = new Map<number, VerificationCounts>();
  let pending = [...chunks];
  for (;;) {
    const now = context.df.currentUtcDateTime.getTime();
    yield context.df.createTimer(new Date(Math.min(now + pollSeconds * 1000, Math.max(end, now))));
    const final = context.df.currentUtcDateTime.getTime() >= end;
    const checks = pending.map((chunk) => {
      const input: VerifyChunkInput = { accountId, runId, tenantId, chunk, final };
      return context.df.callActivityWithRetry(A.checkChunk, retry, input);
    });
    const counts = (yield context.df.Task.all(checks)) as VerificationCounts[];
    pending.forEach((chunk, i) => byChunk.set(chunk, counts[i]!));
    pending = pending.filter((chunk) => {
      const c = byChunk.get(chunk)!;
      return c.effective + c.notEffective < c.users;
    });
    const total = [...byChunk.values()].reduce(
      (sum, c) => ({ users: sum.users + c.users, effective: sum.effective + c.effective, notEffective: sum.notEffective + c.notEffective }),
      { users: 0, effective: 0, notEffective: 0 },
    );
    const done = final || pending.length === 0;
    const record: RecordVerificationInput = { accountId, runId, counts: total, until, final: done };
    yield context.df.callActivityWithRetry(A.record, retry, record);
    if (done) return total.notEffective > 0 ? 'notEffective' : 'effective';
  }
}

df.app.orchestration(VERIFY_SYNC_RUN, verifySyncRun);
