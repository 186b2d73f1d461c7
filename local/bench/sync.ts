/**
 * Benchmark of a sync run that writes Teams (a script, not a test). Run with `npm run bench:sync`.
 *
 * On the in-process stack (SYNC_POLL_SECONDS=1): a generated tenant with enough eligible users, an account activated by
 * its Global Admin ga1, the integration's policies, N voice users (each a Direct Routing number, mixed voicemail,
 * forwarding and music on hold) mapped in saves of the API limit per save, then "sync now" as the tests do it (POST /sync → page → form →
 * Microsoft sign-in → callback). Prints the first run's time, Microsoft requests by kind (from the simulator's log),
 * writes per user, `$batch` sizes, Durable history events per user and Table Storage requests; then a second sync,
 * which must write nothing. Fails when a run does not end Succeeded or a mapped user has no number in Teams.
 *
 * With --throttle on (the default) the simulator throttles the tenant with Microsoft's limits (MICROSOFT_LIMITS in
 * local/simulator/throttle.ts) from the first sync on; each sync then prints its throttled calls, its write calls per
 * planned operation, and its wall time against the throttle-bound lower bound: for each bucket, the cost it let through
 * beyond its capacity divided by its rate, the largest of them (no sync could be faster on those calls).
 *
 * Options: --users 1000 --seed 7 --throttle on|off. The JSON of the results is the last line printed, and
 * /tmp/bench-sync-<users>.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MAX_CHANGES_PER_SAVE } from '../../shared/domain/mapping';
import { APPLY_SYNC_CHUNK, ApplyChunkInput, syncInstanceId } from '../../shared/sync/contract';
import { Browser, formField } from '../browser';
import { Instance } from '../durable/emulator';
import { EventType } from '../durable/history';
import { RequestLogEntry } from '../simulator/state';
import { generateTenant } from '../simulator/tenants/generator';
import { json, Stack, startStack } from '../stack';
import { ensureTrustedCa } from './trustedCa';

const ACCOUNT = 'bench-sync';
const GA = { id: 'ga-bench-sync', role: 'admin' as const, account: ACCOUNT };
const WRITE = /\/(assignNumber|unassignNumber|userAssignments\/assign|userAssignments\/unassign)$|\/Skype\.Policy\/users\//;

interface Run {
  runId: string;
  status: string;
  counts: { planned: number; applied: number; failed: number; left: number };
  error: { code: string } | null;
}

/** What a logged Microsoft request was: a `$batch`, one of its inner requests (`> …`), a Teams admin call, a token. */
function kindOf(e: RequestLogEntry): string {
  const inner = e.url.startsWith('$batch>');
  const path = e.url.replace(/^\$batch>/, '').split('?')[0]!;
  const name =
    /\/numberAssignments\/(assignNumber|unassignNumber)$/.exec(path)?.[1] ??
    /\/userAssignments\/(assign|unassign)$/.exec(path)?.[0]?.slice(1) ??
    (/\/operations\(/.test(path) ? 'operation poll' : undefined) ??
    (/\/getPolicyId\(/.test(path) ? 'getPolicyId' : undefined) ??
    (/\/Skype\.Policy\/users\//.test(path) ? `Teams admin ${e.method} grant` : undefined) ??
    (path.endsWith('/$batch') ? '$batch' : undefined) ??
    (/\/oauth2\/v2\.0\/token$/.test(path) ? 'token' : undefined) ??
    `${e.method} ${path.replace(/\/[0-9a-f-]{36}(?=\/|$)/g, '/{id}').replace(/\/(secrets|deletedsecrets)\/[^/]+/, '/$1/{name}')}`;
  return `${e.service} ${inner ? '> ' : ''}${name} ${e.status}`;
}

const DONE = [
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
];

/** Count and seconds of each span by name: activity or sub-orchestration (scheduled → done), timer (created → fired). */
function spans(instances: Instance[]): Record<string, { n: number; s: number }> {
  const out: Record<string, { n: number; s: number }> = {};
  for (const { history } of instances) {
    const open = new Map<number, { name: string; at: number }>();
    for (const e of history) {
      const at = Date.parse(e.Timestamp);
      if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
        open.set(e.EventId, { name: String(e.Name), at });
      else if (e.EventType === EventType.TimerCreated) open.set(e.EventId, { name: 'timer', at });
      const id = e.EventType === EventType.TimerFired ? e.TimerId : DONE.includes(e.EventType) ? e.TaskScheduledId : undefined;
      const span = open.get(id as number);
      if (id === undefined || !span) continue;
      const entry = (out[span.name] ??= { n: 0, s: 0 });
      entry.n++;
      entry.s = Math.round((entry.s + (at - span.at) / 1000) * 100) / 100;
    }
  }
  return out;
}

/**
 * The run started after `since`, once its orchestration ended: watched in the emulator (polling GET sync-runs would
 * add its own Table Storage reads), then read once.
 */
async function finished(stack: Stack, since: number): Promise<{ run: Run; instance: Instance }> {
  for (;;) {
    await stack.host.durable.whenIdle();
    const instance = stack.host.durable.instances.get(syncInstanceId(ACCOUNT));
    if (instance && instance.createdTime.getTime() >= since && !['Pending', 'Running'].includes(instance.status)) {
      const [run] = (await json(await stack.call('GET', `accounts/${ACCOUNT}/sync-runs`))).runs as Run[];
      return { run: run!, instance };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The tenant's buckets over one sync (the simulator's counters, reset when it started) and the throttle-bound lower
 * bound of its wall time: per bucket, (cost let through − capacity) ÷ rate; the largest, and the ratio to it.
 */
function throttleOf(stack: Stack, tenantId: string, seconds: number) {
  const settings = stack.simulator.control.throttle();
  if (!settings.enabled) return null;
  const buckets = settings.buckets
    .filter((b) => b.tenantId === tenantId.toLowerCase() && b.admitted + b.throttled > 0)
    .map((b) => ({
      family: b.family,
      admitted: b.admitted,
      cost: b.cost,
      throttled: b.throttled,
      limit: b.limit,
      boundSeconds: Math.round((Math.max(0, b.cost - b.limit.capacity) / b.limit.perSecond) * 100) / 100,
    }));
  const lowerBoundSeconds = Math.max(0, ...buckets.map((b) => b.boundSeconds));
  return {
    throttledCalls: buckets.reduce((n, b) => n + b.throttled, 0),
    lowerBoundSeconds,
    wallOverLowerBound: lowerBoundSeconds > 0 ? Math.round((seconds / lowerBoundSeconds) * 100) / 100 : null,
    buckets,
  };
}

async function syncNow(stack: Stack, tenantId: string, users: number) {
  const t0 = performance.now();
  const since = Date.now();
  const log: RequestLogEntry[] = [];
  let seq = stack.simulator.control.requestLog().at(-1)?.seq ?? 0;
  // The simulator keeps its last 5,000 requests: read them as they come.
  const harvest = () => {
    for (const e of stack.simulator.control.requestLog()) if (e.seq > seq) log.push(e);
    seq = log.at(-1)?.seq ?? seq;
  };
  const timer = setInterval(harvest, 50);
  stack.tableTraffic!.clear();
  stack.simulator.control.resetThrottleStats();
  const stats = { ...stack.host.durable.stats };
  const res = await stack.call('POST', `accounts/${ACCOUNT}/sync`, { actor: GA });
  if (res.status !== 200) throw new Error(`POST /sync: HTTP ${res.status} ${await res.text()}`);
  const browser = new Browser();
  const page = await browser.request((await json(res)).url);
  const hop = await browser.request(`${stack.url}/api/integration/sync`, {
    form: { link: formField(page.body, 'link') as string, csrf: formField(page.body, 'csrf') as string },
  });
  stack.simulator.control.scriptAuthorize({ outcome: 'signIn', user: 'ga1', tenantId });
  const callback = await browser.request(hop.location as string);
  const back = await browser.request(callback.location as string);
  if (back.status !== 303) throw new Error(`sync sign-in refused: HTTP ${back.status} ${/Reason: ([A-Z_]+)/.exec(back.body)?.[1] ?? ''}`);
  const signedIn = { seconds: (performance.now() - t0) / 1000, seq: stack.simulator.control.requestLog().at(-1)?.seq ?? 0 };
  const { run, instance } = await finished(stack, since);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  harvest();
  const chunks = [...stack.host.durable.instances.values()].filter(
    (i) => i.name === APPLY_SYNC_CHUNK && (i.input as ApplyChunkInput).runId === run.runId,
  );
  const kinds: Record<string, number> = {};
  for (const e of log) kinds[kindOf(e)] = (kinds[kindOf(e)] ?? 0) + 1;
  const batches = log.filter(
    (e) => e.service === 'graph' && !e.url.startsWith('$batch>') && e.url.split('?')[0]!.endsWith('/$batch'),
  ).length;
  const inner = log.filter((e) => e.url.startsWith('$batch>')).length;
  const writes = log.filter((e) => e.method !== 'GET' && WRITE.test(e.url.split('?')[0]!)).length;
  const applied = run.counts.applied > 0 ? users : 0;
  const throttle = throttleOf(stack, tenantId, seconds);
  const history = instance.history.length + chunks.reduce((n, c) => n + c.history.length, 0);
  return {
    runId: run.runId,
    status: run.status,
    counts: run.counts,
    error: run.error?.code ?? null,
    seconds: Math.round(seconds * 100) / 100,
    // POST /sync → page (with its preview sentence) → sign-in → callback; the run has started by then.
    pageAndSignIn: {
      seconds: Math.round(signedIn.seconds * 100) / 100,
      microsoftRequests: log.filter((e) => e.seq <= signedIn.seq).length,
    },
    chunks: chunks.length,
    microsoftRequests: log.length,
    requestsByKind: Object.fromEntries(Object.entries(kinds).sort()),
    writeCalls: writes,
    writesPerUser: applied ? Math.round((writes / applied) * 100) / 100 : 0,
    writesPerPlannedOperation: run.counts.planned ? Math.round((writes / run.counts.planned) * 1000) / 1000 : 0,
    writeCallsThrottled: log.filter((e) => e.status === 429 && e.method !== 'GET' && WRITE.test(e.url.split('?')[0]!)).length,
    throttle,
    batches,
    requestsPerBatch: batches ? Math.round((inner / batches) * 10) / 10 : 0,
    historyEvents: history,
    historyEventsPerUser: applied ? Math.round((history / applied) * 10) / 10 : 0,
    durable: {
      episodes: stack.host.durable.stats.episodes - stats.episodes,
      eventsReplayed: stack.host.durable.stats.eventsReplayed - stats.eventsReplayed,
      activities: stack.host.durable.stats.activities - stats.activities,
    },
    spans: { syncTenant: spans([instance]), applySyncChunk: spans(chunks) },
    tables: Object.fromEntries(stack.tableTraffic!.counts()),
  };
}

async function main(): Promise<void> {
  ensureTrustedCa(__filename);
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '7' },
      throttle: { type: 'string', default: 'on' },
    },
  });
  if (values.throttle !== 'on' && values.throttle !== 'off') throw new Error(`--throttle is on or off (got ${values.throttle}).`);
  const users = Number(values.users);
  const seed = Number(values.seed);
  if (!Number.isInteger(users) || users < 1 || users > 9999)
    throw new Error(`--users must be an integer from 1 to 9999 (got ${values.users}).`);
  const stack = await startStack({ tableTraffic: true, env: { SYNC_POLL_SECONDS: '1' } });
  try {
    const t0 = performance.now();
    const tenantId = stack.simulator.control.addTenant(generateTenant({ users: 2 * users + 50, seed })).id;
    const ga1 = { outcome: 'signIn' as const, user: 'ga1', tenantId };
    const email = 'ga@bench-sync.example';
    const globalAdmin = { portalUserId: GA.id, displayName: 'Gale Admin', email };
    const put = await stack.call('PUT', `accounts/${ACCOUNT}`, {
      body: { name: 'Bench sync', licenseCount: users, globalAdmin, tenantId },
    });
    if (put.status !== 201) throw new Error(`PUT account: HTTP ${put.status} ${await put.text()}`);
    // Activation as the Global Admin does it: the email's link → Authorize → consent and sign-in as ga1.
    await stack.deliverEmails();
    const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email));
    const browser = new Browser();
    const pageHop = await browser.request(/(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string);
    const hop = await browser.request(`${stack.url}/api/integration/authorize`, {
      form: { link: formField(pageHop.body, 'link') as string, csrf: formField(pageHop.body, 'csrf') as string },
    });
    stack.simulator.control.scriptAuthorize(ga1);
    const consentCallback = await browser.request((await browser.request(hop.location as string)).location as string);
    stack.simulator.control.scriptAuthorize(ga1);
    await browser.request((await browser.request(consentCallback.location as string)).location as string);
    await stack.host.durable.whenIdle();
    const account = await json(await stack.call('GET', `accounts/${ACCOUNT}`));
    if (account.state !== 'active') throw new Error(`the account is ${account.state} after activation`);
    const prefix = account.settings.policyPrefix as string;
    const settings = await stack.call('PUT', `accounts/${ACCOUNT}`, {
      body: { name: account.name, licenseCount: users, globalAdmin, settings: { mainNumber: '+14256660000' } },
      headers: { 'if-match': `"${account.version}"` },
    });
    if (settings.status !== 200) throw new Error(`PUT settings: HTTP ${settings.status} ${await settings.text()}`);
    // Until the tenant configuration stage creates them (issue 13), the tenant has the integration's policies already.
    stack.simulator.control.addPolicies(tenantId, 'OnlineVoiceRoutingPolicy', [prefix]);
    const variants = ['VM', 'NoVM', 'NoVMOrForward'].flatMap((v) => [`${prefix}-${v}-MOHTEAMS`, `${prefix}-${v}-MOHEXT`]);
    stack.simulator.control.addPolicies(tenantId, 'TeamsCallingPolicy', variants);

    const eligible: string[] = [];
    for (let p = 1; eligible.length < users; p++) {
      const page = await json(await stack.call('GET', `accounts/${ACCOUNT}/teams-users?filter=eligible&pageSize=1000&page=${p}`));
      if (!page.users.length) throw new Error(`only ${eligible.length} eligible Teams users for ${users} voice users`);
      eligible.push(...(page.users as Array<{ id: string }>).map((u) => u.id));
    }
    const voiceUsers = Array.from({ length: users }, (_, i) => ({
      id: `v${i}`,
      displayName: `Voice User ${i}`,
      email: `v${i}@bench-sync.example`,
      phoneNumber: `+1425555${String(i).padStart(4, '0')}`,
      extension: null,
      voicemail: i % 2 === 0,
      callForwarding: i % 3 !== 0,
      musicOnHold: i % 5 < 2 ? 'provider' : 'teams',
    }));
    const directory = await stack.call('PUT', `accounts/${ACCOUNT}/voice-users`, { body: { voiceUsers } });
    if (directory.status !== 200) throw new Error(`PUT voice-users: HTTP ${directory.status} ${await directory.text()}`);
    let etag = (await stack.call('GET', `accounts/${ACCOUNT}/mapping`)).headers.get('etag') as string;
    for (let i = 0; i < users; i += MAX_CHANGES_PER_SAVE) {
      const changes = voiceUsers.slice(i, i + MAX_CHANGES_PER_SAVE).map((v, j) => ({ voiceUserId: v.id, teamsUserId: eligible[i + j]! }));
      const saved = await stack.call('PUT', `accounts/${ACCOUNT}/mapping`, { body: { changes }, headers: { 'if-match': etag } });
      if (saved.status !== 200) throw new Error(`PUT mapping: HTTP ${saved.status} ${await saved.text()}`);
      etag = saved.headers.get('etag') as string;
    }
    console.log(`Set-up: ${2 * users + 50}-user tenant, ${users} voice users mapped, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Microsoft's limits from here on (the set-up above is not what is measured).
    if (values.throttle === 'on') stack.simulator.control.setThrottle({ enabled: true });
    const first = await syncNow(stack, tenantId, users);
    const state = stack.simulator.control.teamsState(tenantId) as {
      numbers: Array<{ telephoneNumber: string; assignmentTargetId: string | null }>;
    };
    const held = new Map(state.numbers.map((n) => [n.assignmentTargetId, n.telephoneNumber]));
    const missing = voiceUsers.filter((v, i) => held.get(eligible[i]!) !== v.phoneNumber).length;
    const second = await syncNow(stack, tenantId, users);
    const violations = stack.simulator.control.contractViolations().length;
    const result = { users, seed, throttle: values.throttle, first, missingNumbers: missing, second, contractViolations: violations };
    for (const [label, r] of [
      ['First sync', first],
      ['Second sync (no change)', second],
    ] as const) {
      console.log(`\n${label}: ${r.status} ${JSON.stringify(r.counts)} in ${r.seconds} s, ${r.chunks} chunks`);
      console.log(`  page and sign-in ${r.pageAndSignIn.seconds} s, ${r.pageAndSignIn.microsoftRequests} Microsoft requests`);
      console.log(
        `  Microsoft requests ${r.microsoftRequests}; writes ${r.writeCalls} (${r.writesPerUser}/user, ${r.writesPerPlannedOperation}/planned operation, ${r.writeCallsThrottled} answered 429)`,
      );
      if (r.throttle) {
        console.log(
          `  throttled calls ${r.throttle.throttledCalls}; wall ${r.seconds} s / throttle-bound lower bound ${r.throttle.lowerBoundSeconds} s = ${r.throttle.wallOverLowerBound}`,
        );
        for (const b of r.throttle.buckets)
          console.log(
            `    bucket ${b.family.padEnd(20)} ${b.admitted} let through (cost ${b.cost}), ${b.throttled} throttled; ${b.limit.capacity} + ${b.limit.perSecond}/s → ≥ ${b.boundSeconds} s`,
          );
      }
      console.log(
        `  $batch ${r.batches}, ${r.requestsPerBatch} requests/batch; history ${r.historyEvents} events (${r.historyEventsPerUser}/user)`,
      );
      for (const [k, n] of Object.entries(r.requestsByKind)) console.log(`    ${k.padEnd(64)} ${n}`);
      console.log(`  durable ${JSON.stringify(r.durable)}`);
      for (const [o, s] of Object.entries(r.spans)) console.log(`  ${o} spans (count, seconds) ${JSON.stringify(s)}`);
      for (const [t, c] of Object.entries(r.tables))
        console.log(`    table ${t.padEnd(20)} ${c.requests} requests, ${c.transactions} transactions`);
    }
    console.log(`\nUsers without their number in Teams: ${missing}; contract violations: ${violations}`);
    writeFileSync(`/tmp/bench-sync-${users}.json`, JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result));
    if (first.status !== 'Succeeded' || second.status !== 'Succeeded' || missing || second.writeCalls || violations) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:sync failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
