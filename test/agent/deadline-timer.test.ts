// The election's timer: never before its deadline, one at a time, cancellable. (How late it fires is a
// figure for the bench, not a test: docs/benchmarks.md.)
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { DeadlineTimer } from '../../src/agent/deadline-timer.js';

const now = () => performance.now();
const fired = (t: DeadlineTimer, due: number, precise: number | undefined) =>
  new Promise<{ late: number; at: number }>((resolve) => t.arm(due, precise, (late) => resolve({ late, at: now() })));

describe('DeadlineTimer', () => {
  for (const precise of [false, true]) {
    it(`never fires before its deadline (${precise ? 'a claim: finished on loop turns' : 'a plain timer'}), and says how late it was`, async () => {
      const t = new DeadlineTimer(now);
      for (let i = 0; i < 20; i++) {
        const due = now() + 3 + (i % 5) * 0.37;
        const r = await fired(t, due, precise ? due : undefined);
        expect(r.at).toBeGreaterThanOrEqual(due);
        expect(r.late).toBeGreaterThanOrEqual(0);
        expect(r.late).toBeLessThanOrEqual(r.at - due + 1e-9);
      }
    });
  }

  it("a claim due in under a millisecond is not held back by Node's 1 ms minimum timer", async () => {
    const t = new DeadlineTimer(now);
    const lates: number[] = [];
    for (let i = 0; i < 21; i++) {
      const due = now() + 0.2;
      lates.push((await fired(t, due, due)).late);
    }
    // setTimeout(fn, 0) runs after ≥ 1 ms, i.e. ≥ 0.8 ms late here; loop turns take microseconds.
    expect(lates.sort((a, b) => a - b)[10]).toBeLessThan(0.5);
  });

  it('a new arm replaces the old one; cancel stops it', async () => {
    const t = new DeadlineTimer(now);
    const calls: string[] = [];
    t.arm(now() + 5, undefined, () => calls.push('first'));
    t.arm(now() + 10, undefined, () => calls.push('second'));
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual(['second']);
    t.arm(now() + 5, now() + 5, () => calls.push('cancelled'));
    t.cancel();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['second']);
  });

  it('does nothing without a deadline', async () => {
    const t = new DeadlineTimer(now);
    let called = false;
    t.arm(undefined, undefined, () => (called = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(called).toBe(false);
  });
});
