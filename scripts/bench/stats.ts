// Pure arithmetic over the bench's measurements: summaries, ratios and VIP-holder intervals.
import type { AddressEvent } from '../../test/support/netns.js';

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
  // With the fault's phase stratified over the advert interval, the mean estimates the expected failover
  // more steadily than the median of a few repetitions, which jumps with where the cycle wraps.
  mean: number;
}

// A figure in ms as the tables print it: one decimal below 10, whole ms above.
export function ms(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  return x < 10 ? x.toFixed(1) : String(Math.round(x));
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  const mean = s.reduce((sum, v) => sum + v, 0) / s.length;
  return { n: s.length, min: s[0] as number, median, max: s[s.length - 1] as number, mean };
}

// floatd's median (or mean) over the other's; below 1 floatd is faster.
export function ratio(a: Summary | undefined, b: Summary | undefined, of: 'median' | 'mean' = 'median'): number | undefined {
  if (!a || !b || b[of] === 0) return undefined;
  return a[of] / b[of];
}

// Who holds `vip` just after the last event at or before `at`.
export function holdersAt(events: readonly AddressEvent[], vip: string, at: number): Set<string> {
  const held = new Set<string>();
  for (const e of events) {
    if (e.at > at) break;
    if (e.address !== vip) continue;
    if (e.op === 'add') held.add(e.host);
    else held.delete(e.host);
  }
  return held;
}

// Milliseconds within [from, to] during which two or more hosts held `vip`, per the kernel-ordered events.
export function twoHolderMs(events: readonly AddressEvent[], vip: string, from: number, to: number): number {
  const held = holdersAt(events, vip, from);
  let total = 0;
  let since = held.size >= 2 ? from : undefined;
  for (const e of events) {
    if (e.at <= from || e.address !== vip) continue;
    if (e.at > to) break;
    if (e.op === 'add') held.add(e.host);
    else held.delete(e.host);
    if (held.size >= 2 && since === undefined) since = e.at;
    else if (held.size < 2 && since !== undefined) {
      total += e.at - since;
      since = undefined;
    }
  }
  if (since !== undefined) total += to - since;
  return total;
}

// VIP additions in (from, to]: at start the election, later each one a takeover.
export function additions(events: readonly AddressEvent[], vip: string, from: number, to = Infinity): AddressEvent[] {
  return events.filter((e) => e.address === vip && e.op === 'add' && e.at > from && e.at <= to);
}

// The time of the last change of `vip` at or before `at`, or -Infinity.
export function lastChange(events: readonly AddressEvent[], vip: string, at: number): number {
  let last = -Infinity;
  for (const e of events) {
    if (e.at > at) break;
    if (e.address === vip) last = e.at;
  }
  return last;
}
