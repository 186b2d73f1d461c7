/**
 * Benchmark (a script, not a test): simulator start time with a 10,000-user tenant, and requests per second
 * for paging through /users ($top=999 and the default 100), sequentially and with 8 concurrent readers.
 * Run: `npm run bench:simulator` (it re-runs itself with NODE_EXTRA_CA_CERTS pointing at the local CA).
 * (the CA must exist before the process starts: `ensureLocalCa` creates it).
 */
import { ensureTrustedCa } from '../bench/trustedCa';
import { generateTenant, startSimulator } from './index';

const CLIENT = { clientId: 'bench-app', clientSecret: 'bench-secret' };

async function token(entra: string, tenantId: string): Promise<string> {
  const res = await fetch(`${entra}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function pageAll(graph: string, bearer: string, top: number): Promise<{ requests: number; users: number }> {
  let url: string | undefined = `${graph}/v1.0/users?$select=id,userPrincipalName,assignedPlans&$top=${top}`;
  let requests = 0;
  let users = 0;
  while (url) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    requests += 1;
    users += body.value.length;
    url = body['@odata.nextLink'];
  }
  return { requests, users };
}

async function measure(label: string, graph: string, bearer: string, top: number, parallel: number, rounds: number): Promise<void> {
  const t0 = process.hrtime.bigint();
  let requests = 0;
  let users = 0;
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(Array.from({ length: parallel }, () => pageAll(graph, bearer, top)));
    for (const x of results) {
      requests += x.requests;
      users += x.users;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(40)} ${requests} requests, ${users} users in ${seconds.toFixed(2)} s -> ${(requests / seconds).toFixed(0)} req/s, ${(users / seconds).toFixed(0)} users/s`,
  );
}

async function main(): Promise<void> {
  ensureTrustedCa(__filename);
  const seed = generateTenant({ users: 10_000, seed: 2024 });
  const t0 = process.hrtime.bigint();
  const sim = await startSimulator({ tenants: [seed], seed: 1, apps: [{ ...CLIENT, redirectUris: [] }] });
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `start (10,000-user tenant, 6 HTTPS listeners, contract ${sim.contractChecks.enabled ? 'on' : 'off'}): ${startMs.toFixed(0)} ms`,
  );
  const t1 = process.hrtime.bigint();
  const empty = await startSimulator({ tenants: [], seed: 1 });
  console.log(`start (no customer tenant): ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(0)} ms`);
  await empty.stop();
  sim.control.grantAdminConsent(seed.id, CLIENT.clientId);
  const bearer = await token(sim.urls.entra, seed.id);
  await pageAll(sim.urls.graph, bearer, 999); // warm-up
  await measure('/users $top=999, 1 reader', sim.urls.graph, bearer, 999, 1, 5);
  await measure('/users $top=100, 1 reader', sim.urls.graph, bearer, 100, 1, 3);
  await measure('/users $top=999, 8 readers', sim.urls.graph, bearer, 999, 8, 2);
  await measure('/users $top=100, 8 readers', sim.urls.graph, bearer, 100, 8, 1);
  await sim.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
