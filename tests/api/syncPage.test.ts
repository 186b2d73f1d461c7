/**
 * The sync run on the integration page, over real HTTP: runs seeded through the real syncRuns store, the page opened
 * from the portal's sync link. While a run runs: its stage in words, its counts, a meta refresh and no sync button;
 * afterwards the result in words (and for a failure what to do next). And the "Sync failed" email the finish step
 * queues: once per failed or expired run, with a sync link that opens the page, none for a run that succeeded.
 */
import { randomUUID } from 'node:crypto';
import { container } from '../../shared/container';
import { ActivityError } from '../../shared/domain/activityFailure';
import { FinishedStatus, startRun, SyncCounts, SyncRun, SyncStage } from '../../shared/domain/syncRun';
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { tableAccountStore } from '../../shared/storage/accountStore';
import { tableSyncRunStore } from '../../shared/storage/syncRunStore';
import { table } from '../../shared/storage/tables';
import { Browser } from '../support/browser';
import { LINK_KEYS, Stack, startStack } from '../support/stack';
import { LinkSigner } from '../../shared/security/signedLinks';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' } });
}, 60_000);
afterAll(() => stack?.stop());

const runs = () => tableSyncRunStore(table(stack.azurite.connectionString, 'syncRuns'));
let seed = 700;

/** An active account on a tenant of its own, bound and activated in storage (the activation has tests of its own). */
async function activeAccount() {
  const accountId = `page-${++seed}`;
  const tenant = generateTenant({ users: 4, seed });
  tenant.adminConsentedClients = [LOCAL_CLIENT_ID];
  stack.simulator.control.addTenant(tenant);
  const ga = { portalUserId: `ga-${accountId}`, displayName: 'Gale Admin', email: `ga-${accountId}@customer.example` };
  const put = await stack.call('PUT', `accounts/${accountId}`, {
    body: { name: `Customer ${accountId}`, licenseCount: 3, globalAdmin: ga, tenantId: tenant.id },
  });
  expect(put.status).toBe(201);
  const store = tableAccountStore(table(stack.azurite.connectionString, 'accounts'));
  const { account, etag } = (await store.get(accountId))!;
  const saved = await store.save(
    {
      ...account,
      state: 'active',
      tenantBound: true,
      globalAdminObjectId: 'ga-object',
      actionNeeded: 'none',
      version: account.version + 1,
    },
    etag,
    [],
  );
  expect(saved.ok).toBe(true);
  return { accountId, ga, actor: { id: ga.portalUserId, role: 'admin' as const, account: accountId } };
}

async function seedRun(accountId: string, stage: SyncStage, counts: Partial<SyncCounts>): Promise<SyncRun> {
  const run = startRun(
    { runId: randomUUID(), accountId, trigger: 'page', startedBy: `ga-${accountId}`, deadline: new Date(Date.now() + 3000_000) },
    new Date(),
  );
  const created = await runs().create(run);
  expect(created.ok).toBe(true);
  const updated = await runs().update(accountId, run.runId, { stage, counts: { ...run.counts, ...counts } });
  expect(updated.ok).toBe(true);
  return updated.ok ? updated.value.run : run;
}

/** Finishes a seeded run the way the run does: through the finish step (which records it and queues any email). */
const finish = (run: SyncRun, status: FinishedStatus, counts: Partial<SyncCounts> = {}, error: ActivityError | null = null) =>
  container().sync.steps.finish({
    accountId: run.accountId,
    runId: run.runId,
    status,
    counts: { ...run.counts, ...counts },
    error,
    finishedAt: new Date().toISOString(),
  });

/** The integration page as the Global Admin opens it from an email link (POST /sync hands out no link while a run runs). */
async function page(a: Awaited<ReturnType<typeof activeAccount>>, query = ''): Promise<string> {
  const link = await new LinkSigner(LINK_KEYS, 3600).sign({
    purpose: 'integration',
    accountId: a.accountId,
    globalAdminId: a.ga.portalUserId,
    globalAdminEmail: a.ga.email,
  });
  const shown = await new Browser().request(`${stack.url}/api/integration?link=${link}${query}`);
  expect(shown.status).toBe(200);
  return shown.body;
}

const SYNC_BUTTON = /<button type="submit">Sync now/;
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('a running run: its stage in words, its counts, a refresh, and no sync button', async () => {
  const a = await activeAccount();
  await seedRun(a.accountId, 'apply', { planned: 12, applied: 5, failed: 1, left: 6 });
  const body = await page(a);
  expect(body).toMatch(/<meta http-equiv="refresh" content="\d+" \/>/);
  expect(body).not.toMatch(SYNC_BUTTON);
  expect(body).not.toContain('action="/api/integration/sync"');
  const words = text(body);
  expect(words).toContain('Sync running');
  expect(words).toContain('Applying changes (step 5 of 6)');
  expect(words).toMatch(/Changes planned 12 Applied 5 Refused by Microsoft 1 Left for the next sync 6/);
  // The reader can turn the refresh off (WCAG 2.2.1), and on again.
  expect(body).toMatch(/<a href="\/api\/integration\?link=[^"]+&amp;refresh=off">Stop refreshing this page<\/a>/);
  const still = await page(a, '&refresh=off');
  expect(still).not.toContain('http-equiv="refresh"');
  expect(text(still)).toContain('Applying changes (step 5 of 6)');
  expect(text(still)).toContain('Refresh this page automatically again');
});

