// Failure accounting: how many of this node's masterships failed lately, and when that keeps it out.
// Pacemaker's migration-threshold (N failures → the resource leaves the node) and failure-timeout (the
// count expires), for one VIP. A refused takeover check is not a failure: no mastership began. Pure.
import { formatMs } from './timing.js';
import type { Settings, State } from './types.js';

// A mastership failed at `now`: count it, and bar the node once the threshold is reached in the window.
export function recordFailure(cfg: Settings, state: State, now: number, detail: string): State {
  const failures = [...state.failures.filter((t) => now - t < cfg.failureWindowMs), now];
  if (cfg.failureThreshold === 0 || failures.length < cfg.failureThreshold) return { ...state, failures };
  const until = cfg.failureTimeoutMs > 0 ? `for ${formatMs(cfg.failureTimeoutMs)} or until floatd clear` : 'until floatd clear';
  const why = `${failures.length} failed mastership${failures.length === 1 ? '' : 's'} within ${formatMs(cfg.failureWindowMs)} (last: ${detail}): staying out ${until}`;
  return {
    ...state,
    failures,
    bars: { ...state.bars, failures: why },
    failuresClearAt: cfg.failureTimeoutMs > 0 ? now + cfg.failureTimeoutMs : undefined,
  };
}

// The count forgotten and the bar lifted (`floatd clear`, or the failure timeout ran out).
export function clearFailures(state: State): State {
  const { failures: _gone, ...bars } = state.bars;
  return { ...state, failures: [], failuresClearAt: undefined, bars };
}

// Whether the failure timeout has run out at `now`.
export function failuresExpired(state: State, now: number): boolean {
  return state.failuresClearAt !== undefined && now >= state.failuresClearAt;
}
