/**
 * Use case: start an account's sync run with the Global Admin's delegated tokens. One run per account: the
 * orchestration has a fixed instance id per account (the runtime refuses a second start while one runs) and the
 * syncRuns table holds at most one Running run. The tokens go to the vault under a new run id first; then the run
 * is recorded (Running, preflight) and the orchestration started with ids only. Should anything after the vault
 * write fail, the run's tokens are deleted again and its record marked Failed: no token is left behind.
 */
import { randomUUID } from 'node:crypto';
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { OrchestrationClient } from '../discovery/ports';
import { fail, failTransient, ok, Result } from '../domain/errors';
import { finishRun, runDeadline, startRun, SyncRun, SyncTrigger } from '../domain/syncRun';
import { SYNC_TENANT, syncInstanceId, SyncTenantInput } from './contract';
import { SyncRunStore } from './ports';
import { RunToken, TokenVault } from './tokenVault';

export interface StartSyncRequest {
  accountId: string;
  trigger: SyncTrigger;
  /** The portal user id of the Global Admin who authorised the run. */
  startedBy: string;
  tokens: RunToken[];
}

export interface StartSyncDeps {
  accounts: Pick<AccountStore, 'get'>;
  syncRuns: SyncRunStore;
  tokens: TokenVault;
  orchestrations: OrchestrationClient;
  now: () => Date;
}

const SYNCABLE = ['active', 'removalPending'];

const running = (runId: string | null): Result<never> =>
  fail('SYNC_RUNNING', 'A sync run of this account is running; wait for it to finish.', { runId });

/** A Running row whose orchestration is gone and whose window has passed was left by a crash: it runs no more. */
async function endAbandoned(deps: StartSyncDeps, run: SyncRun): Promise<void> {
  const ended = finishRun(
    run,
    {
      status: 'Expired',
      error: { code: 'SYNC_EXPIRED', message: 'The sync run stopped before it finished; its token window has passed.' },
    },
    deps.now(),
  );
  if (!ended.ok) return;
  const { status, error, finishedAt } = ended.value;
  await deps.syncRuns.update(run.accountId, run.runId, { status, error, finishedAt });
  await deps.tokens.deleteRun(run.runId);
}

export async function startSync(deps: StartSyncDeps, request: StartSyncRequest): Promise<Result<{ runId: string }>> {
  const { accountId } = request;
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return loaded;
  const { account } = loaded.value;
  if (!SYNCABLE.includes(account.state) || !account.tenantBound) {
    return fail('SYNC_NOT_AVAILABLE', `The account is ${account.state}: only an active account (or a final sync) can be synced.`, {
      state: account.state,
    });
  }

  const instanceId = syncInstanceId(accountId);
  const [instanceRunning, runningRun] = await Promise.all([deps.orchestrations.isRunning(instanceId), deps.syncRuns.running(accountId)]);
  if (instanceRunning) return running(runningRun?.runId ?? null);
  if (runningRun) {
    if (Date.parse(runningRun.deadline) > deps.now().getTime()) return running(runningRun.runId);
    await endAbandoned(deps, runningRun);
  }

  const now = deps.now();
  const deadline = runDeadline(request.tokens.map((t) => t.expiresOn));
  if (!deadline) return fail('VALIDATION_FAILED', 'A sync run needs the delegated access tokens it was authorised with.');
  if (deadline.getTime() <= now.getTime()) {
    return fail('SYNC_WINDOW_TOO_SHORT', 'The access tokens expire too soon for a sync run; sign in again to start one.', {
      deadline: deadline.toISOString(),
    });
  }

  const runId = randomUUID();
  const stored = await deps.tokens.store(runId, request.tokens);
  if (!stored.ok) return stored;

  const run = startRun({ runId, accountId, trigger: request.trigger, startedBy: request.startedBy, deadline }, now);
  let created: Result<unknown>;
  try {
    created = await deps.syncRuns.create(run);
  } catch (err) {
    await deps.tokens.deleteRun(runId);
    throw err;
  }
  if (!created.ok) {
    await deps.tokens.deleteRun(runId);
    return created;
  }

  // Only ids go into the orchestration's input (it is kept in its history).
  const input: SyncTenantInput = { accountId, runId };
  try {
    await deps.orchestrations.start(SYNC_TENANT, instanceId, input);
    return ok({ runId });
  } catch {
    await deps.tokens.deleteRun(runId);
    const lostRace = await deps.orchestrations.isRunning(instanceId).catch(() => false);
    const ended = finishRun(
      run,
      {
        status: 'Failed',
        error: lostRace
          ? { code: 'SYNC_RUNNING', message: 'Another sync run of this account started at the same time.' }
          : { code: 'SYNC_START_FAILED', message: 'The sync run could not be started.' },
      },
      deps.now(),
    );
    if (ended.ok) {
      const { status, error, finishedAt } = ended.value;
      await deps.syncRuns.update(accountId, runId, { status, error, finishedAt });
    }
    if (lostRace) return running((await deps.syncRuns.running(accountId))?.runId ?? null);
    return failTransient('SYNC_START_FAILED', 'The sync run could not be started; try again shortly.');
  }
}
