// The election's one timer. Node's setTimeout counts whole milliseconds from a loop time that may be
// stale, so a timer armed with ceil(due − now) fires 0.5–1.5 ms after its deadline (median 0.7 ms measured
// here, more on a busy host). A claim's deadline is armed a little early and finished on setImmediate
// turns, so the claim leaves at its deadline; other deadlines (adverts, presence) keep the plain timer, as
// spinning at every advert would cost CPU at small advbases. Never fires before its deadline.
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';

// How early a precise deadline's timer is armed: the timer's own slack, plus a margin.
const EARLY_MS = 2;

export class DeadlineTimer {
  private readonly now: () => number;
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(now: () => number) {
    this.now = now;
  }

  // Calls `fire(lateMs)` once `due` has passed (monotonic ms); a new arm replaces the old one. When `due`
  // is `precise` (the claim's deadline) the wait ends on the event loop's turns instead of the timer's ms.
  arm(due: number | undefined, precise: number | undefined, fire: (lateMs: number) => void): void {
    this.cancel();
    if (due === undefined) return;
    const spin = precise !== undefined && due >= precise;
    const wait = due - this.now();
    const check = (): void => {
      const late = this.now() - due;
      if (late >= 0) return fire(late);
      this.immediate = setImmediate(check);
    };
    const ms = spin ? Math.floor(wait) - EARLY_MS : Math.ceil(wait);
    // Node runs setTimeout(fn, 0) after 1 ms at the earliest: a claim due sooner than the timer's slack
    // (a resign's skew at a small advbase: 0.39 ms at -b 0.01 -k 10) starts on the next loop turn instead.
    if (spin && ms <= 0) this.immediate = setImmediate(check);
    else this.timeout = setTimeout(check, Math.max(0, ms));
  }

  cancel(): void {
    clearTimeout(this.timeout);
    clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }
}
