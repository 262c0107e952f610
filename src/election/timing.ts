// Election arithmetic shared by the state machine and the logs. Pure.
import { compareAddresses } from '../protocol/address.js';

export { compareAddresses };

// What a node advertises about itself: enough to rank it against another.
export interface Candidate {
  advbaseMs: number;
  advskew: number;
  address: string;
}

// ucarp's advskew unit is 1/256 s (carp.c: advskew * 1000000 / 256 µs) and ucarp's advbase is whole seconds.
// For a sub-second advbase (a floatd extension) the unit shrinks with it, as RFC 5798 scales Skew_Time with
// the advert interval: 1/256 of advbase. From 1 s up this is exactly ucarp.
export function skewMs(advskew: number, advbaseMs: number): number {
  return (advskew * Math.min(advbaseMs, 1000)) / 256;
}

// A master advertises every advbase + advskew/256 s (ucarp carp_setrun, MASTER case).
export function advertIntervalMs(c: Pick<Candidate, 'advbaseMs' | 'advskew'>): number {
  return c.advbaseMs + skewMs(c.advskew, c.advbaseMs);
}

// A backup declares the master dead after deadratio × advbase + advskew/256 s of silence (ucarp carp_setrun, BACKUP case).
export function masterDownIntervalMs(c: Pick<Candidate, 'advbaseMs' | 'advskew'>, deadratio: number): number {
  return deadratio * c.advbaseMs + skewMs(c.advskew, c.advbaseMs);
}

// After a resign a backup waits RFC 5798 §6.4.2's Skew_Time, so the most preferred backup moves first —
// computed on an advert interval of at most 100 ms: on a LAN that orders the backups, and a planned
// handover does not wait tens of milliseconds for it.
export function resignDelayMs(advskew: number, advbaseMs: number): number {
  return (advskew * Math.min(advbaseMs, RESIGN_SCALE_MS)) / 256;
}
const RESIGN_SCALE_MS = 100;

// Negative when a is preferred over b: the shorter advert interval wins (ucarp/CARP); equal intervals go to
// the higher address, as RFC 5798 §6.4.3 breaks equal priorities.
export function comparePreference(a: Candidate, b: Candidate): number {
  const d = advertIntervalMs(a) - advertIntervalMs(b);
  if (d !== 0) return Math.sign(d);
  return compareAddresses(b.address, a.address);
}

// "1.5 s" / "120 ms" for log lines and reasons.
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms % 100 === 0 ? 1 : 3)} s`;
}
