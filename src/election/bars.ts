// The reasons that keep a node from mastership come and go here (link, health, standby, failures). Pure.
import { clearFailures } from './failures.js';
import { withoutCheck } from './takeover-gate.js';
import { masterDownIntervalMs } from './timing.js';
import { enter, same } from './transitions.js';
import type { Bar, Settings, State, Step } from './types.js';

// A new reason to stay out. A master whose link is gone cannot advertise and steps down at once; for any
// other reason it hands over in order (down hooks while it still advertises, VIP removal, then resign).
// A backup stops counting down and drops a check under way.
export function onBar(cfg: Settings, state: State, bar: Bar, detail: string, now: number): Step {
  if (state.bars[bar] === detail) return same(state);
  const next = { ...state, bars: { ...state.bars, [bar]: detail } };
  if (state.role === 'master') {
    return bar === 'link' ? enter(cfg, next, { role: 'backup' }, now, detail) : enter(cfg, next, { role: 'releasing', exitAfter: false }, now, detail);
  }
  return withoutCheck(next);
}

// A reason gone.
export function onUnbar(cfg: Settings, state: State, bar: Bar, now: number): Step {
  if (!(bar in state.bars)) return same(state);
  const { [bar]: _gone, ...bars } = state.bars;
  return same(freed(cfg, { ...state, bars }, now));
}

// `floatd clear` (or the failure timeout): the count is forgotten and its bar lifted.
export function onClear(cfg: Settings, state: State, now: number): Step {
  const barred = 'failures' in state.bars;
  const next = clearFailures(state);
  return same(barred ? freed(cfg, next, now) : next);
}

export function barred(state: State): boolean {
  return Object.keys(state.bars).length > 0;
}

// A backup starts a fresh master-down interval once a reason is gone, so it hears the cluster before it
// promotes; with none left it is eligible from now (--preempt-delay counts from here).
function freed(cfg: Settings, state: State, now: number): State {
  if (state.role !== 'backup') return state;
  return { ...state, masterDownAt: now + masterDownIntervalMs(cfg, cfg.deadratio), eligibleSince: barred(state) ? state.eligibleSince : now };
}
