// The cluster view in the election: presence every advert interval, the voter's support, and
// with a quorum a master only while a majority supports it (Corosync votequorum's rule, kept by leases on
// adverts instead of a membership protocol). Applied after machine.ts's rules to every step. Pure.
import { nextAdvert } from './adverts.js';
import { heardPresence, holdMs, pruned, supportExpiry } from './membership.js';
import { supportNow } from './support.js';
import { fresherPeer } from './freshness.js';
import { withReleaseSeen } from './release-seen.js';
import { standbyWaitDeadline, withStandbyWait } from './ready-standby.js';
import { withPreparation } from './prepared-handover.js';
import { claimNow } from './takeover-gate.js';
import { formatMs } from './timing.js';
import { after, enter } from './transitions.js';
import type { Effect, Event, Settings, State, Step } from './types.js';

// The clock-rate difference assumed between any two nodes (docs/election.md: the timing rule). Quartz
// drifts by 10⁻⁴ at worst; 1 % also covers a VM's clock slewed hard by NTP.
export const CLOCK_RATE = 0.01;

export function quorumOn(cfg: Settings): boolean {
  return (cfg.cluster?.quorum ?? 0) > 0;
}

// The guard between the end of a master's lease and the earliest moment a voter may support another:
// it covers the master's timer firing late and `ip addr del`. (deadratio − 2) × advbase / 2.
export function guardMs(cfg: Pick<Settings, 'deadratio' | 'advbaseMs'>): number {
  return ((cfg.deadratio - 2) * cfg.advbaseMs) / 2;
}

// How long a supporter's echo of our beat keeps our lease: the hold a voter gives us, shrunk for the clock
// rates of both ends, less the guard. Needs deadratio ≥ 3 to outlast an advert interval (config checks it).
export function leaseMs(cfg: Pick<Settings, 'deadratio' | 'advbaseMs'>): number {
  return holdMs(cfg) / (1 + CLOCK_RATE) ** 2 - guardMs(cfg);
}

// Until when a quorum supports this node (its own vote included), on its own clock; undefined when it
// does not support itself. Each supporter counts from the beat it echoed: when we sent it, not when its
// answer came, so a delayed answer only shortens the lease.
export function leaseUntil(cfg: Settings, state: State): number | undefined {
  const c = cfg.cluster;
  if (c === undefined || state.view.support?.address !== cfg.self) return undefined;
  const others = c.quorum - 1;
  if (others <= 0) return Infinity;
  const lease = leaseMs(cfg);
  const ends = Object.values(state.view.members)
    .filter((m) => m.voter && m.supports === cfg.self && m.supportIncarnation === c.incarnation && m.echo > 0)
    .map((m) => m.echo + lease)
    .sort((a, b) => b - a);
  return ends[others - 1];
}

// How many voters support this node now, itself included (for logs and status).
export function supportCount(cfg: Settings, state: State, now: number): number {
  const c = cfg.cluster;
  if (c === undefined || state.view.support?.address !== cfg.self) return 0;
  const lease = leaseMs(cfg);
  return 1 + Object.values(state.view.members).filter((m) => m.voter && m.supports === cfg.self && m.supportIncarnation === c.incarnation && m.echo + lease > now).length;
}

// Before the rules: a presence heard goes into the view; a takeover check that passed no longer counts
// when the quorum went away meanwhile.
export function beforeStep(cfg: Settings, state: State, event: Event, now: number): { state: State; event: Event } {
  if (cfg.cluster === undefined) return { state, event };
  if (event.type === 'advert') return { state: { ...state, view: heardPresence(state.view, event.advert, event.behind === true, now) }, event };
  if (event.type === 'checked' && event.ok && quorumOn(cfg) && state.checking?.epoch === event.epoch && !((leaseUntil(cfg, state) ?? -Infinity) > now)) {
    return { state, event: { ...event, ok: false, detail: 'the quorum was lost while the checks ran' } };
  }
  return { state, event };
}

// After the rules: support, presence, and with a quorum the claim and the lease.
export function afterStep(cfg: Settings, before: State, step: Step, event: Event, now: number): Step {
  if (cfg.cluster === undefined) return step;
  let r = withSupport(cfg, withReleaseSeen(cfg, step, now), event, now);
  if (quorumOn(cfg)) r = withLease(cfg, before, r, now);
  r = withClaim(cfg, r, now);
  r = withStandbyWait(cfg, r, event, now);
  r = withPreparation(cfg, r, now);
  return withPresence(cfg, before, r, event, now);
}

function withSupport(cfg: Settings, step: Step, event: Event, now: number): Step {
  let s = step.state;
  // A master was heard (its advert restarted the master-down timer) or the node left BACKUP: no more seeking.
  if (s.view.seeking !== undefined && (s.role !== 'backup' || s.masterDownAt !== undefined)) s = { ...s, view: { ...s.view, seeking: undefined } };
  if (event.type === 'tick') s = { ...s, view: pruned(s.view, now) };
  // A refused claim's backoff is over: its retry needs no more ticks of its own.
  const retryAt = s.view.seeking?.retryAt;
  if (retryAt !== undefined && now >= retryAt) s = { ...s, view: { ...s.view, seeking: { ...s.view.seeking!, retryAt: undefined } } };
  const support = supportNow(cfg, s, now);
  return support === s.view.support ? { ...step, state: s } : { ...step, state: { ...s, view: { ...s.view, support } } };
}

