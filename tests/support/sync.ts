/**
 * The sync as tests drive it on the local stack: an account on the demo tenant ready to sync (activated, main number,
 * the integration's policies in the tenant), its directory and mapping written through the API, "Sync now" the way
 * the Global Admin does it (the portal's link → our page → Microsoft sign-in), and what the simulator's tenant and
 * our API say afterwards.
 */
import { AuthorizeOutcome } from '../../local/simulator/state';
import { authorizeAsGlobalAdmin, enableAccount } from './activate';
import { Browser, formField } from './browser';
import { syncInstanceId } from '../../shared/sync/contract';
import { json, Stack } from './stack';

export interface VoiceUserInput {
  id: string;
  displayName: string;
  email: string;
  phoneNumber: string | null;
  extension: string | null;
  voicemail: boolean;
  callForwarding: boolean;
  musicOnHold: 'teams' | 'provider';
}

export const voiceUser = (
  id: string,
  phoneNumber: string | null,
  extension: string | null,
  voicemail: boolean,
  callForwarding: boolean,
  musicOnHold: 'teams' | 'provider',
): VoiceUserInput => ({
  id,
  displayName: `Voice ${id}`,
  email: `${id}@customer.example`,
  phoneNumber,
  extension,
  voicemail,
  callForwarding,
  musicOnHold,
});

export interface Run {
  runId: string;
  status: string;
  counts: { planned: number; applied: number; failed: number; left: number };
  error: { code: string } | null;
}

export interface ActivityRow {
  at: string;
  teamsUserId: string;
  kind: string;
  target: string | null;
  result: string;
  error: { code: string } | null;
  clientRequestId: string | null;
}

export interface MappingRow {
  voiceUser: { id: string };
  pendingState: string;
  lastSync: { result: string; error: { code: string } | null } | null;
}

interface SimNumber {
  telephoneNumber: string;
  numberType: string;
  assignmentTargetId: string | null;
}

/** The calls that change a tenant's Teams voice state (Graph, also inside `$batch`, and the Teams admin API). */
const WRITE = /\/(assignNumber|unassignNumber|userAssignments\/assign|userAssignments\/unassign)$|\/Skype\.Policy\/users\//;

