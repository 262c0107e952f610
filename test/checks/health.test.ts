// The rise/fall logic and the verdict are pure: results (with their times) in, state out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureDetail, initialHealth, MAX_WEIGHT, nextRunDelayMs, observe, turned, verdict, type CheckHealth } from '../../src/checks/health.js';
import { CHECK_DEFAULTS, type CheckSpec } from '../../src/checks/spec.js';

const spec = (over: Partial<CheckSpec> = {}): CheckSpec => ({ command: 'test -e /ok', ...CHECK_DEFAULTS, mode: 'fault', weight: 0, on: 'all', ...over });

// Feeds results (true = exit 0) one second apart, from wall-clock 1000.
function feed(s: CheckSpec, results: readonly boolean[], from: CheckHealth = initialHealth()): CheckHealth {
  return results.reduce((h, ok, i) => observe(s, h, { ok, detail: ok ? 'exit code 0' : 'exit code 1', startedAt: 1000 * (i + 1), durationMs: 5 }), from);
}

describe('rise and fall', () => {
  it('a check starts unknown', () => {
    expect(initialHealth().status).toBe('unknown');
  });

  it('an unknown check passes after rise successes in a row, and not before', () => {
    const s = spec({ rise: 3 });
    expect(feed(s, [true, true]).status).toBe('unknown');
    expect(feed(s, [true, true, true]).status).toBe('passing');
  });

  it('an unknown check fails after fall failures in a row, and not before', () => {
    const s = spec({ fall: 2 });
    expect(feed(s, [false]).status).toBe('unknown');
    expect(feed(s, [false, false]).status).toBe('failing');
  });

  it('a passing check survives fewer than fall failures, and a success starts the count again', () => {
    const s = spec({ rise: 1, fall: 3 });
    expect(feed(s, [true, false, false, true, false, false]).status).toBe('passing');
    expect(feed(s, [true, false, false, false]).status).toBe('failing');
  });

  it('a failing check needs rise successes in a row to pass again', () => {
    const s = spec({ rise: 2, fall: 1 });
    expect(feed(s, [false, true]).status).toBe('failing');
    expect(feed(s, [false, true, false, true]).status).toBe('failing');
    expect(feed(s, [false, true, true]).status).toBe('passing');
  });

  it('rise=1 and fall=1 follow every result', () => {
    const s = spec({ rise: 1, fall: 1 });
    expect([true, false, true, false].map((_, i, all) => feed(s, all.slice(0, i + 1)).status)).toEqual(['passing', 'failing', 'passing', 'failing']);
  });

  it('keeps the last result, its duration and when it ran, and counts the streak', () => {
    const h = feed(spec(), [true, false, false]);
    expect(h).toMatchObject({ streak: 2, lastOk: false, lastResult: 'exit code 1', lastDurationMs: 5, lastRunAt: 3000 });
  });

  it('remembers the result that made it failing while it keeps failing, so the detail is stable', () => {
    const s = spec({ fall: 1 });
    const first = feed(s, [false]);
    const later = observe(s, first, { ok: false, detail: 'timed out after 5000 ms', startedAt: 9000, durationMs: 5000 });
    expect(failureDetail(s, later)).toBe(failureDetail(s, first));
    expect(failureDetail(s, later)).toBe('health check "test -e /ok" failed once (exit code 1)');
    expect(failureDetail(spec(), feed(spec(), [false, false, false]))).toBe('health check "test -e /ok" failed 3 times in a row (exit code 1)');
    expect(feed(spec({ rise: 1, fall: 1 }), [false, true]).failure).toBeNull();
  });

  it('a timed-out run counts as a failure', () => {
    const s = spec({ fall: 1 });
    const h = observe(s, initialHealth(), { ok: false, detail: 'timed out after 100 ms', startedAt: 1, durationMs: 100 });
    expect(h).toMatchObject({ status: 'failing', failure: 'timed out after 100 ms' });
  });
});

describe('turned: one log line per change', () => {
  it('reports turning failing and passing again, not the first pass after unknown', () => {
    const s = spec({ rise: 1, fall: 1 });
    const passing = feed(s, [true]);
    const failing = feed(s, [true, false]);
    expect(turned(initialHealth(), passing)).toBeUndefined();
    expect(turned(passing, failing)).toBe('failing');
    expect(turned(failing, feed(s, [true, false, false]))).toBeUndefined();
    expect(turned(failing, feed(s, [true, false, true]))).toBe('passing');
    expect(turned(initialHealth(), feed(s, [false]))).toBe('failing');
  });
});

