/** Discovery failures get stable codes, transient ones are retried, and starting is one run per account. */
import { AuthenticationError } from '@azure/identity';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { graphFailure, graphTenantDirectory, tokenFailure } from '../../shared/microsoft/graphDirectory';
import { activityErrorFrom, TransientFailure } from '../../shared/domain/activityFailure';
import { DISCOVERY_GAVE_UP } from '../../shared/discovery/contract';
import { DiscoveryStatus, OrchestrationClient } from '../../shared/discovery/ports';
import { discoveryInstanceId, startDiscovery } from '../../shared/discovery/startDiscovery';
import { durableOrchestrationClient } from '../../shared/durable/orchestrationClient';

const SECRET_LOOKING = /eyJ|secret|client_secret|Bearer/i;

function graphError(status: number, code: string | null, retryAfter?: string): GraphError {
  const e = new GraphError(status, 'message from Graph');
  e.code = code;
  e.headers = new Headers(retryAfter ? { 'retry-after': retryAfter } : {});
  return e;
}

const entraError = (status: number, error: string, description: string) =>
  new AuthenticationError(status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1])] });

describe('token failures', () => {
  test('AADSTS700016 (app not in the tenant: never consented) is DISCOVERY_NOT_CONSENTED, permanent', () => {
    const f = tokenFailure(
      entraError(400, 'unauthorized_client', "AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'."),
    );
    expect(f).toMatchObject({
      ok: false,
      error: { code: 'DISCOVERY_NOT_CONSENTED', transient: false, details: { aadsts: 'AADSTS700016' } },
    });
    expect(f.error.message).toMatch(/admin consent/);
  });

  test('a rejected client secret is permanent DISCOVERY_FAILED that names the fix, not the secret', () => {
    const f = tokenFailure(entraError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.'));
    expect(f).toMatchObject({ error: { code: 'DISCOVERY_FAILED', transient: false } });
    expect(f.error.message).toMatch(/client secret/);
  });

  test('an Entra outage or network error is transient', () => {
    expect(tokenFailure(entraError(503, 'temporarily_unavailable', 'AADSTS90033: A transient error has occurred.')).error.transient).toBe(
      true,
    );
    expect(tokenFailure(new Error('connect ECONNREFUSED 127.0.0.1:443')).error.transient).toBe(true);
  });
});

describe('Graph failures', () => {
  test('429 after the client retries is DISCOVERY_THROTTLED, transient, with Retry-After', () => {
    const f = graphFailure(graphError(429, 'TooManyRequests', '7'), 'the tenant users');
    expect(f).toMatchObject({ error: { code: 'DISCOVERY_THROTTLED', transient: true, details: { graphStatus: 429 } } });
    expect(f.error.message).toContain('Retry-After 7 s');
  });

  test('401 and 403 are DISCOVERY_FORBIDDEN, permanent', () => {
    expect(graphFailure(graphError(403, 'Authorization_RequestDenied'), 'x')).toMatchObject({
      error: { code: 'DISCOVERY_FORBIDDEN', transient: false },
    });
    expect(graphFailure(graphError(401, 'InvalidAuthenticationToken'), 'x').error.code).toBe('DISCOVERY_FORBIDDEN');
  });

  test('5xx and network failures are transient; other 4xx are permanent', () => {
    expect(graphFailure(graphError(502, null), 'x')).toMatchObject({ error: { code: 'DISCOVERY_FAILED', transient: true } });
    expect(graphFailure(graphError(-1, 'TypeError'), 'x').error.transient).toBe(true);
    expect(graphFailure(graphError(400, 'Request_BadRequest'), 'x')).toMatchObject({
      error: { code: 'DISCOVERY_FAILED', transient: false },
    });
  });

  test('no message carries a token or a secret', () => {
    for (const f of [
      graphFailure(graphError(401, 'InvalidAuthenticationToken'), 'x'),
      tokenFailure(entraError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.')),
    ]) {
      expect(f.error.message.replace('client secret', '')).not.toMatch(SECRET_LOOKING);
    }
  });
});

test('a next-page link to another origin than Graph is not followed', async () => {
  const directory = graphTenantDirectory({
    authorityHost: 'https://login.microsoftonline.com',
    graphBaseUrl: 'https://graph.microsoft.com',
    clientId: '6f0d1c2b-3a4e-4f5a-9b8c-7d6e5f4a3b21',
    credential: { kind: 'secret', secret: 'not-used' },
  });
  const page = await directory.usersPage('3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51', 'https://graph.microsoft.com.evil.example/v1.0/users');
  expect(page).toMatchObject({ ok: false, error: { code: 'DISCOVERY_FAILED', transient: false } });
});

describe('failures reaching the orchestrator', () => {
  test('a transient failure that used up its retries keeps its code', () => {
    const thrown = new TransientFailure({ code: 'DISCOVERY_THROTTLED', message: 'Microsoft Graph kept throttling.' }).message;
    expect(activityErrorFrom(thrown, DISCOVERY_GAVE_UP)).toEqual({
      code: 'DISCOVERY_THROTTLED',
      message: 'Microsoft Graph kept throttling.',
    });
    // As a host may wrap it.
    expect(activityErrorFrom(`Exception: ${thrown}\n    at stack line`, DISCOVERY_GAVE_UP).code).toBe('DISCOVERY_THROTTLED');
  });

  test('anything else is DISCOVERY_FAILED with a fixed message (raw exception text is never shown)', () => {
    const e = activityErrorFrom('RestError: connect ECONNREFUSED https://account.table.core.windows.net/?sig=abc', DISCOVERY_GAVE_UP);
    expect(e.code).toBe('DISCOVERY_FAILED');
    expect(e.message).not.toContain('sig=');
    expect(activityErrorFrom(undefined, DISCOVERY_GAVE_UP).code).toBe('DISCOVERY_FAILED');
    // A code that is not ours is not believed.
    expect(activityErrorFrom('{"code":"NOT_A_CODE","message":"x"}', DISCOVERY_GAVE_UP).code).toBe('DISCOVERY_FAILED');
  });
});

describe('starting discovery', () => {
  const fakeStarter = (running: Set<string>, failStart = false) => {
    const started: Array<{ name: string; id: string; input: unknown }> = [];
    const terminated: string[] = [];
    const starter: OrchestrationClient = {
      isRunning: async (id) => running.has(id),
      terminate: async (id) => {
        terminated.push(id);
        running.delete(id);
      },
      start: async (name, id, input) => {
        if (failStart) {
          running.add(id);
          throw new Error('409 already exists');
        }
        started.push({ name, id, input });
        running.add(id);
      },
    };
    return { starter, started, terminated };
  };
  const startingWith = (orchestrations: OrchestrationClient, discovery?: Partial<DiscoveryStatus>) => ({
    orchestrations,
    discoveries: {
      get: async () =>
        discovery ? ({ status: 'running', startedAt: '2026-01-01T00:00:00Z', ...discovery } as DiscoveryStatus) : undefined,
    },
    now: () => new Date('2026-01-01T01:00:00Z'),
    stallMs: 15 * 60_000,
  });

  test('one fixed instance per account; a second start while it runs is a no-op', async () => {
    const { starter, started } = fakeStarter(new Set());
    expect(discoveryInstanceId('acme')).toBe('discovery-acme');
    expect(await startDiscovery(startingWith(starter), { accountId: 'acme', tenantId: 't' })).toEqual({ alreadyRunning: false });
    expect(await startDiscovery(startingWith(starter), { accountId: 'acme', tenantId: 't' })).toEqual({ alreadyRunning: true });
    expect(started).toEqual([{ name: 'discoverTenant', id: 'discovery-acme', input: { accountId: 'acme', tenantId: 't' } }]);
  });

  test('a running instance whose discovery stalled is ended and replaced; a live one is left alone', async () => {
    const live = fakeStarter(new Set(['discovery-acme']));
    const fresh = { progressAt: '2026-01-01T00:55:00Z' };
    expect(await startDiscovery(startingWith(live.starter, fresh), { accountId: 'acme', tenantId: 't' })).toEqual({ alreadyRunning: true });
    expect(live.terminated).toEqual([]);

    const stuck = fakeStarter(new Set(['discovery-acme']));
    const stale = { progressAt: '2026-01-01T00:30:00Z' };
    expect(await startDiscovery(startingWith(stuck.starter, stale), { accountId: 'acme', tenantId: 't' })).toEqual({
      alreadyRunning: false,
    });
    expect(stuck.terminated).toEqual(['discovery-acme']);
    expect(stuck.started).toHaveLength(1);
  });

  test('losing the race to another start reports it as already running', async () => {
    const { starter } = fakeStarter(new Set(), true);
    expect(await startDiscovery(startingWith(starter), { accountId: 'acme', tenantId: 't' })).toEqual({ alreadyRunning: true });
  });

  test('the Durable client adapter waits for a queued terminate to be seen before it returns', async () => {
    const seen = ['Running', 'Running', 'Terminated'];
    let asked = 0;
    const client = {
      getStatus: async () => ({ runtimeStatus: seen[Math.min(asked++, seen.length - 1)] }) as never,
      startNew: jest.fn(async () => 'id'),
      terminate: jest.fn(async () => undefined),
    };
    await durableOrchestrationClient(client).terminate('discovery-acme', 'discovery-stalled');
    expect(client.terminate).toHaveBeenCalledWith('discovery-acme', 'discovery-stalled');
    expect(asked).toBe(3); // polled until the instance read as ended
  });

  test('the Durable client adapter: unknown ids are not running, finished ones may start again', async () => {
    const statuses = new Map<string, string>([
      ['pending', 'Pending'],
      ['running', 'Running'],
      ['done', 'Completed'],
      ['failed', 'Failed'],
    ]);
    const startNew = jest.fn(async () => 'id');
    const client = {
      getStatus: async (id: string) => {
        const runtimeStatus = statuses.get(id);
        if (!runtimeStatus) throw new Error('DurableClient error: Durable Functions extension replied with HTTP 404 response.');
        return { runtimeStatus } as never;
      },
      startNew,
      terminate: jest.fn(async () => undefined),
    };
    const starter = durableOrchestrationClient(client);
    expect(await starter.isRunning('pending')).toBe(true);
    expect(await starter.isRunning('running')).toBe(true);
    expect(await starter.isRunning('done')).toBe(false);
    expect(await starter.isRunning('failed')).toBe(false);
    expect(await starter.isRunning('never')).toBe(false);
    await starter.start('discoverTenant', 'done', { accountId: 'a' });
    expect(startNew).toHaveBeenCalledWith('discoverTenant', { instanceId: 'done', input: { accountId: 'a' } });
  });
});
