/**
 * A person's click-through of activation in a real browser (Debian Chromium driven by playwright-core) on the local
 * runtime: email link → integration page → Microsoft consent → Microsoft sign-in → discovery → active, then the
 * first sync: "Sync now" → Microsoft's consent and sign-in for the sync → the run's progress → its result. A
 * screenshot of each step goes to test-output/browser/. Without Chromium the test says so and is skipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { DEMO_TENANT_ID } from '../../local/simulator';
import { json, REPO_ROOT, Stack, startStack } from '../support/stack';
import { finishedRun } from '../support/sync';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.join(REPO_ROOT, 'test-output', 'browser');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `Browser test skipped: Chromium not found at ${CHROMIUM} (install it with: apt-get install -y --no-install-recommends chromium).`,
  );
}
const browserTest = haveChromium ? test : test.skip;

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(OUTPUT, { recursive: true });
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

/** Accessibility check of our own pages with axe-core (WCAG 2.1 A and AA rules): no serious or critical violation. */
async function expectAccessible(page: Page, disabledRules: string[] = []): Promise<void> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const rules = JSON.stringify(Object.fromEntries(disabledRules.map((id) => [id, { enabled: false }])));
  // A string expression: it runs in the page, where the DOM exists (this file is compiled without the DOM types).
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, rules: ${rules} })
       .then((r) => r.violations.map((v) => v.id + ' (' + v.impact + ')'))`,
  )) as string[];
  expect(violations.filter((v) => /serious|critical/.test(v))).toEqual([]);
}

/** Chooses a person on the simulated Microsoft page. */
async function pickUser(page: Page, displayName: string): Promise<void> {
  const value = await page.locator('option', { hasText: displayName }).first().getAttribute('value');
  await page.getByLabel('Account').selectOption(value as string);
}

browserTest(
  'a Global Admin clicks through activation',
  async () => {
    const res = await stack.call('PUT', 'accounts/browser-demo', {
      body: {
        name: 'Contoso Demo',
        licenseCount: 10,
        globalAdmin: { portalUserId: 'ga-megan', displayName: 'Megan Bowen', email: 'megan@contoso-demo.example' },
      },
    });
    expect(res.status).toBe(201);
    await stack.deliverEmails();
    const mail = stack.simulator.control
      .mailbox()
      .find((m) => /Activate/.test(m.subject) && m.to[0]?.address === 'megan@contoso-demo.example');
    const link = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string;
    expect(link).toBeTruthy();

    // The simulator serves HTTPS with a CA made at start; this browser profile is told to accept it.
    // bypassCSP only lets the test inject axe-core: our pages allow no script at all.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(link);
    expect(await page.getByRole('status').textContent()).toBe('Awaiting activation');
    await shot(page, '1-integration-page');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(/adminconsent/);
    await shot(page, '2-microsoft-admin-consent');
    await pickUser(page, 'Megan Bowen');
    await page.getByRole('button', { name: 'Accept' }).click();

    await page.waitForURL(/oauth2\/v2.0\/authorize/);
    await shot(page, '3-microsoft-sign-in');
    await pickUser(page, 'Megan Bowen');
    await page.getByRole('button', { name: 'Accept' }).click();

    await page.waitForURL(/\/api\/integration\?link=/);
    await shot(page, '4-back-on-the-integration-page');
    await stack.host.durable.whenIdle();
    await page.reload();
    expect(await page.getByRole('status').textContent()).toBe('Active');
    expect(await page.textContent('main')).toMatch(/\d+ users who can receive a number/);
    await shot(page, '5-active');
    await expectAccessible(page);

    // The simulator's mailbox viewer shows every email's HTML preview, not only the first.
    await page.goto(`${stack.simulator.urls.control}/mailbox`);
    const previews = page.locator('iframe');
    expect(await previews.count()).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < (await previews.count()); i++) {
      const text = await previews.nth(i).contentFrame().locator('p').first().innerText({ timeout: 5000 });
      expect(text).toMatch(/^Hello /);
    }
    await shot(page, '6-simulated-mailbox');

    // A refusal page is as readable: a damaged link.
    await page.goto(`${stack.url}/api/integration?link=damaged`);
    expect(await page.textContent('h1')).toBe('This link is not valid');
    await shot(page, '7-refused-link');
    await expectAccessible(page);

    // Two voice users mapped to two Teams users: the page says what the sync will do before the sign-in.
    const directory = [
      { id: 'b1', displayName: 'Ada Voice', phoneNumber: '+14255553001', voicemail: true },
      { id: 'b2', displayName: 'Bob Voice', phoneNumber: '+14255553002', voicemail: false, callForwarding: false },
    ];
    expect((await stack.call('PUT', 'accounts/browser-demo/voice-users', { body: { voiceUsers: directory } })).status).toBe(200);
    const mappingRes = await stack.call('GET', 'accounts/browser-demo/mapping');
    const free = (await json(mappingRes)).availableTeamsUsers as Array<{ id: string }>;
    const [first, second] = free.map((u) => u.id);
    const saved = await stack.call('PUT', 'accounts/browser-demo/mapping', {
      body: {
        changes: [
          { voiceUserId: 'b1', teamsUserId: first },
          { voiceUserId: 'b2', teamsUserId: second },
        ],
      },
      headers: { 'if-match': mappingRes.headers.get('etag') as string },
    });
    expect(saved.status).toBe(200);

    // The first sync, from the integration page.
    await page.goto(link);
    const syncNow = page.getByRole('button', { name: /^Sync now/ });
    await syncNow.waitFor();
    expect(await page.locator('.sync-preview').textContent()).toMatch(/^This sync will assign 2 numbers/);
    await shot(page, '8-sync-now-button');
    await expectAccessible(page);
    await syncNow.click();
    await page.waitForURL(/oauth2\/v2.0\/authorize/);
    expect(await page.textContent('body')).toMatch(/TeamsTelephoneNumber\.ReadWrite\.All/);
    await shot(page, '9-microsoft-sync-consent');
    // Reading the users slowly keeps the run running long enough to be seen.
    stack.simulator.control.injectFault({ service: 'graph', path: '/users', latencyMs: 3000, times: 1 });
    await pickUser(page, 'Megan Bowen');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(/\/api\/integration\?link=/);
    expect(await page.getByRole('status').textContent()).toBe('Sync running');
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
    expect(await page.getByRole('button', { name: /^Sync now/ }).count()).toBe(0);
    await shot(page, '10-sync-progress');
    // axe flags any timed meta refresh; WCAG 2.2.1 allows one the reader can turn off, and the page offers that switch.
    await expectAccessible(page, ['meta-refresh']);
    expect(await page.getByRole('link', { name: 'Stop refreshing this page' }).getAttribute('href')).toMatch(/&refresh=off$/);
    const run = await finishedRun(stack, 'browser-demo');
    expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 6, applied: 6 } });
    await page.reload();
    expect(await page.textContent('main')).toMatch(/Last sync\s*Succeeded.*UTC\s*Teams is up to date/s);
    const numbers = (
      stack.simulator.control.teamsState(DEMO_TENANT_ID) as { numbers: Array<{ telephoneNumber: string; assignmentTargetId: string }> }
    ).numbers;
    expect(numbers.find((n) => n.telephoneNumber === '+14255553001')?.assignmentTargetId).toBe(first);
    expect(numbers.find((n) => n.telephoneNumber === '+14255553002')?.assignmentTargetId).toBe(second);
    await shot(page, '11-sync-result');
    await expectAccessible(page);
    await context.close();
  },
  120_000,
);
