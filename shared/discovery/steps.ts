/**
 * The discovery steps the activities run, one I/O step each. Every step is idempotent (an activity may run twice):
 * upserts keyed by user id, a discovery row that only its own discovery id may change, and an account transition
 * that is a no-op once done. Permanent failures return as values; transient ones throw, for the activity retry.
 */
import { AccountStore } from '../accounts/ports';
import { transition } from '../domain/account';
import { classifyUser, licenceCount } from '../domain/eligibility';
import {
  BeginInput,
  CompleteInput,
  FailInput,
  LicencesInput,
  MarkGoneInput,
  StepResult,
  transientMessage,
  UsersPageInput,
  UsersPageOutput,
} from './orchestration';
import { DirectoryResult, DiscoveryStore, TeamsUserRecord, TeamsUserStore, TenantDirectory } from './ports';

export interface DiscoveryDeps {
  directory: TenantDirectory;
  teamsUsers: TeamsUserStore;
  discoveries: DiscoveryStore;
  accounts: AccountStore;
  now: () => Date;
}

/** Thrown for transient faults: the message starts with the code so the orchestrator can record it if retries run out. */
export class TransientDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientDiscoveryError';
  }
}

function settle<T, U>(result: DirectoryResult<T>, then: (value: T) => Promise<U>): Promise<StepResult<U>> {
  if (result.ok) return then(result.value).then((value) => ({ ok: true, value }));
  const error = { code: result.error.code, message: result.error.message };
  if (result.transient) throw new TransientDiscoveryError(transientMessage(error));
  return Promise.resolve({ ok: false, error });
}

export interface DiscoverySteps {
  begin(input: BeginInput): Promise<void>;
  usersPage(input: UsersPageInput): Promise<StepResult<UsersPageOutput>>;
  licences(input: LicencesInput): Promise<StepResult<{ skus: number }>>;
  markGone(input: MarkGoneInput): Promise<{ gone: number }>;
  complete(input: CompleteInput): Promise<{ accountState: string | null }>;
  fail(input: FailInput): Promise<void>;
}

export function discoverySteps(deps: DiscoveryDeps): DiscoverySteps {
  return {
    begin: ({ accountId, discoveryId, startedAt }) => deps.discoveries.begin(accountId, discoveryId, startedAt),

    async usersPage(input) {
      const page = await deps.directory.usersPage(input.tenantId, input.nextLink);
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
        await deps.teamsUsers.saveSeen(input.accountId, records);
        await deps.discoveries.update(input.accountId, input.discoveryId, {
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
      const skus = await deps.directory.subscribedSkus(tenantId);
      return settle(skus, async (list) => {
        const licences = list.map(licenceCount).sort((a, b) => a.skuPartNumber.localeCompare(b.skuPartNumber));
        await deps.discoveries.update(accountId, discoveryId, { licences });
        return { skus: licences.length };
      });
    },

    async markGone({ accountId, discoveryId, at }) {
      return { gone: await deps.teamsUsers.markGone(accountId, discoveryId, at) };
    },

    async complete({ accountId, discoveryId, finishedAt, counts }) {
      const current = await deps.discoveries.update(accountId, discoveryId, {
        status: 'succeeded',
        finishedAt,
        counts,
        usersSeen: counts.users,
        error: null,
      });
      // A newer discovery took over the row: it decides the account's state.
      if (!current) return { accountState: null };
      for (let attempt = 0; attempt < 5; attempt++) {
        const stored = await deps.accounts.get(accountId);
        if (!stored) return { accountState: null };
        // Only a consented account becomes active; an active one stays so (a re-run), others are left alone.
        if (stored.account.state !== 'consented') return { accountState: stored.account.state };
        const moved = transition(stored.account, 'active', deps.now());
        if (!moved.ok) return { accountState: stored.account.state };
        const saved = await deps.accounts.save(moved.value, stored.etag, []);
        if (saved.ok) return { accountState: saved.value.account.state };
        if (saved.error.code !== 'CONCURRENT_UPDATE') throw new Error(`${saved.error.code}: ${saved.error.message}`);
      }
      throw new Error('The account kept changing while discovery tried to activate it.');
    },

    async fail({ accountId, discoveryId, finishedAt, error }) {
      await deps.discoveries.update(accountId, discoveryId, { status: 'failed', finishedAt, error });
    },
  };
}
