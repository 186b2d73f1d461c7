/**
 * The sync run's steps the activities run, one I/O step each. Every step is idempotent (an activity may run twice):
 * a stage is only moved forward, a finished run is not finished again, recording the run on the account is a no-op
 * once done, and deleting a run's tokens finds nothing the second time. Permanent failures return as values (code and
 * message only, for the history); transient ones throw TransientFailure, for the activity retry.
 */
import { loadAccount } from '../accounts/loadAccount';
import { NotificationDeps, syncFailedEmail } from '../accounts/notifications';
import { AccountStore } from '../accounts/ports';
import { TenantLinks } from '../activation/ports';
import { TransientFailure } from '../domain/activityFailure';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { accountAfterRun, advanceRun, finishRun, NO_COUNTS, SyncRun } from '../domain/syncRun';
import { applyChunkStep, ApplyChunkDeps } from './applyChunk';
import {
  AdvanceInput,
  ApplyStepInput,
  ApplyStepOutput,
  FinishInput,
  PlanStageOutput,
  PreflightOutput,
  RunRef,
  StageInput,
  StageOutput,
  SYNC_RESOURCES,
  TrunkStepOutput,
} from './contract';
import { cleanUpTenant, CleanUpTenantDeps } from './cleanUpTenant';
import { configureTenant, ConfigureTenantDeps } from './configureTenant';
import { planRun, PlanRunDeps } from './planRun';
import { setUpTrunk, SetUpTrunkDeps } from './setUpTrunk';
import { SyncRunStore } from './ports';
import { TokenVault } from './tokenVault';

export interface SyncStepDeps
  extends
    Omit<PlanRunDeps, 'now'>,
    Omit<ApplyChunkDeps, 'now'>,
    Omit<ConfigureTenantDeps, 'now'>,
    Omit<SetUpTrunkDeps, 'now'>,
    Omit<CleanUpTenantDeps, 'now'> {
  accounts: AccountStore;
  syncRuns: SyncRunStore;
  tokens: TokenVault;
  /** A removed account lets its tenant go (it may join another account later). */
  tenantLinks: Pick<TenantLinks, 'release'>;
  /** For the "Sync failed" email the finish step queues with the account's record of the run. */
  notify: NotificationDeps;
  now: () => Date;
}

export interface SyncSteps {
  preflight(input: RunRef): Promise<Result<PreflightOutput>>;
  advance(input: AdvanceInput): Promise<Result<void>>;
  trunkStep(input: StageInput): Promise<Result<TrunkStepOutput>>;
  /** After a final sync that released everyone: removes what the integration created in the tenant. */
  cleanUp(input: StageInput): Promise<Result<{ removed: number }>>;
  tenantConfiguration(input: StageInput): Promise<Result<StageOutput>>;
  plan(input: StageInput): Promise<Result<PlanStageOutput>>;
  applyStep(input: ApplyStepInput): Promise<ApplyStepOutput>;
  finish(input: FinishInput): Promise<{ status: string; tokensDeleted: number }>;
}

const SYNCABLE = ['active', 'removalPending'];

/** Only the code and message cross into the history; a transient failure is thrown for the retry. */
function settle<T>(result: Result<T>): Result<T> {
  if (result.ok) return result;
  if (result.error.transient) throw new TransientFailure(result.error);
  return fail(result.error.code, result.error.message);
}

