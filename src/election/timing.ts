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

// After a resign a backup waits in proportion to its advskew, so the most preferred backup claims first and
// its claim advert reaches the others before they would claim (RFC 5798 §6.4.2 orders backups by Skew_Time
// the same way). The step is sized on how long an advert takes from one agent to another on a busy host, not
// on the advert interval: beside two CPU hogs a resign reached the backups in 1 ms at the median, 4–15 ms at
// worst (test/netns/faults/resign-order.test.ts prints it), so 2 ms per advskew unit puts two backups of the
// usual step of 10 20 ms apart. Never longer than the silence of a dead master would take.
export function resignDelayMs(c: Pick<Candidate, 'advskew' | 'advbaseMs'>, deadratio: number): number {
  return Math.min(c.advskew * RESIGN_STEP_MS, masterDownIntervalMs(c, deadratio));
}
const RESIGN_STEP_MS = 2;

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
