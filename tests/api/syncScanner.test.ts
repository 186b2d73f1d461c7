/**
 * The scanner: after a full sync over real HTTP (POST /sync → our page → Microsoft's consent and sign-in → the run
 * Succeeds), no token the simulated Microsoft issued, no client secret, no PKCE verifier and no link signing key is
 * found in any table row, in any orchestration's input/output/custom status/history, in the host's log or in any
 * answer the app gave.
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import { LOCAL_CLIENT_SECRET } from '../../local/appRegistration';
import { AuthorizeOutcome } from '../../local/simulator/state';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Browser, formField } from '../support/browser';
import { finishedRun } from '../support/sync';
import { json, LINK_SIGNING_KEY, Stack, startStack } from '../support/stack';

let stack: Stack;
const logLines: string[] = [];
const answers: string[] = [];
beforeAll(async () => {
  stack = await startStack({
    env: { EMAIL_RATE_PER_MINUTE: '1000', EMAIL_RATE_PER_HOUR: '10000' },
    log: (line) => logLines.push(line),
    onHttpResponse: (ex) => answers.push(JSON.stringify(ex.headers), ex.body.toString('utf8')),
  });
});
afterAll(() => stack?.stop());

const b64url = (v: string) => createHash('sha256').update(v).digest('base64url');

/** Everything the app keeps or shows: every row of every table, every orchestration, the log, every answer. */
async function everything(): Promise<Array<[string, string]>> {
  const conn = stack.azurite.connectionString;
  const found: Array<[string, string]> = [];
  for await (const t of TableServiceClient.fromConnectionString(conn, { allowInsecureConnection: true }).listTables()) {
    const table = TableClient.fromConnectionString(conn, t.name as string, { allowInsecureConnection: true });
    for await (const row of table.listEntities()) found.push([`table ${t.name}`, JSON.stringify(row)]);
  }
  for (const i of stack.host.durable.instances.values()) {
    const { input, output, customStatus, history, failureDetails } = i;
    found.push([`orchestration ${i.name} ${i.instanceId}`, JSON.stringify({ input, output, customStatus, history, failureDetails })]);
  }
  found.push(['host log', logLines.join('\n')], ['answers', answers.join('\n')]);
  return found;
}

/** Where a secret shows up; the PKCE verifier is found by its challenge (any 43+ character string hashing to it). */
function leaks(found: Array<[string, string]>, secrets: string[], challenges: string[]): string[] {
  const out: string[] = [];
  for (const [where, text] of found) {
    for (const s of secrets) if (text.includes(s)) out.push(`${where}: ${s.slice(0, 12)}…`);
    for (const candidate of text.match(/(?<![\w~.-])[\w~.-]{43,128}(?![\w~.-])/g) ?? []) {
      if (challenges.includes(b64url(candidate))) out.push(`${where}: a PKCE verifier`);
    }
  }
  return out;
}