/** The account's newest run once it has finished (timers keep a run waiting while the Durable emulator is idle). */
export async function finishedRun(stack: Stack, accountId: string, timeoutMs = 120_000): Promise<Run> {
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs;) {
    await stack.host.durable.whenIdle();
    const res = await stack.call('GET', `accounts/${accountId}/sync-runs`);
    if (res.status !== 200) {
      // A removed account shows no runs any more: the orchestration's own output says how the final one ended.
      const instance = stack.host.durable.instances.get(syncInstanceId(accountId));
      if (instance?.status === 'Completed') return instance.output as Run;
    } else {
      const [run] = (await json(res)).runs as Run[];
      if (run && run.status !== 'Running') return run;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the sync run of ${accountId} did not finish in ${timeoutMs / 1000} s`);
}

/** The account's Global Admin in a tenant other than the demo one (its alias, e.g. a generated tenant's `ga1`). */
export interface OtherTenant {
  tenantId: string;
  user: string;
}

export async function syncAccount(
  stack: Stack,
  accountId: string,
  options: { licenses: number; mainNumber?: string; tenant?: OtherTenant },
) {
  const admin: AuthorizeOutcome = options.tenant
    ? { outcome: 'signIn', user: options.tenant.user, tenantId: options.tenant.tenantId }
    : { outcome: 'signIn', user: 'megan.bowen' };
  const pageUrl = await enableAccount(stack, accountId, options.licenses, `Customer ${accountId}`, options.tenant?.tenantId);
  await authorizeAsGlobalAdmin(stack, new Browser(), pageUrl, admin);
  await stack.host.durable.whenIdle();
  const account = await json(await stack.call('GET', `accounts/${accountId}`));
  const prefix = account.settings.policyPrefix as string;
  const tenantId = account.tenantId as string;
  if (options.mainNumber) {
    const put = await stack.call('PUT', `accounts/${accountId}`, {
      body: {
        name: account.name,
        licenseCount: options.licenses,
        globalAdmin: account.globalAdmin,
        settings: { mainNumber: options.mainNumber },
      },
      headers: { 'if-match': `"${account.version}"` },
    });
    if (put.status !== 200) throw new Error(`PUT account answered ${put.status}`);
  }
  const control = stack.simulator.control;

  const teams = () =>
    control.teamsState(tenantId) as { numbers: SimNumber[]; grants: Array<{ userId: string; policies: Record<string, string> }> };
  const numbers = () => teams().numbers;
  const holders = new Set(numbers().map((n) => n.assignmentTargetId));
  const users = (await json(await stack.call('GET', `accounts/${accountId}/teams-users?pageSize=1000`))).users as Array<{
    id: string;
    eligible: boolean;
  }>;

  let directory: VoiceUserInput[] = [];
  return {
    prefix,
    tenantId,
    /** Eligible Teams users without a number in the tenant. */
    free: users.filter((u) => u.eligible && !holders.has(u.id)).map((u) => u.id),
    teams,
    numbers,
    numberOf: (userId: string) => numbers().find((n) => n.assignmentTargetId === userId)?.telephoneNumber ?? null,
    policiesOf: (userId: string) => teams().grants.find((g) => g.userId === userId)?.policies ?? {},
    writeCalls: () =>
      [...control.requestLog({ service: 'graph' }), ...control.requestLog({ service: 'teams' })].filter(
        (r) => r.method !== 'GET' && WRITE.test(r.url.split('?')[0]!),
      ).length,
    directory: () => directory,

    async putDirectory(list: VoiceUserInput[]) {
      directory = list;
      const res = await stack.call('PUT', `accounts/${accountId}/voice-users`, { body: { voiceUsers: list } });
      if (res.status !== 200) throw new Error(`PUT voice-users answered ${res.status}`);
    },

    async map(changes: Array<{ voiceUserId: string; teamsUserId: string | null }>) {
      const mapping = await stack.call('GET', `accounts/${accountId}/mapping`);
      const saved = await stack.call('PUT', `accounts/${accountId}/mapping`, {
        body: { changes },
        headers: { 'if-match': mapping.headers.get('etag') as string },
      });
      if (saved.status !== 200) throw new Error(`PUT mapping answered ${saved.status}: ${await saved.text()}`);
    },

    /** Sync now, as the Global Admin from the portal's link; resolves with the finished run. */
    async syncNow(): Promise<Run> {
      const res = await stack.call('POST', `accounts/${accountId}/sync`, {
        actor: { id: `ga-${accountId}`, role: 'admin', account: accountId },
      });
      if (res.status !== 200) throw new Error(`POST sync answered ${res.status}`);
      const browser = new Browser();
      const page = await browser.request((await json(res)).url);
      const hop = await browser.request(`${stack.url}/api/integration/sync`, {
        form: { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string },
      });
      control.scriptAuthorize(admin);
      const callback = await browser.request(hop.location as string);
      const started = await browser.request(callback.location as string);
      if (started.status !== 303) throw new Error(`the sync sign-in answered ${started.status}`);
      return finishedRun(stack, accountId);
    },

    async activity(runId: string): Promise<ActivityRow[]> {
      return (await json(await stack.call('GET', `accounts/${accountId}/activity?runId=${runId}&pageSize=100`))).entries;
    },

    async mappingRows(): Promise<Map<string, MappingRow>> {
      const page = await json(await stack.call('GET', `accounts/${accountId}/mapping?pageSize=100`));
      return new Map((page.rows as MappingRow[]).map((r) => [r.voiceUser.id, r]));
    },
  };
}
