/**
 * Client-side pacing of Microsoft's per-tenant limits, so that the apply chunks running side by side do not all send
 * into the same empty bucket: a token bucket per tenant and API that a request waits on before it goes, shared by
 * every adapter of this process, and paused for the `Retry-After` of a 429 (nothing more goes to that tenant's API
 * until then). Microsoft's limits are partly unpublished, so the pace adapts: each 429 halves the tenant's rate (and
 * its burst), which climbs back to the configured one over a minute without 429s. A wait is short and bounded by the
 * caller: a request that would wait longer is not sent, and the caller hands the wait to a durable timer instead. Per process: hosts scaled out pace each on their own, and Microsoft's 429
 * stays the backstop (docs/architecture.md, "Pacing").
 */

/** The APIs paced: Graph's Teams paths (`/admin/teams/*`, 30 requests a second per app and tenant) and the ConfigAPI. */
export type PacedApi = 'graphTeams' | 'teamsAdmin';

export interface PaceLimit {
  /** Requests a second. */
  perSecond: number;
  /** Requests that may go at once after a quiet while. */
  burst: number;
}

export interface Pacing {
  /**
   * Takes `count` requests' turn for the tenant's API, waiting for it up to `maxWaitMs`: resolves 0 once they may go,
   * or (without waiting or taking anything) the seconds until they could.
   */
  take(tenantId: string, api: PacedApi, count: number, maxWaitMs: number): Promise<number>;
  /** Microsoft answered 429: nothing goes to the tenant's API for `seconds`, then at half the pace it had. */
  pause(tenantId: string, api: PacedApi, seconds: number): void;
}

interface Bucket {
  /** Turns available at `at` (negative: taken ahead by requests waiting their turn). */
  tokens: number;
  at: number;
  /** The pace now: the configured one, or less after 429s. */
  perSecond: number;
}

/** Seconds a rate cut down to nothing takes to climb back to the configured rate. */
const RECOVERY_SECONDS = 60;
/** The lowest pace a tenant's 429s bring the rate to, as a share of the configured one. */
const FLOOR = 1 / 16;

export function pacing(
  limits: Record<PacedApi, PaceLimit>,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): Pacing {
  const buckets = new Map<string, Bucket>();
  const bucket = (tenantId: string, api: PacedApi): Bucket => {
    const key = `${tenantId.toLowerCase()}|${api}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { tokens: limits[api].burst, at: clock.now(), perSecond: limits[api].perSecond }));
    return b;
  };
  /** The burst shrinks with the rate (a burst Microsoft refused once would be refused again). */
  const burstOf = (b: Bucket, api: PacedApi) => Math.max(1, (limits[api].burst * b.perSecond) / limits[api].perSecond);
  /** Refills up to now (a paused bucket's `at` is in the future: nothing comes back before it), the rate climbing back. */
  const refill = (b: Bucket, api: PacedApi, now: number) => {
    if (now <= b.at) return;
    const seconds = (now - b.at) / 1000;
    const tokens = b.tokens + seconds * b.perSecond;
    b.perSecond = Math.min(limits[api].perSecond, b.perSecond + (seconds * limits[api].perSecond) / RECOVERY_SECONDS);
    b.tokens = Math.min(burstOf(b, api), tokens);
    b.at = now;
  };

  return {
    async take(tenantId, api, count, maxWaitMs) {
      const b = bucket(tenantId, api);
      const now = clock.now();
      refill(b, api, now);
      const waitMs = Math.max(0, b.at - now) + (Math.max(0, count - b.tokens) / b.perSecond) * 1000;
      if (waitMs > maxWaitMs) return Math.max(1, Math.ceil(waitMs / 1000));
      b.tokens -= count;
      if (waitMs > 0) await clock.sleep(waitMs);
      return 0;
    },
    pause(tenantId, api, seconds) {
      const b = bucket(tenantId, api);
      const now = clock.now();
      // 429s of requests that went together (before the pause began) are one cut, not several.
      if (b.at <= now) {
        refill(b, api, now);
        b.perSecond = Math.max(limits[api].perSecond * FLOOR, b.perSecond / 2);
      }
      const until = now + seconds * 1000;
      if (until > b.at) b.at = until;
      // Microsoft's bucket is empty: turns taken ahead stay taken, none is left over.
      b.tokens = Math.min(0, b.tokens);
    },
  };
}

/**
 * One apply step's view of the pacing: waits its turn within the step's budget, and once Microsoft throttled an API
 * sends nothing more to it in this step (no retry storm). Without pacing (tests of an adapter alone), only the latter.
 */
export class StepPacing {
  private readonly halted = new Map<PacedApi, number>();
  private readonly ends: number;

  constructor(
    private readonly shared: Pacing | undefined,
    private readonly tenantId: string,
    budgetMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ends = now() + budgetMs;
  }

  /** 0: `count` requests may go now; otherwise the seconds to wait before sending them (they are not sent). */
  async turn(api: PacedApi, count: number): Promise<number> {
    const halted = this.halted.get(api);
    if (halted !== undefined) return halted;
    if (!this.shared) return 0;
    return this.shared.take(this.tenantId, api, count, Math.max(0, this.ends - this.now()));
  }

  /** Microsoft answered 429 with this Retry-After (1 s when it sent none). */
  throttled(api: PacedApi, retryAfterSeconds: number | undefined): void {
    const seconds = Math.max(1, retryAfterSeconds ?? 1);
    this.halted.set(api, Math.max(seconds, this.halted.get(api) ?? 0));
    this.shared?.pause(this.tenantId, api, seconds);
  }
}
