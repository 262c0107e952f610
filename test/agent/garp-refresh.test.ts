// --garp-refresh with fake timers: the announcer is called every period while active, never when off.
import { describe, expect, it } from 'vitest';
import { GarpRefresh, type Timers } from '../../src/agent/garp-refresh.js';

// Timers driven by hand: advance(ms) fires each interval as often as it falls due.
function fakeTimers(): Timers & { advance(ms: number): void; live(): number } {
  let now = 0;
  const intervals = new Map<number, { fn: () => void; ms: number; next: number }>();
  let id = 0;
  return {
    setInterval(fn, ms) {
      intervals.set(++id, { fn, ms, next: now + ms });
      return id;
    },
    clearInterval(h) {
      intervals.delete(h as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...intervals.values()].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.fn();
      }
      now = end;
    },
    live: () => intervals.size,
  };
}

describe('GarpRefresh', () => {
  it('announces every period while a serving master, the first one period after serving began', () => {
    const t = fakeTimers();
    let calls = 0;
    const r = new GarpRefresh(5000, () => calls++, t);
    r.update(true);
    t.advance(4999);
    expect(calls).toBe(0);
    t.advance(1);
    expect(calls).toBe(1);
    t.advance(10_000);
    expect(calls).toBe(3);
  });

  it('update(true) again does not start a second timer', () => {
    const t = fakeTimers();
    let calls = 0;
    const r = new GarpRefresh(1000, () => calls++, t);
    for (let i = 0; i < 5; i++) r.update(true);
    t.advance(3000);
    expect([calls, t.live()]).toEqual([3, 1]);
  });

  it('stops on leaving master and starts afresh at the next mastership', () => {
    const t = fakeTimers();
    let calls = 0;
    const r = new GarpRefresh(1000, () => calls++, t);
    r.update(true);
    t.advance(2500);
    r.update(false);
    t.advance(10_000);
    expect([calls, r.running, t.live()]).toEqual([2, false, 0]);
    r.update(true);
    t.advance(1000);
    expect(calls).toBe(3);
  });

  it('0 is off: never a timer', () => {
    const t = fakeTimers();
    const r = new GarpRefresh(0, () => expect.fail('announced'), t);
    r.update(true);
    t.advance(60_000);
    expect([r.running, t.live()]).toEqual([false, 0]);
  });
});
