/** Steps of a discovery that a newer one has replaced write nothing (a late page would make the new run mark users gone). */
import { Account } from '../../shared/domain/account';
import { ok } from '../../shared/domain/errors';
import { DiscoveryStatus } from '../../shared/discovery/ports';
import { asOfNow } from '../../shared/discovery/currentDiscovery';
import { discoverySteps } from '../../shared/discovery/steps';

const TENANT = '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51';
const account = { accountId: 'acme', state: 'active', tenantId: TENANT, tenantBound: true } as Account;

function setup(currentDiscoveryId: string) {
  const calls: string[] = [];
  const seen = new Map<string, readonly string[]>();
  const steps = discoverySteps({
    accounts: { get: async () => ({ account, etag: 'e' }), save: async () => ok({ account, etag: 'e' }) },
    discoveries: {
      get: async () => ({ discoveryId: currentDiscoveryId, status: 'running' }) as DiscoveryStatus,
      begin: async () => undefined,
      update: async () => (calls.push('update'), true),
      succeed: async () => ok(true),
      recordSeen: async (_a, discoveryId, page, ids) => void (seen.set(`${discoveryId}|${page}`, ids), calls.push('recordSeen')),
      seen: async (_a, discoveryId) => {
        const ids = [...seen].filter(([k]) => k.startsWith(`${discoveryId}|`)).flatMap(([, v]) => v);
        return seen.size ? new Set(ids) : null;
      },
    },
    teamsUsers: {
      saveSeen: async (_a, users) => (calls.push('saveSeen'), users.length),
      markGone: async (_a, seenIds) => (calls.push(`markGone ${[...seenIds].join(',')}`), 3),
      list: async () => [],
      eligibleByName: async () => ({ users: [], more: false }),
      getMany: async () => [],
    },
    directory: {
      usersPage: async () =>
        ok({
          users: [
            { id: 'u1', displayName: 'U', userPrincipalName: 'u@x', mail: null, department: null, accountEnabled: true, assignedPlans: [] },
          ],
          nextLink: null,
        }),
      subscribedSkus: async () => ok([]),
      organization: async () => ok({ displayName: null, defaultDomain: null }),
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { steps, calls };
}

const page = (discoveryId: string) => ({
  accountId: 'acme',
  tenantId: TENANT,
  discoveryId,
  nextLink: null,
  pagesRead: 1,
  usersSeenBefore: 0,
  seenAt: '2026-01-01T00:00:00Z',
});

test('a users page of a replaced discovery stores nothing and stops its run', async () => {
  const { steps, calls } = setup('new-run');
  expect(await steps.usersPage(page('old-run'))).toMatchObject({ ok: false, error: { code: 'DISCOVERY_SUPERSEDED' } });
  expect(calls).toEqual([]);
});

test('marking gone is skipped for a replaced discovery', async () => {
  const { steps, calls } = setup('new-run');
  expect(await steps.markGone({ accountId: 'acme', discoveryId: 'old-run', at: '2026-01-01T00:00:00Z' })).toEqual({ gone: 0 });
  expect(calls).toEqual([]);
});

test('the current discovery stores its page and marks gone as usual', async () => {
  const { steps, calls } = setup('new-run');
  expect(await steps.usersPage(page('new-run'))).toMatchObject({ ok: true, value: { users: 1 } });
  expect(await steps.markGone({ accountId: 'acme', discoveryId: 'new-run', at: '2026-01-01T00:00:00Z' })).toEqual({ gone: 3 });
  expect(calls).toEqual(['saveSeen', 'recordSeen', 'update', 'markGone u1']);
});

test('with no page recorded, marking gone marks nobody (never everybody)', async () => {
  const { steps, calls } = setup('new-run');
  expect(await steps.markGone({ accountId: 'acme', discoveryId: 'new-run', at: '2026-01-01T00:00:00Z' })).toEqual({ gone: 0 });
  expect(calls).toEqual([]);
});

describe('a discovery as it stands now', () => {
  const stallMs = 15 * 60_000;
  const now = new Date('2026-01-01T01:00:00Z');
  const running = { discoveryId: 'd', status: 'running', startedAt: '2026-01-01T00:00:00Z' } as DiscoveryStatus;

  test('running with recent progress is running; without progress for the stall time it has failed', () => {
    expect(asOfNow({ ...running, progressAt: '2026-01-01T00:50:00Z' }, now, stallMs)?.status).toBe('running');
    expect(asOfNow({ ...running, progressAt: '2026-01-01T00:40:00Z' }, now, stallMs)).toMatchObject({
      status: 'failed',
      error: { code: 'DISCOVERY_STALLED' },
    });
  });

  test('a consented account whose discovery never began gets a failed one after the stall time, not before', () => {
    expect(asOfNow(undefined, now, stallMs, { state: 'consented', updatedAt: '2026-01-01T00:55:00Z' })).toBeUndefined();
    expect(asOfNow(undefined, now, stallMs, { state: 'consented', updatedAt: '2026-01-01T00:30:00Z' })).toMatchObject({
      status: 'failed',
      error: { code: 'DISCOVERY_STALLED' },
    });
    expect(asOfNow(undefined, now, stallMs, { state: 'invited', updatedAt: '2026-01-01T00:30:00Z' })).toBeUndefined();
  });
});