export function syncSteps(deps: SyncStepDeps): SyncSteps {
  async function advance({ accountId, runId, stage, counts }: AdvanceInput): Promise<Result<void>> {
    return retryOnConflict(async () => {
      const stored = await deps.syncRuns.get(accountId, runId);
      if (!stored) return fail('SYNC_RUN_NOT_FOUND', `There is no sync run ${runId}.`);
      const next = advanceRun(stored.run, stage, counts);
      if (!next.ok) return fail(next.error.code, next.error.message);
      // Recorded already (a stage reported again, or a step that ran twice): no write.
      if (next.value.stage === stored.run.stage && JSON.stringify(next.value.counts) === JSON.stringify(stored.run.counts))
        return ok(undefined);
      const updated = await deps.syncRuns.update(accountId, runId, { stage: next.value.stage, counts: next.value.counts }, stored.etag);
      return updated.ok ? ok(undefined) : updated;
    });
  }

  /** The integration's tenant voice configuration (shared/sync/configureTenant.ts): no user operation, no counts. */
  async function tenantConfiguration(input: StageInput): Promise<Result<StageOutput>> {
    const moved = await advance({ ...input, stage: 'tenantConfiguration', counts: NO_COUNTS });
    if (!moved.ok) return settle(moved);
    const configured = settle(await configureTenant(deps, input));
    return configured.ok ? ok({ ...NO_COUNTS }) : configured;
  }

  return {
    async preflight({ accountId, runId }) {
      const stored = await deps.syncRuns.get(accountId, runId);
      if (!stored) return fail('SYNC_RUN_NOT_FOUND', `There is no sync run ${runId}.`);
      if (stored.run.status !== 'Running') return fail('INVALID_STATE_TRANSITION', `The sync run ${runId} has finished already.`);
      const loaded = await loadAccount(deps.accounts, accountId);
      if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this sync run no longer exists.');
      const account = loaded.value.account;
      if (!SYNCABLE.includes(account.state)) {
        return fail('SYNC_NOT_AVAILABLE', `The account is ${account.state}: only an active account (or a final sync) can be synced.`);
      }
      if (!account.tenantBound || !account.tenantId) {
        return fail('TENANT_MISMATCH', 'The account is no longer linked to the tenant this sync was authorised for.');
      }
      for (const resource of SYNC_RESOURCES) {
        // The token itself stays here: only whether it is there and unexpired goes on.
        const token = settle(await deps.tokens.read(runId, resource));
        if (!token.ok) return token;
      }
      return ok({ tenantId: account.tenantId, deadline: stored.run.deadline });
    },

    async advance(input) {
      return settle(await advance(input));
    },

    async trunkStep(input) {
      const moved = await advance({ ...input, stage: 'tenantConfiguration' });
      if (!moved.ok) return settle(moved);
      return settle(await setUpTrunk(deps, input));
    },

    tenantConfiguration,

    cleanUp: async (input) => settle(await cleanUpTenant(deps, input)),

    async plan(input) {
      const moved = await advance({ ...input, stage: 'plan' });
      if (!moved.ok) return settle(moved);
      const planned = settle(await planRun(deps, input));
      if (!planned.ok) return planned;
      const counted = await advance({ ...input, stage: 'plan', counts: planned.value.counts });
      return counted.ok ? planned : settle(counted);
    },

    applyStep: (input) => applyChunkStep(deps, input),

    async finish(input) {
      // Tokens first: whatever happens to the records below, none may outlive the run.
      const tokensDeleted = await deps.tokens.deleteRun(input.runId);
      const finished = await retryOnConflict(async (): Promise<Result<SyncRun>> => {
        const stored = await deps.syncRuns.get(input.accountId, input.runId);
        if (!stored) return fail('SYNC_RUN_NOT_FOUND', `There is no sync run ${input.runId}.`);
        // Finished already (this step ran before): keep what was recorded.
        if (stored.run.status !== 'Running') return ok(stored.run);
        // A run that failed or expired keeps the stage it stopped in.
        const reachedEnd = input.status === 'Succeeded' || input.status === 'PartiallySucceeded';
        const next = finishRun(
          { ...stored.run, stage: reachedEnd ? 'finish' : stored.run.stage },
          { status: input.status, counts: input.counts, error: input.error },
          new Date(input.finishedAt),
        );
        if (!next.ok) return next;
        const { status, stage, counts, error, finishedAt } = next.value;
        const updated = await deps.syncRuns.update(input.accountId, input.runId, { status, stage, counts, error, finishedAt }, stored.etag);
        return updated.ok ? ok(next.value) : updated;
      });
      if (!finished.ok) throw new Error(`The sync run could not be finished (${finished.error.code}).`);
      const recorded = await retryOnConflict(async (): Promise<Result<unknown>> => {
        const stored = await deps.accounts.get(input.accountId);
        // A removed or deleted account has nothing left to record on.
        if (!stored || stored.account.state === 'removed') return ok(undefined);
        const next = accountAfterRun(stored.account, finished.value);
        if (!next.ok) return next;
        // Recorded before (the step ran twice): the email went with that save, atomically, so none is queued again.
        if (next.value === stored.account) return ok(undefined);
        const emails = await syncFailedEmail(next.value, finished.value, deps.notify, deps.now());
        return deps.accounts.save(next.value, stored.etag, emails);
      });
      if (!recorded.ok) throw new Error(`The sync run could not be recorded on its account (${recorded.error.code}).`);
      // The final sync removed the account: its tenant is free again (also when an earlier attempt stopped here).
      const after = await deps.accounts.get(input.accountId);
      if (after?.account.state === 'removed' && after.account.tenantId)
        await deps.tenantLinks.release(after.account.tenantId, input.accountId);
      return { status: finished.value.status, tokensDeleted };
    },
  };
}
