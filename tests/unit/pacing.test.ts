/**
 * The client-side pacing of Microsoft's per-tenant limits (fake clock): requests wait their turn in order at the
 * configured rate, a wait longer than allowed sends nothing, a 429 pauses the tenant's API for Retry-After and halves
 * its pace (one cut for 429s that came together), which climbs back without 429s; tenants do not share a bucket; a
 * step sends nothing more to an API after its 429.
 */
import { pacing, StepPacing } from '../../shared/microsoft/pacing';

function clock() {
  const c = {
    t: 0,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.slept.push(ms);
      c.t += ms;
    },
  };
  return c;
}
const LIMITS = { graphTeams: { perSecond: 10, burst: 10 }, teamsAdmin: { perSecond: 2, burst: 2 } };

test('turns at the configured rate, in order; a turn further than allowed is not taken', async () => {
  const c = clock();
  const p = pacing(LIMITS, c);
  expect(await p.take('t1', 'graphTeams', 10, 0)).toBe(0);
  expect(c.slept).toEqual([]);
  // 20 more: 2 s at 10 a second; with only 1 s allowed, nothing is taken and the wait is said.
  expect(await p.take('t1', 'graphTeams', 20, 1000)).toBe(2);
  expect(await p.take('t1', 'graphTeams', 20, 5000)).toBe(0);
  expect(c.slept).toEqual([2000]);
  // Another tenant has its own bucket; another API too.
  expect(await p.take('t2', 'graphTeams', 10, 0)).toBe(0);
  expect(await p.take('t1', 'teamsAdmin', 2, 0)).toBe(0);
  expect(await p.take('t1', 'teamsAdmin', 1, 0)).toBe(1);
});

test('a 429 pauses for Retry-After and halves the pace once; it climbs back over a minute', async () => {
  const c = clock();
  const p = pacing(LIMITS, c);
  p.pause('t1', 'graphTeams', 3);
  p.pause('t1', 'graphTeams', 3);
  // Paused 3 s with an empty bucket, then 5 a second: 5 requests go at 4 s, 5 more at 5 s.
  expect(await p.take('t1', 'graphTeams', 5, 10_000)).toBe(0);
  expect(c.t).toBe(4000);
  expect(await p.take('t1', 'graphTeams', 5, 10_000)).toBe(0);
  expect(c.t).toBeGreaterThan(4800);
  expect(c.t).toBeLessThanOrEqual(5000);
  // A minute later the full pace and burst are back.
  c.t += 60_000;
  expect(await p.take('t1', 'graphTeams', 10, 0)).toBe(0);
});

test('a step sends nothing more to an API after its 429, and tells the shared pacing', async () => {
  const c = clock();
  const shared = pacing(LIMITS, c);
  const step = new StepPacing(shared, 't1', 20_000, c.now);
  expect(await step.turn('graphTeams', 1)).toBe(0);
  step.throttled('graphTeams', 4);
  expect(await step.turn('graphTeams', 1)).toBe(4);
  expect(await step.turn('teamsAdmin', 1)).toBe(0);
  // Another step of the tenant waits the pause out (within its budget), or is told how long when it cannot.
  // (4 s of pause, then one turn at the halved pace of 5 a second: 4.2 s, said as 5.)
  expect(await new StepPacing(shared, 't1', 1000, c.now).turn('graphTeams', 1)).toBe(5);
  const other = new StepPacing(shared, 't1', 20_000, c.now);
  expect(await other.turn('graphTeams', 1)).toBe(0);
  expect(c.t).toBeGreaterThanOrEqual(4000);
  // Without pacing (an adapter alone), only the stop after a 429; no Retry-After counts as 1 s.
  const alone = new StepPacing(undefined, 't1', 0);
  expect(await alone.turn('graphTeams', 100)).toBe(0);
  alone.throttled('graphTeams', undefined);
  expect(await alone.turn('graphTeams', 1)).toBe(1);
});