describe('scheduling', () => {
  it('the next run is due interval after the last began, at once when that run overran', () => {
    const s = spec({ intervalMs: 2000 });
    expect(nextRunDelayMs(s, 10_000, 10_300)).toBe(1700);
    expect(nextRunDelayMs(s, 10_000, 12_000)).toBe(0);
    expect(nextRunDelayMs(s, 10_000, 17_000)).toBe(0);
  });
});

describe('the verdict', () => {
  const fault = spec({ command: 'fault-a' });
  const fault2 = spec({ command: 'fault-b' });
  const heavy = spec({ command: 'w', mode: 'weight', weight: 100 });
  const light = spec({ command: 'v', mode: 'weight', weight: 20 });
  const service = spec({ command: 'svc', on: 'master' });
  const failing = feed(spec(), [false, false, false]);
  const passing = feed(spec(), [true, true]);
  const unknown = initialHealth();

  it('no failing check: no fault, no weight, no service failure', () => {
    expect(verdict([{ spec: fault, health: passing }, { spec: heavy, health: passing }, { spec: service, health: passing }])).toEqual({ fault: undefined, weight: 0, serviceFailed: undefined });
  });

  it('an unknown check bars nothing and weighs nothing (a restart is not held out for rise × interval)', () => {
    expect(verdict([{ spec: fault, health: unknown }, { spec: heavy, health: unknown }, { spec: service, health: unknown }])).toEqual({ fault: undefined, weight: 0, serviceFailed: undefined });
  });

  it('a failing fault check bars, with the detail of the first one failing', () => {
    const v = verdict([{ spec: fault, health: passing }, { spec: fault2, health: failing }, { spec: fault, health: failing }]);
    expect(v.fault).toBe('health check "fault-b" failed 3 times in a row (exit code 1)');
    expect(v.weight).toBe(0);
  });

  it('failing weight checks add up, and do not bar', () => {
    expect(verdict([{ spec: heavy, health: failing }, { spec: light, health: failing }, { spec: light, health: passing }])).toEqual({ fault: undefined, weight: 120, serviceFailed: undefined });
  });

  it('the weight is capped at 255, what an advert can carry', () => {
    expect(verdict([heavy, heavy, heavy].map((s) => ({ spec: s, health: failing }))).weight).toBe(255);
  });

  it('a failing master-only check is a service failure, not a bar', () => {
    expect(verdict([{ spec: service, health: failing }])).toEqual({ fault: undefined, weight: 0, serviceFailed: 'health check "svc" failed 3 times in a row (exit code 1)' });
  });

  it('property: the weight is never negative nor above 255, and is the capped sum of failing weight checks', () => {
    const check = fc.record({
      weight: fc.integer({ min: 0, max: 255 }),
      on: fc.constantFrom('all' as const, 'master' as const),
      results: fc.array(fc.boolean(), { maxLength: 8 }),
      rise: fc.integer({ min: 1, max: 4 }),
      fall: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(check, { maxLength: 8 }), (checks) => {
        const all = checks.map((c) => {
          const s = spec({ rise: c.rise, fall: c.fall, on: c.on, weight: c.on === 'master' ? 0 : c.weight, mode: c.on === 'all' && c.weight > 0 ? 'weight' : 'fault' });
          return { spec: s, health: feed(s, c.results) };
        });
        const v = verdict(all);
        const sum = all.filter((c) => c.health.status === 'failing' && c.spec.on === 'all' && c.spec.mode === 'weight').reduce((n, c) => n + c.spec.weight, 0);
        expect(v.weight).toBeGreaterThanOrEqual(0);
        expect(v.weight).toBeLessThanOrEqual(MAX_WEIGHT);
        expect(v.weight).toBe(Math.min(255, sum));
        expect(v.fault !== undefined).toBe(all.some((c) => c.health.status === 'failing' && c.spec.on === 'all' && c.spec.mode === 'fault'));
        expect(v.serviceFailed !== undefined).toBe(all.some((c) => c.health.status === 'failing' && c.spec.on === 'master'));
      }),
    );
  });

  it('property: a check changes state only on a full streak of rise successes or fall failures', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (results, rise, fall) => {
        const s = spec({ rise, fall });
        let h = initialHealth();
        for (const ok of results) {
          const next = observe(s, h, { ok, detail: '', startedAt: 0, durationMs: 0 });
          // A change of status always comes with a full streak of the matching kind.
          if (next.status !== h.status) expect(next.streak).toBe(ok ? rise : fall);
          if (next.status === 'passing' && h.status !== 'passing') expect(ok).toBe(true);
          if (next.status === 'failing' && h.status !== 'failing') expect(ok).toBe(false);
          h = next;
        }
      }),
    );
  });
});
