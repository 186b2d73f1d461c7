/**
 * Fault injection: per-route 429 (+ Retry-After), 5xx, latency, and slow long-running operations.
 * Probabilistic rules draw from the simulator's seeded generator, so a given seed replays the same faults.
 */
import type { ServiceName } from './http';
import type { Rng } from './util';

export interface FaultSpec {
  /** service the rule applies to (all services when absent) */
  service?: ServiceName;
  /** HTTP method (any when absent) */
  method?: string;
  /** substring of the request path, or a regular expression written as "re:<pattern>" */
  path?: string;
  /** status to answer with (e.g. 429, 503); only latency is added when absent */
  status?: number;
  /** Retry-After header value in seconds (default 1 for 429 and 503) */
  retryAfterSeconds?: number;
  /** delay before answering (or before passing the request on) */
  latencyMs?: number;
  /** how many matching requests the rule applies to (default: unlimited) */
  times?: number;
  /** chance in [0,1] that a matching request is affected (default 1) */
  probability?: number;
}

export interface FaultRule extends FaultSpec {
  id: string;
  hits: number;
}

export interface FaultDecision {
  ruleId: string;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

export class Faults {
  private rules: FaultRule[] = [];
  private counter = 0;
  /** polls a Graph number operation needs before it reaches its final status */
  numberOperationPolls = 3;
  /** telephone numbers whose next assign/unassign operation ends "failed" */
  readonly failingNumbers = new Map<string, string>();

  constructor(private readonly rng: Rng) {}

  add(spec: FaultSpec): FaultRule {
    this.counter += 1;
    const rule: FaultRule = { ...spec, id: `fault-${this.counter}`, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.numberOperationPolls = 3;
    this.failingNumbers.clear();
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Finds the first rule matching the request and consumes one of its uses. */
  decide(service: ServiceName, method: string, path: string): FaultDecision | undefined {
    for (const rule of this.rules) {
      if (rule.service && rule.service !== service) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path) {
        if (rule.path.startsWith('re:')) {
          if (!new RegExp(rule.path.slice(3)).test(path)) continue;
        } else if (!path.includes(rule.path)) continue;
      }
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (rule.probability !== undefined && rule.probability < 1 && this.rng.float() >= rule.probability) continue;
      rule.hits += 1;
      const retryAfter = rule.retryAfterSeconds ?? (rule.status === 429 || rule.status === 503 ? 1 : undefined);
      return { ruleId: rule.id, status: rule.status, retryAfterSeconds: retryAfter, latencyMs: rule.latencyMs };
    }
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
