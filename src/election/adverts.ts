// A master's advert rhythm. Pure.
import { advertIntervalMs } from './timing.js';
import type { Settings, State } from './types.js';

const COPY_GAP_MS = 20;

// Adverts go out as a burst of copies at the start of each interval, COPY_GAP_MS apart: each copy restarts
// a backup's master-down timer, so a crash is detected at most (copies − 1) × COPY_GAP_MS later than from
// ucarp's single advert, and one lost packet costs nothing.
export function nextAdvert(cfg: Settings, state: State, now: number): State {
  const interval = advertIntervalMs(cfg);
  const copies = Math.max(1, cfg.advertsPerInterval);
  const burst = state.burst.left > 0 ? { start: state.burst.start, left: state.burst.left - 1 } : { start: now, left: copies - 1 };
  const gap = Math.min(COPY_GAP_MS, interval / copies);
  return { ...state, burst, nextAdvertAt: burst.left > 0 ? now + gap : burst.start + interval };
}

