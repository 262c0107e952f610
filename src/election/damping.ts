// Flap damping for preemption: a -P node does not take over the moment it could. Pure.
// keepalived's preempt_delay: wait after the node could first take part (start, a lifted bar, a cooldown's
// end), so a rebooting preferred node hears the cluster settle before it moves the service back.
// Minimum dwell: a master is left in place until this node has heard it hold for --min-dwell. floatd's
// masters never refuse a newer master (that would be two masters), so the dwell is kept by the node that
// would preempt, as it hears the master.
import { formatMs } from './timing.js';
import type { Peer, Settings, State } from './types.js';

// Why this backup must not preempt yet, or undefined when it may.
export function preemptHeldBack(cfg: Settings, state: State, now: number): string | undefined {
  const eligibleFrom = Math.max(state.eligibleSince, state.holdUntil);
  if (now - eligibleFrom < cfg.preemptDelayMs) return `preempt delay: ${formatMs(cfg.preemptDelayMs - (now - eligibleFrom))} left`;
  const heard = state.masterHeardSince ?? now;
  if (now - heard < cfg.minDwellMs) return `minimum dwell of the master: ${formatMs(cfg.minDwellMs - (now - heard))} left`;
  return undefined;
}

// When a backup that now hears `them` first heard this master in this epoch.
export function heardSince(state: State, them: Peer, now: number): number {
  const m = state.master;
  const same = m !== undefined && m.address === them.address && m.epoch === them.epoch && !m.resigned;
  return same && state.masterHeardSince !== undefined ? state.masterHeardSince : now;
}
