/**
 * The discovery steps the activities run, one I/O step each. Every step is idempotent (an activity may run twice):
 * upserts keyed by user id, a discovery row that only its own discovery id may change, and an account transition
 * that is a no-op once done. Permanent failures return as values; transient ones throw, for the activity retry.
 */
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { transition } from '../domain/account';
import { boundToTenant } from '../domain/activation';
import { TransientFailure } from '../domain/activityFailure';
import { classifyUser, licenceCount, SubscribedSku } from '../domain/eligibility';
import { fail, ok, Result } from '../domain/errors';
import { retryOnConflict } from '../domain/retryOnConflict';
import { BeginInput, CompleteInput, FailInput, LicencesInput, MarkGoneInput, UsersPageInput, UsersPageOutput } from './contract';
import { DiscoveryStore, TeamsUserRecord, TeamsUserStore, TenantDirectory, TenantProfile } from './ports';

export interface DiscoveryDeps {
  directory: TenantDirectory;
  teamsUsers: TeamsUserStore;
  discoveries: DiscoveryStore;
  accounts: AccountStore;
  now: () => Date;
}

/** Graph's answer, settled: a value goes on to `then`; a transient failure is thrown for the activity retry. */
async function settle<T, U>(result: Result<T>, then: (value: T) => Promise<U>): Promise<Result<U>> {
  if (result.ok) return ok(await then(result.value));
  if (result.error.transient) throw new TransientFailure(result.error);
  // Only the code and message go into the orchestration history.
  return fail(result.error.code, result.error.message);
}

export interface DiscoverySteps {
  begin(input: BeginInput): Promise<Result<void>>;
  usersPage(input: UsersPageInput): Promise<Result<UsersPageOutput>>;
  licences(input: LicencesInput): Promise<Result<{ skus: number }>>;
  markGone(input: MarkGoneInput): Promise<{ gone: number }>;
  complete(input: CompleteInput): Promise<{ accountState: string | null }>;
  fail(input: FailInput): Promise<void>;
}

/**
 * Before anything is read or written: the account must exist (a removed one does not) and be bound to the tenant the
 * step was given.
 */
async function checkTenant(deps: DiscoveryDeps, accountId: string, tenantId: string): Promise<Result<void>> {
  const loaded = await loadAccount(deps.accounts, accountId);
  if (!loaded.ok) return fail('ACCOUNT_NOT_FOUND', 'The account of this discovery no longer exists.');
  if (typeof tenantId !== 'string' || !boundToTenant(loaded.value.account, tenantId)) {
    return fail('TENANT_MISMATCH', 'This discovery was started for another tenant than the one the account is linked to.');
  }
  return ok(undefined);
}

/**
 * A discovery replaced by a newer one (a stalled run ended and started anew) must write nothing more: a late page of
 * it would stamp users with its old id, and the new run would then mark them gone. Checked right before its writes
 * (after the Graph call, where a stuck run waits).
 */
async function stillCurrent(deps: DiscoveryDeps, accountId: string, discoveryId: string): Promise<Result<void>> {
  const current = await deps.discoveries.get(accountId);
  return current?.discoveryId === discoveryId
    ? ok(undefined)
    : fail('DISCOVERY_SUPERSEDED', 'A newer discovery of this account has replaced this one; it stops here.');
}

