/**
 * Discovery of a customer tenant (started after activation; the sync engine reuses it): begin → one activity per
 * Graph users page (following @odata.nextLink) → licences → mark users not seen as gone → complete (account
 * consented → active). Any failure is recorded on the discovery with a stable code and ends the run; an account that
 * is not bound to the given tenant fails it at once (TENANT_MISMATCH), before anything is read or written.
 *
 * Deterministic: the discovery id comes from newGuid, time from currentUtcDateTime; only ids, links and counts pass
 * through the history. Transient faults are retried by callActivityWithRetry (on top of the Graph client's own
 * Retry-After handling); permanent ones come back as values.
 */
import * as df from 'durable-functions';
import { retryOptions } from './retry';
import { OrchestrationContext, Task } from 'durable-functions';
import { activityErrorFrom } from '../shared/domain/activityFailure';
import { fail, ok, Result } from '../shared/domain/errors';
import {
  DISCOVER_TENANT,
  DiscoverTenantInput,
  DiscoverTenantOutput,
  DiscoveryActivities as A,
  DISCOVERY_GAVE_UP,
  DiscoveryProgress,
  DISCOVERY_RETRY,
  emptyCounts,
  UsersPageOutput,
} from '../shared/discovery/contract';
import { DiscoveryCounts } from '../shared/discovery/ports';

export function* discoverTenant(context: OrchestrationContext): Generator<Task, DiscoverTenantOutput, unknown> {
  const { accountId, tenantId } = context.df.getInput() as DiscoverTenantInput;
  const discoveryId = context.df.newGuid(context.df.instanceId);
  const now = (): string => context.df.currentUtcDateTime.toISOString();
  const retry = retryOptions(DISCOVERY_RETRY);
  const progress: DiscoveryProgress = { discoveryId, stage: 'starting', pagesRead: 0, usersSeen: 0 };
  const report = (stage: DiscoveryProgress['stage']): void => {
    progress.stage = stage;
    context.df.setCustomStatus({ ...progress });
  };

  function* run(): Generator<Task, Result<DiscoveryCounts>, unknown> {
    report('starting');
    // Empty in histories recorded before begin checked the tenant (it returned nothing then).
    const begun = (yield context.df.callActivityWithRetry(A.begin, retry, {
      accountId,
      tenantId,
      discoveryId,
      startedAt: now(),
    })) as Result<void> | null;
    if (begun && !begun.ok) return begun;
    const counts = emptyCounts();
    let nextLink: string | null = null;
    report('users');
    do {
      const page = (yield context.df.callActivityWithRetry(A.usersPage, retry, {
        accountId,
        tenantId,
        discoveryId,
        nextLink,
        pagesRead: progress.pagesRead + 1,
        usersSeenBefore: progress.usersSeen,
        seenAt: now(),
      })) as Result<UsersPageOutput>;
      if (!page.ok) return page;
      counts.users += page.value.users;
      counts.eligible += page.value.eligible;
      counts.callingPlan += page.value.callingPlan;
      counts.resourceAccounts += page.value.resourceAccounts;
      progress.pagesRead += 1;
      progress.usersSeen = counts.users;
      nextLink = page.value.nextLink;
      report('users');
    } while (nextLink);

    report('licences');
    const licences = (yield context.df.callActivityWithRetry(A.licences, retry, {
      accountId,
      tenantId,
      discoveryId,
    })) as Result<unknown>;
    if (!licences.ok) return licences;

    report('gone');
    const gone = (yield context.df.callActivityWithRetry(A.markGone, retry, { accountId, discoveryId, at: now() })) as { gone: number };
    counts.gone = gone.gone;

    report('completing');
    yield context.df.callActivityWithRetry(A.complete, retry, { accountId, discoveryId, finishedAt: now(), counts });
    return ok(counts);
  }

  let outcome: Result<DiscoveryCounts>;
  try {
    outcome = yield* run();
  } catch (err) {
    // An activity failed for good (retries used up): keep the code of our transient failure, if it was one.
    const failed = err as Error & { failureDetails?: { errorMessage?: string } };
    const error = activityErrorFrom(failed.failureDetails?.errorMessage ?? failed.message, DISCOVERY_GAVE_UP);
    outcome = fail(error.code, error.message);
  }

  if (!outcome.ok) {
    yield context.df.callActivityWithRetry(A.fail, retry, {
      accountId,
      discoveryId,
      finishedAt: now(),
      error: { code: outcome.error.code, message: outcome.error.message },
    });
    report('failed');
    return { discoveryId, status: 'failed', counts: null, error: { code: outcome.error.code, message: outcome.error.message } };
  }
  report('succeeded');
  return { discoveryId, status: 'succeeded', counts: outcome.value, error: null };
}

df.app.orchestration(DISCOVER_TENANT, discoverTenant);
