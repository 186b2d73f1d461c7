/** Use case: is the app alive, and do its dependencies answer? */
export interface DependencyProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  ping(): Promise<void>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'degraded';
  version: string;
  checks: Record<string, DependencyStatus>;
}

const TIMEOUT_MS = 3000;

async function probe(dependency: DependencyProbe, now: () => number): Promise<DependencyStatus> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dependency.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: now() - started };
  } catch (err) {
    // Only the error's first line: connection strings and tokens never reach the response.
    const message = err instanceof Error ? err.message.split('\n')[0] : 'unreachable';
    return { status: 'down', latencyMs: now() - started, error: message.slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(version: string, dependencies: DependencyProbe[], now: () => number = Date.now): Promise<HealthReport> {
  const results = await Promise.all(dependencies.map(async (d) => [d.name, await probe(d, now)] as const));
  const checks = Object.fromEntries(results);
  const status = results.every(([, r]) => r.status === 'up') ? 'healthy' : 'degraded';
  return { status, version, checks };
}
