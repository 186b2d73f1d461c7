/**
 * Time source for the local host and the Durable emulator. The system clock uses real time; the manual clock only
 * moves when a test advances it, so durable timers of hours fire in milliseconds.
 */
export interface Clock {
  now(): Date;
  /** Calls `callback` once the clock reaches `at` (at once if it already has). Returns a cancel function. */
  at(at: Date, callback: () => void): () => void;
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }

  at(at: Date, callback: () => void): () => void {
    // setTimeout takes at most ~24.8 days; longer waits are re-armed in steps.
    const MAX_DELAY = 2_000_000_000;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at.getTime() - Date.now();
      if (delay <= 0) return void setImmediate(callback);
      handle = setTimeout(delay > MAX_DELAY ? arm : callback, Math.min(delay, MAX_DELAY));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  }
}

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private pending: Pending[] = [];
  private seq = 0;

  constructor(start: Date = new Date('2026-01-01T00:00:00Z')) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  at(at: Date, callback: () => void): () => void {
    const entry = { at: at.getTime(), seq: this.seq++, callback };
    if (entry.at <= this.current) {
      setImmediate(callback);
      return () => undefined;
    }
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  /** Moves time forward, firing every callback that falls due, in time order. */
  advance(ms: number): void {
    this.set(new Date(this.current + ms));
  }

  set(to: Date): void {
    const target = to.getTime();
    if (target < this.current) throw new Error('The manual clock cannot go back in time.');
    for (;;) {
      const due = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }

  /** When the next pending callback falls due, if any. */
  nextDue(): Date | undefined {
    const next = this.pending.reduce<number | undefined>((m, p) => (m === undefined || p.at < m ? p.at : m), undefined);
    return next === undefined ? undefined : new Date(next);
  }
}
