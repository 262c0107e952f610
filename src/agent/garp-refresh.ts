// --garp-refresh: gratuitous ARP again every N seconds while this node is a serving master, for switches
// and hosts whose ARP caches forget or were flushed (keepalived's garp_master_refresh). Off by default.

// The timer functions, so a test can drive the period without waiting for it.
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

// Calls `announce` every `periodMs` while `update(true)`; 0 never does. The first refresh is one period
// after serving began: the promotion's own announcement covers the start.
export class GarpRefresh {
  private readonly periodMs: number;
  private readonly announce: () => void;
  private readonly timers: Timers;
  private handle: unknown;

  constructor(periodMs: number, announce: () => void, timers: Timers = REAL_TIMERS) {
    this.periodMs = periodMs;
    this.announce = announce;
    this.timers = timers;
  }

  // Whether the node is a serving master now; called after every election step (idempotent).
  update(active: boolean): void {
    if (active && this.periodMs > 0 && this.handle === undefined) {
      this.handle = this.timers.setInterval(() => this.announce(), this.periodMs);
    } else if (!active) {
      this.stop();
    }
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }
}
