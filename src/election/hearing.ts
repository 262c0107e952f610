// What a node does with an advert it hears: a backup follows its master, takes a resign as a handover and
// preempts a master it is preferred to; a master steps down to a newer or preferred one (ucarp carp.c).
// Kept apart from machine.ts, which dispatches the events to these rules. Pure.
import type { Advert } from '../protocol/advert.js';
import { barred } from './bars.js';
import { heardSince, preemptHeldBack } from './damping.js';
import { handoverHeard } from './handover.js';
import { claim, withoutCheck } from './takeover-gate.js';
import { advertIntervalMs, comparePreference, formatMs, masterDownIntervalMs, resignDelayMs, type Candidate } from './timing.js';
import { after, enter, same } from './transitions.js';
import type { Peer, Settings, State, Step } from './types.js';

export function onAdvert(cfg: Settings, state: State, a: Advert, behind: boolean, now: number): Step {
  // A presence is not a master's claim: only the cluster view (membership.ts) takes it in.
  if (a.type === 'presence') return same(state);
  const them: Peer = { advbaseMs: a.advbaseMs, advskew: a.advskew, address: a.sender, epoch: a.epoch, resigned: false, ...(a.unclean === true ? { unclean: true } : {}) };
  switch (state.role) {
    case 'backup':
      // A behind advert cannot be told from a replay: it only proves that a master may be alive, so it is
      // followed like any advert, but never preempted, and a behind resign hands nothing over.
      if (behind) return a.type === 'resign' ? same(state) : backupFollows(cfg, state, them, now);
      return a.type === 'resign' ? backupHearsResign(cfg, state, them, now) : backupHearsAdvert(cfg, state, them, now);
    case 'master':
      // Behind or not, another master's advert can only make this one step down (or, from the master it
      // preempted, tell how far its handover is).
      if (!behind) {
        const h = handoverHeard(cfg, state, them, a.type, now);
        if (h) return h;
      }
      return a.type === 'resign' ? same(state) : masterHearsAdvert(cfg, state, them, now);
    case 'init':
    case 'releasing':
    case 'stopped':
      return same(state);
    default:
      return assertNever(state.role);
  }
}

function backupHearsResign(cfg: Settings, state: State, them: Peer, now: number): Step {
  // Only the master we follow, in its current mastership, can hand over: a resign from anyone else, or
  // one older than the epoch we follow (a replay to a freshly restarted node), changes nothing.
  const m = state.master;
  if (m === undefined || m.address !== them.address || them.epoch < m.epoch || them.epoch < state.maxEpochSeen) return same(state);
  return same({ ...state, master: { ...them, resigned: true }, masterDownAt: now + claimDelayAfterResign(cfg, state, them.address) });
}

// A prepared handover names its successor: that standby claims at once, and the others wait a master-down
// interval, taking over only if it does not. Otherwise the skew orders the backups (resignDelayMs).
function claimDelayAfterResign(cfg: Settings, state: State, from: string): number {
  if (state.prepare?.from === from && (state.prepare.stage === 'running' || state.prepare.stage === 'ready')) return 0;
  const named = state.view.members[from]?.supports;
  if (named !== undefined && named !== from && named !== cfg.self) return masterDownIntervalMs(cfg, cfg.deadratio);
  return resignDelayMs(cfg, cfg.deadratio);
}

// ucarp carp.c BACKUP: any advert from a master restarts the master-down timer; a takeover check under
// way is moot then and is cancelled.
function backupFollows(cfg: Settings, state: State, them: Peer, now: number): Step {
  return withoutCheck({ ...state, master: them, masterHeardSince: heardSince(state, them, now), masterDownAt: now + masterDownIntervalMs(cfg, cfg.deadratio) });
}

function backupHearsAdvert(cfg: Settings, state: State, them: Peer, now: number): Step {
  // A master is alive again: the next refusal starts the backoff from the beginning.
  const followed = backupFollows(cfg, { ...state, checkFailures: 0 }, them, now);
  const next = followed.state;
  if (!mayPromote(state, now)) return followed;
  const mine = advertIntervalMs(cfg);
  const theirs = advertIntervalMs(them);
  // ucarp carp.c BACKUP: with preempt, a master that advertises strictly slower than us is treated as down.
  if (cfg.preempt && mine < theirs) {
    const held = preemptHeldBack(cfg, next, now);
    if (held !== undefined) return { ...followed, state: { ...next, reason: `not preempting ${them.address} yet (${held})` } };
    return after(followed, claim(cfg, next, now, `preempting ${them.address} (interval ${formatMs(mine)} < ${formatMs(theirs)})`, 'handover'));
  }
  // ucarp carp.c BACKUP: a master advertising slower than our dead interval is bound to time out; take over now.
  const dead = masterDownIntervalMs(cfg, cfg.deadratio);
  if (theirs > dead) {
    return after(followed, claim(cfg, next, now, `master ${them.address} advertises every ${formatMs(theirs)}, beyond our dead interval ${formatMs(dead)}`, 'handover'));
  }
  return followed;
}

function masterHearsAdvert(cfg: Settings, state: State, them: Peer, now: number): Step {
  // Two masters: the more recent promotion (higher epoch) holds the newer data and wins; preference only
  // breaks equal epochs. A frozen or partitioned master that comes back therefore steps down.
  // It steps down in order and resigns at the end, so a master that preempted it can start the service.
  if (them.epoch > state.epoch) {
    return enter(cfg, state, { role: 'releasing', exitAfter: false }, now, `newer master ${them.address} (epoch ${them.epoch} > ${state.epoch})`);
  }
  if (them.epoch === state.epoch && comparePreference(them, selfCandidate(cfg)) < 0) {
    const [theirs, mine] = [advertIntervalMs(them), advertIntervalMs(cfg)];
    const why =
      theirs === mine ? 'equal interval, higher address'
      : them.advbaseMs === cfg.advbaseMs ? `advskew ${them.advskew} < ${cfg.advskew}`
      : `interval ${formatMs(theirs)} < ${formatMs(mine)}`;
    return enter(cfg, state, { role: 'releasing', exitAfter: false }, now, `preempted by ${them.address} (${why})`);
  }
  return same(state);
}

// This node as a candidate, for preference comparisons.
export function selfCandidate(cfg: Settings): Candidate {
  return { advbaseMs: cfg.advbaseMs, advskew: cfg.advskew, address: cfg.self };
}

function mayPromote(state: State, now: number): boolean {
  return !barred(state) && now >= state.holdUntil;
}

function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