export function discoverySteps(deps: DiscoveryDeps): DiscoverySteps {
  return {
    async begin({ accountId, tenantId, discoveryId, startedAt }) {
      const checked = await checkTenant(deps, accountId, tenantId);
      if (!checked.ok) return checked;
      await deps.discoveries.begin(accountId, discoveryId, startedAt);
      return ok(undefined);
    },

    async usersPage(input) {
      const checked = await checkTenant(deps, input.accountId, input.tenantId);
      if (!checked.ok) return checked;
      const page = await deps.directory.usersPage(input.tenantId, input.nextLink);
      const current = await stillCurrent(deps, input.accountId, input.discoveryId);
      if (!current.ok) return current;
      return settle(page, async ({ users, nextLink }) => {
        const records: TeamsUserRecord[] = users.map((u) => {
          const c = classifyUser(u);
          return {
            id: u.id,
            displayName: u.displayName,
            userPrincipalName: u.userPrincipalName,
            mail: u.mail,
            department: u.department,
            accountEnabled: u.accountEnabled === true,
            ...c,
            lastSeen: input.discoveryId,
            lastSeenAt: input.seenAt,
            gone: false,
            goneSince: null,
          };
        });
        // Only new, changed or returning users are written; the ids seen are what tells "gone" at the end.
        await deps.teamsUsers.saveSeen(input.accountId, records);
        await deps.discoveries.recordSeen(
          input.accountId,
          input.discoveryId,
          input.pagesRead,
          records.map((r) => r.id),
        );
        await deps.discoveries.update(input.accountId, input.discoveryId, {
          progressAt: deps.now().toISOString(),
          pagesRead: input.pagesRead,
          usersSeen: input.usersSeenBefore + records.length,
        });
        return {
          nextLink,
          users: records.length,
          eligible: records.filter((r) => r.eligible).length,
          callingPlan: records.filter((r) => r.callingPlan).length,
          resourceAccounts: records.filter((r) => r.resourceAccount).length,
        };
      });
    },

    async licences({ accountId, tenantId, discoveryId }) {
      const checked = await checkTenant(deps, accountId, tenantId);
      if (!checked.ok) return checked;
      // The licences and, read with the same permission, the tenant's name and default domain.
      const [skus, organization] = await Promise.all([deps.directory.subscribedSkus(tenantId), deps.directory.organization(tenantId)]);
      const facts: Result<{ skus: SubscribedSku[]; tenant: TenantProfile }> = !skus.ok
        ? skus
        : !organization.ok
          ? organization
          : ok({ skus: skus.value, tenant: organization.value });
      return settle(facts, async ({ skus: list, tenant }) => {
        const licences = list.map(licenceCount).sort((a, b) => a.skuPartNumber.localeCompare(b.skuPartNumber));
        await deps.discoveries.update(accountId, discoveryId, { licences, tenant, progressAt: deps.now().toISOString() });
        return { skus: licences.length };
      });
    },

    async markGone({ accountId, discoveryId, at }) {
      // A replaced run marks nothing: every user the newer run has seen would look "not seen" to it.
      if (!(await stillCurrent(deps, accountId, discoveryId)).ok) return { gone: 0 };
      // No page recorded (cannot happen after a users page; never guess): mark nobody rather than everybody.
      const seen = await deps.discoveries.seen(accountId, discoveryId);
      if (!seen) return { gone: 0 };
      return { gone: await deps.teamsUsers.markGone(accountId, seen, at) };
    },

    async complete({ accountId, discoveryId, finishedAt, counts }) {
      // The discovery's success and the account's activation (consented → active) are one write.
      const outcome = await retryOnConflict(async (): Promise<Result<string | null>> => {
        const stored = await deps.accounts.get(accountId);
        // Only a consented account becomes active; an active one stays so (a re-run), others are left alone.
        const moved = stored?.account.state === 'consented' ? transition(stored.account, 'active', deps.now()) : undefined;
        const activation = stored && moved?.ok ? { account: moved.value, etag: stored.etag } : null;
        const done = await deps.discoveries.succeed(
          accountId,
          discoveryId,
          { status: 'succeeded', finishedAt, progressAt: finishedAt, counts, usersSeen: counts.users, error: null },
          activation,
        );
        if (!done.ok) return done;
        // A newer discovery took over the row: it decides the account's state.
        if (!done.value) return ok(null);
        return ok(activation ? activation.account.state : (stored?.account.state ?? null));
      }, 'The account kept changing while discovery tried to activate it.');
      // Lost every race: transient, so the activity retry runs the step again (and its code survives).
      if (!outcome.ok) throw new TransientFailure(outcome.error);
      return { accountState: outcome.value };
    },

    async fail({ accountId, discoveryId, finishedAt, error }) {
      await deps.discoveries.update(accountId, discoveryId, { status: 'failed', finishedAt, progressAt: finishedAt, error });
    },
  };
}