// A master keeps its VIP only while its lease lasts; leaving MASTER in any way drops the VIP first.
function withLease(cfg: Settings, before: State, step: Step, now: number): Step {
  const s = step.state;
  const lease = leaseUntil(cfg, s);
  const held = lease !== undefined && lease > now;
  // Left MASTER without an ordered release (link gone, stopped without -z): the VIP goes first.
  if (before.role === 'master' && (s.role === 'backup' || s.role === 'stopped')) return { ...step, effects: [dropVip(before.epoch), ...step.effects] };
  if (s.role === 'master' && !held) {
    const reason = `lost the quorum: fewer than ${cfg.cluster?.quorum ?? 0} voters support this node (${supportCount(cfg, s, now)} now)`;
    const released = enter(cfg, s, { role: 'releasing', exitAfter: false }, now, reason);
    return { state: { ...released.state, view: { ...released.state.view, dropAt: Infinity } }, effects: [...step.effects, dropVip(s.epoch), ...released.effects] };
  }
  if (s.role === 'releasing') {
    // It keeps its lease while it still advertises (down hooks running); once the lease ends the VIP goes at once.
    if (s.view.dropAt === Infinity || held) return step;
    return { state: { ...s, view: { ...s.view, dropAt: Infinity } }, effects: [...step.effects, dropVip(s.epoch)] };
  }
  return s.view.dropAt === undefined || s.role === 'master' ? step : { ...step, state: { ...s, view: { ...s.view, dropAt: undefined } } };
}

// A seeking backup claims once nothing holds it back: a majority supports it (with a quorum), and no
// fresher peer may still claim first (--data-version).
function withClaim(cfg: Settings, step: Step, now: number): Step {
  const s = step.state;
  const seeking = s.view.seeking;
  if (s.role !== 'backup' || seeking === undefined || s.checking !== undefined || cfg.cluster?.witness === true) return step;
  if (quorumOn(cfg) ? !((leaseUntil(cfg, s) ?? -Infinity) > now) : fresherPeer(cfg, s, now) !== undefined) return step;
  if (Object.keys(s.bars).length > 0 || now < s.holdUntil) return step;
  const support = quorumOn(cfg) ? `; supported by ${supportCount(cfg, s, now)} of ${cfg.cluster?.voters ?? 0} voters` : '';
  return after(step, claimNow(cfg, { ...s, view: { ...s.view, seeking: undefined } }, now, `${seeking.reason}${support}`, seeking.kind, seeking));
}

// Backups send presence every advert interval, as a burst of copies like a master's adverts, and answer
// their master's advert at once (at most every half interval) so the echo in it stays fresh.
function withPresence(cfg: Settings, before: State, step: Step, event: Event, now: number): Step {
  const s = step.state;
  if (s.role !== 'backup') return step;
  const since = now - s.view.lastPresenceAt;
  const answer = event.type === 'advert' && event.advert.type !== 'resign' && event.advert.sender === s.view.support?.address && since >= cfg.advbaseMs / 2;
  // The support moved: say so at once, so a claimant need not wait an interval; within MOVED_GAP of the last
  // presence it goes out at the end of the gap instead (a support that moves twice in a row, as when a
  // voter first supports itself and then gives way, must not wait for the next interval).
  // A named standby whose preparation passed says so at once: its master moves the VIP on that presence.
  const changed = s.view.support?.address !== before.view.support?.address || (s.prepare?.stage === 'ready' && before.prepare?.stage !== 'ready');
  const gap = cfg.advbaseMs * MOVED_GAP;
  const moved = changed && since >= gap;
  const due = s.nextAdvertAt === undefined || now >= s.nextAdvertAt;
  if (changed && !moved && !due && !answer) return { ...step, state: { ...s, nextAdvertAt: Math.min(s.nextAdvertAt ?? Infinity, s.view.lastPresenceAt + gap) } };
  if (!due && !answer && !moved) return step;
  const next = due ? nextAdvert(cfg, s, now) : { ...s, nextAdvertAt: now + 2 * cfg.advbaseMs };
  // The epoch is the followed master's: its `released` flag (presence.ts) speaks of that mastership.
  const send: Effect = { kind: 'send', type: 'presence', epoch: s.master?.epoch ?? s.epoch, advskew: cfg.advskew };
  return { state: { ...next, view: { ...next.view, lastPresenceAt: now } }, effects: [...step.effects, send] };
}

// The least gap between two presences that say the support moved, in advert base intervals.
const MOVED_GAP = 1 / 8;

function dropVip(epoch: number): Effect {
  return { kind: 'drop-vip', epoch };
}

// When the cluster view next needs a tick: a backup's presence, the end of its support by silence, a
// master's lease, a releasing node's VIP drop.
export function clusterDeadline(cfg: Settings, state: State): number | undefined {
  if (cfg.cluster === undefined) return undefined;
  switch (state.role) {
    case 'backup':
      // A parked claim in its backoff is tried again at its end.
      return earliest(state.nextAdvertAt, supportExpiry(cfg, state.view), state.view.seeking?.retryAt);
    case 'master':
      return quorumOn(cfg) ? leaseUntil(cfg, state) : undefined;
    case 'releasing':
      return earliest(quorumOn(cfg) && state.view.dropAt !== Infinity ? leaseUntil(cfg, state) : undefined, standbyWaitDeadline(cfg, state));
    default:
      return undefined;
  }
}

export function earliest(...times: (number | undefined)[]): number | undefined {
  const t = times.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return t.length === 0 ? undefined : Math.min(...t);
}

// "quorum 2 of 3, lease 2.4 s" for the start-up line.
export function describeQuorum(cfg: Settings): string {
  const c = cfg.cluster;
  if (c === undefined || c.quorum === 0) return 'quorum off';
  return `quorum ${c.quorum} of ${c.voters} voters, lease ${formatMs(leaseMs(cfg))}, hold ${formatMs(holdMs(cfg))}`;
}