test('after a full sync run, no token, client secret, PKCE verifier or link key is in any table, orchestration, log or answer', async () => {
  // Enable → activate → POST /sync → the page → Sync now → consent and sign-in → the run.
  const tenantId = stack.simulator.control.addTenant(generateTenant({ users: 12, seed: 901 })).id;
  const ga1: AuthorizeOutcome = { outcome: 'signIn', user: 'ga1', tenantId };
  const email = 'scanner-ga@customer.example';
  const ga = { id: 'scanner-ga', role: 'admin' as const, account: 'scanner' };
  const put = await stack.call('PUT', 'accounts/scanner', {
    body: { name: 'Scanner customer', licenseCount: 5, globalAdmin: { portalUserId: ga.id, displayName: 'Gale Admin', email }, tenantId },
  });
  expect(put.status).toBe(201);
  await stack.deliverEmails();
  const mail = stack.simulator.control.mailbox().find((m) => m.to.some((t) => t.address === email));
  const pageUrl = /(https?:\/\/\S+\/api\/integration\?link=\S+)/.exec(mail?.plainText ?? '')?.[1] as string;
  const challenges: string[] = [];
  const browser = new Browser();
  const follow = async (url: string) => {
    const challenge = new URL(url).searchParams.get('code_challenge');
    if (challenge) challenges.push(challenge);
    stack.simulator.control.scriptAuthorize(ga1);
    return browser.request((await browser.request(url)).location as string);
  };
  const activationPage = await browser.request(pageUrl);
  const authorize = await browser.request(`${stack.url}/api/integration/authorize`, {
    form: { link: formField(activationPage.body, 'link') as string, csrf: formField(activationPage.body, 'csrf') as string },
  });
  const afterConsent = await follow(authorize.location as string);
  expect((await follow(afterConsent.location as string)).status).toBe(303);
  await stack.host.durable.whenIdle();

  // Map one voice user to an eligible Teams user: the account then needs a sync.
  const directory = { voiceUsers: [{ id: 'v1', displayName: 'Ada Lovelace', phoneNumber: '+14255550100' }] };
  expect((await stack.call('PUT', 'accounts/scanner/voice-users', { body: directory, actor: ga })).status).toBe(200);
  const mappingRes = await stack.call('GET', 'accounts/scanner/mapping', { actor: ga });
  const mapping = await json(mappingRes);
  const saved = await stack.call('PUT', 'accounts/scanner/mapping', {
    actor: ga,
    body: { changes: [{ voiceUserId: 'v1', teamsUserId: mapping.availableTeamsUsers[0].id }] },
    headers: { 'if-match': mappingRes.headers.get('etag') as string },
  });
  expect(saved.status).toBe(200);
  expect(await json(await stack.call('GET', 'accounts/scanner/status'))).toMatchObject({ actionNeeded: 'sync', queuedChanges: 1 });

  const { url } = await json(await stack.call('POST', 'accounts/scanner/sync', { actor: ga }));
  const syncPage = await browser.request(url);
  const hop = await browser.request(`${stack.url}/api/integration/sync`, {
    form: { link: formField(syncPage.body, 'link') as string, csrf: formField(syncPage.body, 'csrf') as string },
  });
  expect(hop.status).toBe(303);
  const back = await follow(hop.location as string);
  expect(back.location).toMatch(/\/api\/integration\?link=/);
  const run = await finishedRun(stack, 'scanner');
  // The user's number and both policies reached Teams.
  expect(run).toMatchObject({ status: 'Succeeded', counts: { planned: 3, applied: 3 } });
  // Visible in /status and on the page; the Key Vault holds nothing of the run.
  const resultPage = await browser.request(back.location as string);
  expect(resultPage.body).toContain('Last sync');
  expect(resultPage.body).toContain('Succeeded');
  expect(await json(await stack.call('GET', 'accounts/scanner/status'))).toMatchObject({
    lastSync: { status: 'Succeeded' },
    runningRunId: null,
  });
  expect((await stack.call('GET', `accounts/scanner/sync-runs/${run.runId}`)).status).toBe(200);
  expect(stack.simulator.control.secrets()).toEqual([]);

  const tokens = stack.simulator.control.issuedTokens();
  // The delegated Graph and Teams admin API tokens, refresh tokens, app-only tokens (discovery, Key Vault).
  expect(tokens.length).toBeGreaterThanOrEqual(4);
  expect(challenges.length).toBeGreaterThanOrEqual(2);
  const found = await everything();
  expect(found.some(([where]) => where.startsWith('orchestration syncTenant'))).toBe(true);
  expect(found.some(([where]) => where === 'table authSessions')).toBe(true);
  expect(logLines.length).toBeGreaterThan(0);
  const secrets = [...tokens, LOCAL_CLIENT_SECRET, LINK_SIGNING_KEY];
  expect(leaks(found, secrets, challenges)).toEqual([]);
  // The scanner itself finds what it looks for.
  expect(leaks([['planted', `x${tokens[0]}x ${LINK_SIGNING_KEY}`]], secrets, challenges)).toHaveLength(2);
});
