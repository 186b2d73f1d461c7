/**
 * Throttling as Microsoft does it: a token bucket per tenant, app and API family (the tenant and app from the bearer
 * token's `tid` and `appid`/`azp`), each request taking its cost from its bucket; an empty bucket answers 429 with
 * `Retry-After` (whole seconds until the cost is there again). Inside a Graph `$batch` every request is admitted on
 * its own (the outer `$batch` costs nothing). A throttled request takes nothing from the bucket.
 *
 * Off unless switched on (control.setThrottle or the simulator's `throttle` option). MICROSOFT_LIMITS are Microsoft's
 * published numbers where there are some (docs/local-simulator.md gives the sources), plausible ones where not.
 */
import type { ServiceName } from './http';

/** The API families with a bucket each. */
export type ThrottleFamily = 'graphIdentity' | 'graphIdentityWrites' | 'graphTeams' | 'teamsAdmin';
export const THROTTLE_FAMILIES: readonly ThrottleFamily[] = ['graphIdentity', 'graphIdentityWrites', 'graphTeams', 'teamsAdmin'];

export interface BucketLimit {
  /** Cost the bucket holds when full (the burst). */
  capacity: number;
  /** Cost added back per second. */
  perSecond: number;
}

export const MICROSOFT_LIMITS: Readonly<Record<ThrottleFamily, BucketLimit>> = {
  // Identity and access, a large tenant (> 500 users): 8,000 resource units per 10 s per app and tenant.
  graphIdentity: { capacity: 8000, perSecond: 800 },
  // Identity and access writes: 3,000 requests per 2.5 minutes per app and tenant.
  graphIdentityWrites: { capacity: 3000, perSecond: 20 },
  // Microsoft Teams service, "other API calls": 30 requests per second per app per tenant (the /admin/teams paths are
  // not listed separately; assumed to fall under it).
  graphTeams: { capacity: 30, perSecond: 30 },
  // The Teams admin ConfigAPI publishes no limits: 10 per second with a burst of 20 is this simulator's guess.
  teamsAdmin: { capacity: 20, perSecond: 10 },
};

export interface ThrottleSettings {
  enabled: boolean;
  limits: Record<ThrottleFamily, BucketLimit>;
}

export interface ThrottleDecision {
  retryAfterSeconds: number;
  /** Graph's `x-ms-throttle-scope` value. */
  scope: string;
}

export interface BucketStats {
  tenantId: string;
  appId: string;
  family: ThrottleFamily;
  limit: BucketLimit;
  /** Requests let through, and their cost. */
  admitted: number;
  cost: number;
  /** Requests answered 429. */
  throttled: number;
}

interface Bucket extends BucketStats {
  tokens: number;
  at: number;
}

/** The family a request falls in (undefined: not throttled). Paths as received, version segment included for Graph. */
export function familyOf(service: ServiceName, method: string, path: string): ThrottleFamily | undefined {
  if (service === 'teams') return 'teamsAdmin';
  if (service !== 'graph') return undefined;
  const rel = path.replace(/^\/(v1\.0|beta)/i, '');
  if (/^\/\$batch$/i.test(rel)) return undefined;
  if (/^\/admin\/teams(\/|$)/i.test(rel)) return 'graphTeams';
  return method.toUpperCase() === 'GET' ? 'graphIdentity' : 'graphIdentityWrites';
}

/** Resource units of an identity read (Microsoft's table): users 2, subscribedSkus 3, group members 3, else 1; $select −1. */
export function costOf(family: ThrottleFamily, path: string, query: URLSearchParams): number {
  if (family !== 'graphIdentity') return 1;
  const rel = path.replace(/^\/(v1\.0|beta)/i, '');
  let cost = /^\/users(\/|$)/i.test(rel) ? 2 : /^\/subscribedSkus/i.test(rel) ? 3 : /^\/groups\/[^/]+\/members/i.test(rel) ? 3 : 1;
  if ([...query.keys()].some((k) => k.toLowerCase() === '$select')) cost -= 1;
  return Math.max(1, cost);
}

/** The token's tenant and app, read without checking it (the service checks it next; an unreadable one is not throttled). */
function callerOf(headers: Record<string, string>): { tenantId: string; appId: string } | undefined {
  const m = /^Bearer\s+([^.]+)\.([^.]+)\./i.exec(headers['authorization'] ?? '');
  if (!m) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof claims.tid !== 'string') return undefined;
    return { tenantId: claims.tid.toLowerCase(), appId: String(claims.appid ?? claims.azp ?? '') };
  } catch {
    return undefined;
  }
}

export class Throttle {
  private settings: ThrottleSettings = { enabled: false, limits: { ...MICROSOFT_LIMITS } };
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Switches throttling on or off; limits not given keep Microsoft's. Buckets start full again. */
  configure(settings: { enabled: boolean; limits?: Partial<Record<ThrottleFamily, BucketLimit>> }): ThrottleSettings {
    for (const [family, limit] of Object.entries(settings.limits ?? {})) {
      if (!THROTTLE_FAMILIES.includes(family as ThrottleFamily)) throw new Error(`unknown throttle family ${family}`);
      if (!(limit.capacity >= 1 && limit.perSecond > 0)) throw new Error(`${family}: capacity ≥ 1 and perSecond > 0`);
    }
    this.settings = { enabled: settings.enabled, limits: { ...MICROSOFT_LIMITS, ...settings.limits } };
    this.buckets.clear();
    return this.current();
  }

  current(): ThrottleSettings {
    return { enabled: this.settings.enabled, limits: { ...this.settings.limits } };
  }

  /** Takes the request's cost from its bucket, or says how long to wait. */
  admit(
    service: ServiceName,
    req: { method: string; path: string; query: URLSearchParams; headers: Record<string, string> },
  ): ThrottleDecision | undefined {
    if (!this.settings.enabled) return undefined;
    const family = familyOf(service, req.method, req.path);
    const caller = family && callerOf(req.headers);
    if (!family || !caller) return undefined;
    const limit = this.settings.limits[family];
    const key = `${caller.tenantId}|${caller.appId}|${family}`;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { ...caller, family, limit, admitted: 0, cost: 0, throttled: 0, tokens: limit.capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(limit.capacity, b.tokens + ((now - b.at) / 1000) * limit.perSecond);
    b.at = now;
    const cost = Math.min(limit.capacity, costOf(family, req.path, req.query));
    if (b.tokens >= cost) {
      b.tokens -= cost;
      b.admitted += 1;
      b.cost += cost;
      return undefined;
    }
    b.throttled += 1;
    const scope =
      family === 'graphTeams'
        ? 'Tenant_Application/ReadWrite'
        : family === 'graphIdentityWrites'
          ? 'Tenant_Application/Write'
          : 'Tenant_Application/Read';
    return {
      retryAfterSeconds: Math.max(1, Math.ceil((cost - b.tokens) / limit.perSecond)),
      scope: `${scope}/${caller.appId}/${caller.tenantId}`,
    };
  }

  stats(): BucketStats[] {
    return [...this.buckets.values()].map(({ tokens: _tokens, at: _at, ...s }) => ({ ...s, limit: { ...s.limit } }));
  }

  /** Counters back to zero (the buckets keep their tokens). */
  resetStats(): void {
    for (const b of this.buckets.values()) Object.assign(b, { admitted: 0, cost: 0, throttled: 0 });
  }
}
