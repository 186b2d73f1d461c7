/** The sync run's pure rules: deadline, stage and status transitions, and what a finished run does to its account. */
import { Account, effectiveActionNeeded, enableAccount, DEFAULT_SETTINGS } from '../../shared/domain/account';
import {
  accountAfterRun,
  advanceRun,
  DEADLINE_SAFETY_MARGIN_MS,
  FinishedStatus,
  finishRun,
  insideWindow,
  outcomeOf,
  runDeadline,
  startRun,
  SyncRun,
} from '../../shared/domain/syncRun';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const RUN_ID = '3f2b8c1e-5d4a-4e7b-9c2d-1a0b9e8f7c6d';

const running = (): SyncRun =>
  startRun({ runId: RUN_ID, accountId: 'acme', trigger: 'portal', startedBy: 'ga-1', deadline: later(55 * 60_000) }, T0);

function account(state: Account['state'], actionNeeded: Account['actionNeeded']): Account {
  const { account: a } = enableAccount(
    'acme',
    { name: 'Acme', licenseCount: 5, globalAdmin: { portalUserId: 'ga-1', displayName: 'Ga', email: 'ga@acme.example' } },
    DEFAULT_SETTINGS,
    T0,
  );
  return { ...a, state, actionNeeded, tenantBound: true, runningRunId: RUN_ID };
}

const value = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string } }): T => {
  if (!r.ok) throw new Error(r.error.code);
  return r.value;
};

describe('runDeadline', () => {
  test('is the earliest token expiry minus the safety margin', () => {
    const deadline = runDeadline([later(60 * 60_000), later(45 * 60_000), later(90 * 60_000)]);
    expect(deadline?.toISOString()).toBe(later(45 * 60_000 - DEADLINE_SAFETY_MARGIN_MS).toISOString());
    expect(DEADLINE_SAFETY_MARGIN_MS).toBe(5 * 60_000);
  });

  test('is null without tokens', () => {
    expect(runDeadline([])).toBeNull();
  });

  test('work may start only before the deadline', () => {
    const run = running();
    expect(insideWindow(run, later(55 * 60_000 - 1))).toBe(true);
    expect(insideWindow(run, later(55 * 60_000))).toBe(false);
  });
});

describe('a run', () => {
  test('starts Running at preflight with zero counts and no error', () => {
    expect(running()).toMatchObject({
      status: 'Running',
      stage: 'preflight',
      startedAt: T0.toISOString(),
      finishedAt: null,
      counts: { planned: 0, applied: 0, failed: 0, left: 0 },
      error: null,
    });
  });

  test('moves forward through its stages and reports progress in the same stage', () => {
    const planned = value(advanceRun(value(advanceRun(running(), 'discovery')), 'plan', { planned: 4, left: 4 }));
    const progress = value(advanceRun(value(advanceRun(planned, 'apply')), 'apply', { applied: 1, left: 3 }));
    expect(progress).toMatchObject({ stage: 'apply', counts: { planned: 4, applied: 1, failed: 0, left: 3 } });
  });

  test('never goes back to an earlier stage', () => {
    const applying = value(advanceRun(running(), 'apply'));
    const back = advanceRun(applying, 'plan');
    expect(back.ok).toBe(false);
    if (!back.ok) expect(back.error).toMatchObject({ code: 'INVALID_STATE_TRANSITION', details: { from: 'apply', to: 'plan' } });
  });

  test('once finished never changes again', () => {
    const done = value(finishRun(running(), { status: 'Succeeded' }, later(1000)));
    expect(done).toMatchObject({ status: 'Succeeded', finishedAt: later(1000).toISOString() });
    for (const again of [advanceRun(done, 'finish'), finishRun(done, { status: 'Failed' }, later(2000))]) {
      expect(again.ok).toBe(false);
      if (!again.ok) expect(again.error.code).toBe('INVALID_STATE_TRANSITION');
    }
  });

  test('a failure keeps the stage it failed in, with its code', () => {
    const failed = value(
      finishRun(
        value(advanceRun(running(), 'discovery')),
        { status: 'Failed', error: { code: 'TENANT_MISMATCH', message: 'x' } },
        later(1),
      ),
    );
    expect(failed).toMatchObject({ status: 'Failed', stage: 'discovery', error: { code: 'TENANT_MISMATCH' } });
  });
});

