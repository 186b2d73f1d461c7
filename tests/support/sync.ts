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
import { MAX_CHANGES_PER_SAVE } from '../../shared/domain/mapping';
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

    /** Saves the changes, in as many saves as the API's limit per save needs. */
    async map(changes: Array<{ voiceUserId: string; teamsUserId: string | null }>) {
      for (let i = 0; i < changes.length; i += MAX_CHANGES_PER_SAVE) {
        const mapping = await stack.call('GET', `accounts/${accountId}/mapping`);
        const saved = await stack.call('PUT', `accounts/${accountId}/mapping`, {
          body: { changes: changes.slice(i, i + MAX_CHANGES_PER_SAVE) },
          headers: { 'if-match': mapping.headers.get('etag') as string },
        });
        if (saved.status !== 200) throw new Error(`PUT mapping answered ${saved.status}: ${await saved.text()}`);
      }
    },

    /** Sync now, as the Global Admin from the portal's link; resolves with the finished run. */
    async syncNow(): Promise<Run> {
      await this.startSync();
      return finishedRun(stack, accountId);
    },

    /** Sync now up to the sign-in's answer (the run has started by then). */
    async startSync(): Promise<void> {
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
    },

    async activity(runId: string): Promise<ActivityRow[]> {
      return (await json(await stack.call('GET', `accounts/${accountId}/activity?runId=${runId}&pageSize=100`))).entries;
    },

    /** Every page of the run's activity log. */
    async allActivity(runId: string): Promise<ActivityRow[]> {
      const rows: ActivityRow[] = [];
      for (let page = 1, pages = 1; page <= pages; page++) {
        const body = await json(await stack.call('GET', `accounts/${accountId}/activity?runId=${runId}&pageSize=200&page=${page}`));
        rows.push(...(body.entries as ActivityRow[]));
        pages = body.totalPages as number;
      }
      return rows;
    },

    async mappingRows(): Promise<Map<string, MappingRow>> {
      const page = await json(await stack.call('GET', `accounts/${accountId}/mapping?pageSize=100`));
      return new Map((page.rows as MappingRow[]).map((r) => [r.voiceUser.id, r]));
    },
  };
}

/** The trunk DNS zone of the simulated Azure DNS (the stack's default). */
const ZONE = 'trunks.voice.example';

/**
 * The tenant as the integration leaves it (policies, grants, numbers, domains, users, the account's DNS records),
 * with what differs between copies of one generated tenant (ids, names, the random TXT) replaced, in a fixed order.
 */
export function normalizedTenant(control: Stack['simulator']['control'], tenantId: string, accountId: string, domain: string): string {
  const teams = control.teamsState(tenantId) as { policies: Record<string, unknown[]>; grants: unknown; numbers: unknown };
  const upnOf = new Map(control.users(tenantId).map((u) => [u.id, u.userPrincipalName]));
  let text = JSON.stringify({
    policies: Object.entries(teams.policies).filter(([, list]) => list.length > 0),
    grants: teams.grants,
    numbers: (teams.numbers as Array<Record<string, unknown>>).map(({ id: _id, ...n }) => n),
    domains: control.domains(tenantId).map((d: { id: string; isVerified: boolean }) => [d.id, d.isVerified]),
    // The temporary activation user (and the licence it held) must be gone again.
    users: control.users(tenantId).map((u) => u.userPrincipalName),
    dns: (control.dnsRecords(ZONE) as Array<{ name: string }>).filter((r) => r.name.startsWith(accountId)),
  });
  for (const [id, upn] of upnOf) text = text.split(id).join(upn);
  // The order Microsoft lists grants, their policies and numbers in is not part of the state.
  const state = JSON.parse(text) as {
    grants: Array<{ userId: string; policies: Record<string, string> }>;
    numbers: Array<{ telephoneNumber: string }>;
  };
  state.grants.sort((a, b) => a.userId.localeCompare(b.userId));
  for (const g of state.grants) g.policies = Object.fromEntries(Object.entries(g.policies).sort(([a], [b]) => a.localeCompare(b)));
  state.numbers.sort((a, b) => a.telephoneNumber.localeCompare(b.telephoneNumber));
  return JSON.stringify(state)
    .split(tenantId)
    .join('TENANT')
    .split(domain)
    .join('DOMAIN')
    .split(accountId)
    .join('ACCOUNT')
    .replace(/MS=ms\d+/g, 'MS=…');
}