test('an early stage reads as such ("Checking access")', async () => {
  const a = await activeAccount();
  await seedRun(a.accountId, 'preflight', {});
  expect(text(await page(a))).toContain('Checking access (step 1 of 6)');
});

test('a succeeded run: Teams is up to date, with its finish time; the sync button is back, no refresh', async () => {
  const a = await activeAccount();
  await finish(await seedRun(a.accountId, 'apply', { planned: 3 }), 'Succeeded', { applied: 3, left: 0 });
  const body = await page(a);
  expect(body).toMatch(SYNC_BUTTON);
  expect(body).not.toContain('http-equiv="refresh"');
  const words = text(body);
  expect(words).toMatch(/Last sync Succeeded \d{1,2} \w+ \d{4}.* UTC Teams is up to date: 3 changes were applied\./);
  expect(body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/);
});

test('a failed run: what failed and what to do next (sync again, or support with the run id)', async () => {
  const a = await activeAccount();
  const run = await seedRun(a.accountId, 'preflight', {});
  await finish(run, 'Failed', {}, { code: 'TENANT_MISMATCH', message: 'The account is no longer linked to the tenant.' });
  const words = text(await page(a));
  expect(words).toContain('Failed');
  expect(words).toContain('The account is no longer linked to the tenant. (reason: TENANT_MISMATCH)');
  expect(words).toContain('Run the sync again.');
  expect(words).toContain(`contact support@voice.example and give the run id ${run.runId}`);
});

test('a partly succeeded run: how many were refused, and sync again', async () => {
  const a = await activeAccount();
  await finish(await seedRun(a.accountId, 'apply', { planned: 4 }), 'PartiallySucceeded', { applied: 3, failed: 1, left: 0 });
  const words = text(await page(a));
  expect(words).toContain('Partly succeeded');
  expect(words).toContain('3 of 4 changes were applied; Microsoft Teams refused 1. Some users could not be synced');
  expect(words).toContain("your provider's portal shows each one and why");
  expect(words).toContain('run the sync again: only what is missing is sent.');
});

test('a partly succeeded run with refused users only: no refusal count from Microsoft, where to look, sync again', async () => {
  const a = await activeAccount();
  await finish(await seedRun(a.accountId, 'apply', { planned: 3 }), 'PartiallySucceeded', { applied: 3, failed: 0, left: 0 });
  const words = text(await page(a));
  expect(words).toContain('3 of 3 changes were applied. Some users could not be synced');
  expect(words).not.toContain('Microsoft Teams refused');
});

test('an expired run: the sign-in ran out of time, the next sync applies the rest', async () => {
  const a = await activeAccount();
  await finish(await seedRun(a.accountId, 'apply', { planned: 10 }), 'Expired', { applied: 4, left: 6 });
  const words = text(await page(a));
  expect(words).toContain(
    "The sign-in's time ran out before every change was applied: 4 applied (they stay applied), 6 left. Sign in again to finish: the next sync applies only what is left.",
  );
});

const syncFailedMails = (address: string) =>
  stack.simulator.control
    .mailbox()
    .filter((m) => m.to.some((t) => t.address === address) && /sync for .* (failed|did not finish)/.test(m.subject));

test('"Sync failed" email: once per failed run (the finish step running twice), with a sync link that opens the page', async () => {
  const a = await activeAccount();
  const run = await seedRun(a.accountId, 'discovery', {});
  const error: ActivityError = { code: 'DISCOVERY_FORBIDDEN', message: 'Microsoft refused to list the users.' };
  await finish(run, 'Failed', {}, error);
  await finish(run, 'Failed', {}, error);
  await stack.deliverEmails();
  const mails = syncFailedMails(a.ga.email);
  expect(mails).toHaveLength(1);
  expect(mails[0].subject).toBe(`The Teams sync for Customer ${a.accountId} failed`);
  const plain = mails[0].plainText ?? '';
  expect(plain).toContain(run.runId);
  expect(plain).toContain('DISCOVERY_FORBIDDEN');
  const link = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(plain)?.[1] as string;
  const opened = await new Browser().request(link);
  expect(opened.status).toBe(200);
  expect(opened.body).toContain('action="/api/integration/sync"');
  expect(text(opened.body)).toContain('sign in with your Microsoft Global Administrator account: the sign-in authorises this one sync');
});

test('"Sync failed" email for an expired run; none for a succeeded one', async () => {
  const expired = await activeAccount();
  await finish(await seedRun(expired.accountId, 'apply', { planned: 2 }), 'Expired', { applied: 1, left: 1 });
  const succeeded = await activeAccount();
  await finish(await seedRun(succeeded.accountId, 'apply', {}), 'Succeeded');
  await stack.deliverEmails();
  expect(syncFailedMails(expired.ga.email).map((m) => m.subject)).toEqual([
    `The Teams sync for Customer ${expired.accountId} did not finish in time`,
  ]);
  const [mail] = syncFailedMails(expired.ga.email);
  expect(mail!.plainText).toContain('1 changes were applied and stay applied; 1 are left. Sign in again to finish');
  expect(mail!.html).toContain('Sign in again to finish');
  expect(syncFailedMails(succeeded.ga.email)).toEqual([]);
});