test.each([
  [{ planned: 3, applied: 3, failed: 0, left: 0 }, false, 'Succeeded'],
  [{ planned: 0, applied: 0, failed: 0, left: 0 }, false, 'Succeeded'],
  [{ planned: 3, applied: 2, failed: 1, left: 0 }, false, 'PartiallySucceeded'],
  [{ planned: 3, applied: 0, failed: 3, left: 0 }, false, 'Failed'],
  [{ planned: 3, applied: 1, failed: 0, left: 2 }, true, 'Expired'],
  [{ planned: 3, applied: 3, failed: 0, left: 0 }, true, 'Succeeded'],
] as const)('outcome of %j (window ran out: %s) is %s', (counts, ranOut, status) => {
  expect(outcomeOf(counts, ranOut)).toBe(status);
});

test('refused users make a run that applied everything else PartiallySucceeded; with failures and nothing applied it is Failed', () => {
  expect(outcomeOf({ planned: 3, applied: 3, failed: 0, left: 0 }, false, 2)).toBe('PartiallySucceeded');
  expect(outcomeOf({ planned: 0, applied: 0, failed: 0, left: 0 }, false, 1)).toBe('PartiallySucceeded');
  expect(outcomeOf({ planned: 3, applied: 0, failed: 3, left: 0 }, false, 1)).toBe('Failed');
  expect(outcomeOf({ planned: 3, applied: 3, failed: 0, left: 0 }, false, 0)).toBe('Succeeded');
});

describe('what a finished run does to its account', () => {
  const finished = (status: FinishedStatus, left = 0) =>
    value(finishRun(running(), { status, counts: { planned: 2, applied: 2 - left, left } }, later(60_000)));

  test('records the last sync and clears the run in progress; queued changes then decide the action', () => {
    const before = account('active', 'none');
    const after = value(accountAfterRun(before, finished('Succeeded')));
    expect(after).toMatchObject({
      state: 'active',
      actionNeeded: 'none',
      lastSyncAt: later(60_000).toISOString(),
      lastSyncStatus: 'Succeeded',
      runningRunId: null,
      version: before.version + 1,
    });
    expect(effectiveActionNeeded(after, 0)).toBe('none');
    // An expired run leaves changes queued: the mapping still counts them, so a sync is needed again.
    const expired = value(accountAfterRun(before, finished('Expired', 1)));
    expect(expired.lastSyncStatus).toBe('Expired');
    expect(effectiveActionNeeded(expired, 1)).toBe('sync');
  });

  test('a final sync that succeeded with nothing left completes the removal', () => {
    const after = value(accountAfterRun(account('removalPending', 'finalSync'), finished('Succeeded')));
    expect(after).toMatchObject({ state: 'removed', actionNeeded: 'none', lastSyncStatus: 'Succeeded' });
  });

  test.each(['Failed', 'PartiallySucceeded', 'Expired'] as const)('a final sync that ended %s still needs the final sync', (status) => {
    const after = value(accountAfterRun(account('removalPending', 'finalSync'), finished(status, status === 'Expired' ? 1 : 0)));
    expect(after).toMatchObject({ state: 'removalPending', actionNeeded: 'finalSync', lastSyncStatus: status });
    expect(effectiveActionNeeded(after, 0)).toBe('finalSync');
  });

  test('recording the same run twice changes nothing the second time', () => {
    const once = value(accountAfterRun(account('active', 'none'), finished('Succeeded')));
    expect(value(accountAfterRun(once, finished('Succeeded')))).toBe(once);
  });

  test('leaves another run in progress alone, and refuses a run still running', () => {
    const other = { ...account('active', 'none'), runningRunId: 'another' };
    expect(value(accountAfterRun(other, finished('Succeeded'))).runningRunId).toBe('another');
    expect(accountAfterRun(other, running()).ok).toBe(false);
  });
});
