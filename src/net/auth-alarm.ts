// A peer that advertises our vhid with a key we cannot verify is the quiet road to two masters: neither
// node believes the other, so both take the VIP. ucarp logs "Bad digest" once in a while; floatd makes it a
// condition: an error line when it starts, again every period while it lasts (whatever this node's role),
// a line when it ends, and the list of sources in the state file for `floatd status`.
import type { Logger } from '../log/log.js';

// One source of unverifiable adverts, as `floatd status` shows it (times in ms since the Unix epoch).
export interface AuthFailure {
  from: string;
  count: number;
  since: number;
  lastAt: number;
}

export interface AuthAlarmOptions {
  log: Logger;
  role: () => string; // this node's role now, for the log line
  onChange: () => void; // a source appeared or went quiet: the state file is rewritten
  everyMs?: number;
  maxSources?: number;
  clock?: () => number;
  autoTick?: boolean; // false in tests, which call tick() themselves
}

const EVERY_MS = 10_000;
// Spoofed sources must not grow memory: beyond this they are only counted.
const MAX_SOURCES = 16;

// Tracks bad-HMAC adverts for our vhid; costs nothing (no timer) while there are none.
export class AuthAlarm {
  private readonly o: Required<Omit<AuthAlarmOptions, 'log' | 'role' | 'onChange'>> & Pick<AuthAlarmOptions, 'log' | 'role' | 'onChange'>;
  private readonly sources = new Map<string, AuthFailure & { inPeriod: number }>();
  private others = 0; // packets from sources beyond maxSources in this period
  private timer: NodeJS.Timeout | undefined;

  constructor(o: AuthAlarmOptions) {
    this.o = { everyMs: EVERY_MS, maxSources: MAX_SOURCES, clock: Date.now, autoTick: true, ...o };
  }

  // A packet from `from` failed the HMAC check.
  record(from: string): void {
    const now = this.o.clock();
    const known = this.sources.get(from);
    if (known) {
      known.count += 1;
      known.inPeriod += 1;
      known.lastAt = now;
      return;
    }
    if (this.sources.size >= this.o.maxSources) {
      this.others += 1;
      return;
    }
    const starting = this.sources.size === 0;
    this.sources.set(from, { from, count: 1, inPeriod: 1, since: now, lastAt: now });
    this.o.onChange();
    // The first source is reported at once; later ones join the next periodic line.
    if (starting) {
      this.report(now);
      this.arm();
    }
  }

  // The sources of the current condition, oldest first.
  active(): AuthFailure[] {
    return [...this.sources.values()].map(({ from, count, since, lastAt }) => ({ from, count, since, lastAt }));
  }

  // Ends sources quiet for a whole period, repeats the error for the rest.
  tick(): void {
    const now = this.o.clock();
    let changed = false;
    for (const s of [...this.sources.values()]) {
      if (now - s.lastAt < this.o.everyMs) continue;
      this.sources.delete(s.from);
      changed = true;
      this.o.log.info({ event: 'auth-failure-ended', from: s.from, count: s.count }, `no unverifiable adverts from ${s.from} for ${this.o.everyMs / 1000} s (${s.count} in all)`);
    }
    if (this.sources.size > 0) this.report(now);
    else this.others = 0;
    if (changed) this.o.onChange();
    if (this.sources.size > 0) this.arm();
    else this.stop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (!this.o.autoTick) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), this.o.everyMs);
    this.timer.unref();
  }

  private report(now: number): void {
    const list = [...this.sources.values()];
    const first = list[0];
    if (!first) return;
    const recent = list.reduce((n, s) => n + s.inPeriod, 0) + this.others;
    const names = list.map((s) => s.from).join(', ') + (this.others > 0 ? ` and more (${this.others} packets from further sources)` : '');
    const lasting = Math.round((now - first.since) / 1000);
    this.o.log.error(
      { event: 'auth-failure', drop: 'bad-hmac', from: first.from, sources: list.map((s) => s.from), packets: recent, role: this.o.role() },
      `adverts for our vhid from ${names} fail HMAC verification (${recent} in the last ${this.o.everyMs / 1000} s, for ${lasting} s): ` +
        `check that the secret (--passfile), vhid and virtual IP match on every node — while this lasts both nodes may be MASTER (this node is ${this.o.role()})`,
    );
    for (const s of list) s.inPeriod = 0;
    this.others = 0;
  }
}
