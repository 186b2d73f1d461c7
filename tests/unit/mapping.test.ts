import fc from 'fast-check';
import {
  hasLine,
  MappingChange,
  MappingEntry,
  markApplied,
  pendingState,
  planSave,
  reconcileDirectory,
  summarize,
  TeamsCandidate,
} from '../../shared/domain/mapping';

const voice = (id: string, over: Partial<MappingEntry> = {}): MappingEntry => ({
  voiceUserId: id,
  desired: null,
  applied: null,
  inDirectory: true,
  hasLine: true,
  ...over,
});
const teams = (id: string, over: Partial<TeamsCandidate> = {}): TeamsCandidate => ({
  id,
  eligible: true,
  ineligibleReason: null,
  gone: false,
  ...over,
});
const byId = <T extends { voiceUserId: string }>(xs: T[]) => new Map(xs.map((x) => [x.voiceUserId, x]));
const teamsMap = (xs: TeamsCandidate[]) => new Map(xs.map((t) => [t.id, t]));
const T = teamsMap([
  teams('t1'),
  teams('t2'),
  teams('t3'),
  teams('cp', { eligible: false, ineligibleReason: 'callingPlan' }),
  teams('ra', { eligible: false, ineligibleReason: 'resourceAccount' }),
  teams('old', { gone: true }),
]);

