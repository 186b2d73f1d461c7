/**
 * Copies of one generated tenant, for tests that compare a sync under faults with a clean one: each copy is the same
 * tenant under another id and domain, with an account on it and the same two people mapped; `normalized` is the
 * tenant as the integration leaves it, with what differs between copies (ids, names, the random TXT) replaced.
 */
import { LOCAL_CLIENT_ID } from '../../local/appRegistration';
import { generateTenant } from '../../local/simulator/tenants/generator';
import { Stack } from './stack';
import { normalizedTenant, syncAccount, voiceUser } from './sync';

let copies = 0;

/** A fresh copy with an account (prefix `accountPrefix`) ready to sync its two mapped users. */
export async function tenantCopy(stack: Stack, accountPrefix: string) {
  copies++;
  const tenantId = `0000c0de-0000-4000-8000-${String(copies).padStart(12, '0')}`;
  const domain = `copy${copies}.onmicrosoft.com`;
  const seed = generateTenant({ users: 20, seed: 77, tenantId, domain });
  seed.adminConsentedClients = [LOCAL_CLIENT_ID];
  const control = stack.simulator.control;
  control.addTenant(seed);
  const accountId = `${accountPrefix}-${copies}`;
  const t = await syncAccount(stack, accountId, { licenses: 3, tenant: { tenantId, user: 'ga1' } });
  await t.putDirectory([
    voiceUser('k1', '+14255557001', null, true, true, 'teams'),
    voiceUser('k2', '+14255557002', null, false, false, 'provider'),
  ]);
  // The same two people in every copy: picked by their UPN (the ids differ per tenant).
  const upn = new Map(control.users(tenantId).map((u) => [u.id, u.userPrincipalName]));
  const [a, b] = t.free.slice().sort((x, y) => upn.get(x)!.localeCompare(upn.get(y)!));
  await t.map([
    { voiceUserId: 'k1', teamsUserId: a! },
    { voiceUserId: 'k2', teamsUserId: b! },
  ]);
  return {
    ...t,
    accountId,
    /** Activity rows as who, what, on which object and how it ended, in terms that are the same in every copy. */
    sameRows: (rows: Array<{ teamsUserId: string; kind: string; target: string | null; result?: string }>) =>
      rows
        .map((r) =>
          [upn.get(r.teamsUserId)?.split('@')[0] ?? '-', r.kind, (r.target ?? '').split(accountId).join('ACCOUNT'), r.result ?? '']
            .join(' ')
            .trim(),
        )
        .sort(),
    normalized: () => normalizedTenant(control, tenantId, accountId, domain),
  };
}
