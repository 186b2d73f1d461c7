/**
 * Crashes at activity boundaries, for the tests' fault matrix: an armed activity's next calls fail as the host would
 * make them fail when it died there — `before` (the activity never ran: its message is delivered again) or `after`
 * (it ran, its Microsoft calls and writes happened, and its result was lost: it runs again). Either way the Durable
 * retry delivers the activity once more, as the real extension does after a restart.
 */
export type ActivityBoundary = 'before' | 'after';

export class ActivityFaults {
  private readonly armed = new Map<string, ActivityBoundary[]>();
  private readonly fired: Array<{ name: string; boundary: ActivityBoundary }> = [];

  /** The next calls of `name` fail at these boundaries, in order (one call each). */
  arm(name: string, ...boundaries: ActivityBoundary[]): void {
    this.armed.set(name.toLowerCase(), [...(this.armed.get(name.toLowerCase()) ?? []), ...boundaries]);
  }

  /** The boundary the call now starting fails at, if any (taken off the list). */
  take(name: string): ActivityBoundary | undefined {
    return this.armed.get(name.toLowerCase())?.shift();
  }

  record(name: string, boundary: ActivityBoundary): void {
    this.fired.push({ name, boundary });
  }

  /** The crashes that happened, in order. */
  injected(): ReadonlyArray<{ name: string; boundary: ActivityBoundary }> {
    return this.fired;
  }

  clear(): void {
    this.armed.clear();
    this.fired.length = 0;
  }
}

export class HostCrash extends Error {
  name = 'HostCrash';
}
