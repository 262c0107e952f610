// Preemption as an ordered handover: stop before start (Pacemaker's order), so a preferred node that takes
// over from a live master never runs the service beside it. The preempted master releases (down hooks
// while it still advertises, VIP removal, resign); the new master advertises its higher epoch at once
// but starts its service only on that resign, or once the old master has been silent for a master-down
// interval (it died half-way). A master that never hears the claim keeps serving, and the new one waits:
// one service either way. Pure.
import { masterDownIntervalMs } from './timing.js';
import { enter, same, serviceEffects } from './transitions.js';
import type { Peer, Settings, State, Step } from './types.js';

// The old master is heard while the new one waits: its resign ends the wait, its adverts move it on.
// Undefined when the advert is not the awaited master's (the caller goes on as usual).
export function handoverHeard(cfg: Settings, state: State, them: Peer, type: 'advert' | 'resign', now: number): Step | undefined {
  const h = state.handover;
  if (h === undefined || them.address !== h.from || them.epoch >= state.epoch) return undefined;
  // Its stop failed: its service may still run, so this one must not start beside it. It gives the claim
  // up in order; the next claim is a failure's, which the takeover gate probes and fences.
  if (type === 'resign' && them.unclean === true) return enter(cfg, { ...state, handover: undefined }, { role: 'releasing', exitAfter: false }, now, `${h.from} resigned after a failed stop: not starting the service beside it`);
  if (type === 'resign') return handedOver(state, `${h.reason}; ${h.from} handed over`);
  return same({ ...state, handover: { ...h, until: now + masterDownIntervalMs(them, cfg.deadratio) } });
}

// The silence deadline passed: the old master let go without a resign we heard, or died.
export function handoverTimedOut(state: State, now: number): Step | undefined {
  const h = state.handover;
  if (h === undefined || now < h.until) return undefined;
  return handedOver(state, `${h.reason}; ${h.from} went silent`);
}

function handedOver(state: State, reason: string): Step {
  return { state: { ...state, handover: undefined, reason }, effects: serviceEffects(state.epoch, reason) };
}
