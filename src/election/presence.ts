// What this node says about itself in every packet it sends (wire version 2's presence block). Pure.
import type { Presence } from '../protocol/presence.js';
import { barred } from './bars.js';
import type { Settings, State } from './types.js';

// `now` is when the packet goes out: it is the beat a supporter echoes back, the anchor of our lease.
export function presenceOf(cfg: Settings, state: State, now: number): Presence {
  const c = cfg.cluster;
  const v = state.view;
  // A releasing master that hands over names its successor where it would name itself (ready-standby.ts).
  const successor = state.role === 'releasing' || state.role === 'stopped' ? v.handoff?.successor : undefined;
  const s = successor === undefined ? v.support : { address: successor, incarnation: v.members[successor]?.incarnation ?? 0, beat: 0 };
  const self = s?.address === cfg.self;
  return {
    role: state.role,
    eligible: c?.witness !== true && !barred(state) && now >= state.holdUntil,
    voter: true,
    witness: c?.witness === true,
    preempt: cfg.preempt,
    // Only a clean resign: a backup that missed an unclean one must not take it for a handover.
    released: state.role === 'backup' && state.master?.resigned === true && state.master.unclean !== true,
    prepared: state.role === 'backup' && state.prepare?.stage === 'ready' && state.master?.address === state.prepare.from,
    deadratio: cfg.deadratio,
    incarnation: c?.incarnation ?? 0,
    beat: now,
    // A witness holds no data: it relays the last master's version (a standby whose copy fell behind sees it).
    dataVersion: c?.witness === true ? v.lastMaster?.version : v.dataVersion,
    versionFailing: v.versionFailing !== undefined,
    supports: s?.address,
    supportIncarnation: s === undefined ? 0 : self ? (c?.incarnation ?? 0) : s.incarnation,
    echo: s === undefined || self || successor !== undefined ? 0 : s.beat,
  };
}