describe('rules', () => {
  test('pending states', () => {
    expect(pendingState({ desired: null, applied: null })).toBe('unmapped');
    expect(pendingState({ desired: 't1', applied: 't1' })).toBe('synced');
    expect(pendingState({ desired: 't1', applied: null })).toBe('pendingAdd');
    expect(pendingState({ desired: 't2', applied: 't1' })).toBe('pendingChange');
    expect(pendingState({ desired: null, applied: 't1' })).toBe('pendingRemoval');
  });

  test('map within the limit; beyond it the whole save is refused with the numbers', () => {
    const entries = byId([voice('a'), voice('b'), voice('c')]);
    expect(
      planSave(
        entries,
        [
          { voiceUserId: 'a', teamsUserId: 't1' },
          { voiceUserId: 'b', teamsUserId: 't2' },
        ],
        { licenseCount: 2, teamsUsers: T },
      ).ok,
    ).toBe(true);
    const over = planSave(
      entries,
      [
        { voiceUserId: 'a', teamsUserId: 't1' },
        { voiceUserId: 'b', teamsUserId: 't2' },
        { voiceUserId: 'c', teamsUserId: 't3' },
      ],
      { licenseCount: 2, teamsUsers: T },
    );
    expect(over).toMatchObject({
      ok: false,
      error: { code: 'LICENSE_LIMIT_EXCEEDED', details: { licenseCount: 2, held: 0, required: 3 } },
    });
  });

  test('a licence freed by unmapping is usable only after a sync', () => {
    const entries = byId([voice('a', { desired: 't1', applied: 't1' }), voice('b')]);
    const swap: MappingChange[] = [
      { voiceUserId: 'a', teamsUserId: null },
      { voiceUserId: 'b', teamsUserId: 't2' },
    ];
    expect(planSave(entries, swap, { licenseCount: 1, teamsUsers: T })).toMatchObject({
      ok: false,
      error: { code: 'LICENSE_LIMIT_EXCEEDED' },
    });
    const unmapped = planSave(entries, [swap[0] as MappingChange], { licenseCount: 1, teamsUsers: T });
    if (!unmapped.ok) throw new Error('unmapping refused');
    const afterSync = byId(
      markApplied([...entries.values()].map((e) => unmapped.value.changed.find((c) => c.voiceUserId === e.voiceUserId) ?? e)).kept,
    );
    expect(planSave(afterSync, [swap[1] as MappingChange], { licenseCount: 1, teamsUsers: T }).ok).toBe(true);
  });

  test('only eligible Teams users, each at most once', () => {
    const entries = byId([voice('a'), voice('b', { desired: 't1' })]);
    const ctx = { licenseCount: 10, teamsUsers: T };
    expect(planSave(entries, [{ voiceUserId: 'a', teamsUserId: 'cp' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'TEAMS_USER_NOT_ELIGIBLE', details: { reason: 'callingPlan' } },
    });
    expect(planSave(entries, [{ voiceUserId: 'a', teamsUserId: 'ra' }], ctx)).toMatchObject({
      ok: false,
      error: { details: { reason: 'resourceAccount' } },
    });
    expect(planSave(entries, [{ voiceUserId: 'a', teamsUserId: 'old' }], ctx)).toMatchObject({
      ok: false,
      error: { details: { reason: 'gone' } },
    });
    expect(planSave(entries, [{ voiceUserId: 'a', teamsUserId: 'nobody' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'TEAMS_USER_NOT_FOUND' },
    });
    expect(planSave(entries, [{ voiceUserId: 'a', teamsUserId: 't1' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'TEAMS_USER_ALREADY_MAPPED', details: { teamsUserId: 't1', mappedTo: 'b', requestedFor: 'a' } },
    });
    // Moving t1 from b to a in one save is fine.
    expect(
      planSave(
        entries,
        [
          { voiceUserId: 'b', teamsUserId: null },
          { voiceUserId: 'a', teamsUserId: 't1' },
        ],
        ctx,
      ).ok,
    ).toBe(true);
    expect(planSave(entries, [{ voiceUserId: 'zz', teamsUserId: 't2' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'VOICE_USER_NOT_FOUND' },
    });
    expect(planSave(byId([voice('n', { hasLine: false })]), [{ voiceUserId: 'n', teamsUserId: 't2' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'VOICE_USER_HAS_NO_NUMBER' },
    });
  });

  test('an extension-only voice user has a line only with the account main number', () => {
    const MAIN = '+14255550100';
    const extOnly = { phoneNumber: null, extension: '2222' };
    expect(hasLine(extOnly, MAIN)).toBe(true);
    expect(hasLine(extOnly, null)).toBe(false);
    expect(hasLine(extOnly, undefined)).toBe(false);
    expect(hasLine({ phoneNumber: null, extension: null }, MAIN)).toBe(false);
    expect(hasLine({ phoneNumber: '+14255550111', extension: null }, null)).toBe(true);

    const ctx = { licenseCount: 5, teamsUsers: T };
    const save = (user: { phoneNumber: string | null; extension: string | null }, mainNumber: string | null) =>
      planSave(byId([voice('x', { hasLine: hasLine(user, mainNumber) })]), [{ voiceUserId: 'x', teamsUserId: 't1' }], ctx);
    expect(save(extOnly, MAIN)).toMatchObject({ ok: true, value: { after: { held: 1, queued: 1 } } });
    const refused = save(extOnly, null);
    expect(refused).toMatchObject({ ok: false, error: { code: 'VOICE_USER_HAS_NO_NUMBER', details: { voiceUserId: 'x' } } });
    expect(!refused.ok && refused.error.message).toMatch(/main number/);
    expect(save({ phoneNumber: null, extension: null }, MAIN)).toMatchObject({ ok: false, error: { code: 'VOICE_USER_HAS_NO_NUMBER' } });
  });

  test('a licence-count cut blocks new mappings but not unmapping or remapping held users', () => {
    const entries = byId([voice('a', { desired: 't1', applied: 't1' }), voice('b', { desired: 't2', applied: 't2' }), voice('c')]);
    const ctx = { licenseCount: 1, teamsUsers: T };
    expect(planSave(entries, [{ voiceUserId: 'c', teamsUserId: 't3' }], ctx)).toMatchObject({
      ok: false,
      error: { code: 'LICENSE_LIMIT_EXCEEDED' },
    });
    expect(planSave(entries, [{ voiceUserId: 'b', teamsUserId: null }], ctx).ok).toBe(true);
    expect(planSave(entries, [{ voiceUserId: 'b', teamsUserId: 't3' }], ctx).ok).toBe(true);
  });

  test('saving the current state changes and queues nothing', () => {
    const entries = byId([voice('a', { desired: 't1', applied: 't1' })]);
    const plan = planSave(entries, [{ voiceUserId: 'a', teamsUserId: 't1' }], { licenseCount: 1, teamsUsers: T });
    expect(plan).toMatchObject({ ok: true, value: { changed: [], after: { queued: 0 } } });
  });

  test('a voice user leaving the directory becomes a queued unmapping; one holding nothing disappears', () => {
    const current = [voice('a', { desired: 't1', applied: 't1' }), voice('b', { desired: 't2' }), voice('c')];
    const { upserts, deletions } = reconcileDirectory(
      current,
      new Map([
        ['c', { hasLine: true }],
        ['d', { hasLine: false }],
      ]),
    );
    expect(upserts.find((e) => e.voiceUserId === 'a')).toMatchObject({ desired: null, applied: 't1', inDirectory: false });
    expect(deletions.sort()).toEqual(['b']);
    expect(upserts.find((e) => e.voiceUserId === 'd')).toMatchObject({
      desired: null,
      applied: null,
      inDirectory: true,
      hasLine: false,
    });
    expect(summarize(upserts)).toEqual({ held: 1, queued: 1 });
  });
});

describe('properties', () => {
  const VOICE = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'];
  const TEAMS = ['t0', 't1', 't2', 't3', 't4', 't5', 'cp', 'ra', 'old'];
  const all = teamsMap([
    ...['t0', 't1', 't2', 't3', 't4', 't5'].map((id) => teams(id)),
    teams('cp', { eligible: false, ineligibleReason: 'callingPlan' }),
    teams('ra', { eligible: false, ineligibleReason: 'resourceAccount' }),
    teams('old', { gone: true }),
  ]);
  const change = fc.record({ voiceUserId: fc.constantFrom(...VOICE), teamsUserId: fc.option(fc.constantFrom(...TEAMS), { nil: null }) });
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('save' as const), changes: fc.array(change, { maxLength: 5 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), to: fc.integer({ min: 0, max: 6 }) }) },
  );

  test('for any sequence of saves, syncs and licence cuts: one-to-one, held never grows beyond the count, and a save planned from the named rows alone decides the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 40 }), (initialCount, ops) => {
        let licenseCount = initialCount;
        let entries = byId(VOICE.map((id) => voice(id)));
        for (const o of ops) {
          const before = summarize(entries.values());
          if (o.kind === 'sync') entries = byId(markApplied(entries.values()).kept);
          else if (o.kind === 'cut') licenseCount = Math.min(licenseCount, o.to);
          else {
            const plan = planSave(entries, o.changes, { licenseCount, teamsUsers: all });
            // What a save at scale reads: the named voice users, the holders of the named Teams users, the summary.
            const named = new Map([...entries].filter(([id]) => o.changes.some((c) => c.voiceUserId === id)));
            const holders = new Map(
              [...entries.values()]
                .filter((e) => e.desired !== null && o.changes.some((c) => c.teamsUserId === e.desired))
                .map((e) => [e.desired as string, e.voiceUserId]),
            );
            const partial = planSave(named, o.changes, { licenseCount, teamsUsers: all, stored: { summary: before, holders } });
            expect(partial.ok).toBe(plan.ok);
            if (plan.ok && partial.ok) expect([partial.value.changed, partial.value.after]).toEqual([plan.value.changed, plan.value.after]);
            if (!plan.ok && !partial.ok) expect(partial.error.code).toBe(plan.error.code);
            if (plan.ok) {
              for (const e of plan.value.changed) entries.set(e.voiceUserId, e);
              const after = summarize(entries.values());
              // Held may exceed the count only after a cut, and then a save never makes it grow.
              expect(after.held <= licenseCount || after.held <= before.held).toBe(true);
            }
          }
          const desired = [...entries.values()].map((e) => e.desired).filter((d): d is string => d !== null);
          expect(new Set(desired).size).toBe(desired.length);
          for (const d of desired) expect(all.get(d)?.eligible).toBe(true);
          if (licenseCount === initialCount) expect(summarize(entries.values()).held).toBeLessThanOrEqual(licenseCount);
        }
      }),
      { numRuns: 500, seed: 6 },
    );
  });
});
