// Membership: the nodes this one has heard within their master-down interval, from their presence, and
// how what they say moves this node's support (the voter's side of the quorum). Pure.
import type { Advert } from '../protocol/advert.js';
import { masterDownIntervalMs } from './timing.js';
import type { Settings } from './types.js';
import type { Member, Support, View } from './view.js';

// How long a voter keeps supporting a node it no longer hears: that node's deadratio × advbase, from its
// own presence (skew left out: a weight that changes must not change the hold). docs/election.md: the timing rule.
export function holdMs(m: Pick<Member, 'deadratio' | 'advbaseMs'>): number {
  return m.deadratio * m.advbaseMs;
}

// A presence heard: the member's entry, and this node's support of its sender refreshed or ended.
// Behind packets (possibly replays) refresh nothing: they may keep a node from mastership, never give it.
export function heardPresence(view: View, a: Advert, behind: boolean, now: number): View {
  const p = a.presence;
  if (p === undefined || behind) return view;
  const member: Member = {
    role: p.role,
    epoch: a.epoch,
    advbaseMs: a.advbaseMs,
    advskew: a.advskew,
    deadratio: p.deadratio,
    eligible: p.eligible,
    voter: p.voter,
    witness: p.witness,
    preempt: p.preempt,
    released: p.released,
    prepared: p.prepared === true,
    incarnation: p.incarnation,
    beat: p.beat,
    dataVersion: p.dataVersion,
    versionFailing: p.versionFailing,
    supports: p.supports,
    supportIncarnation: p.supportIncarnation,
    echo: p.echo,
    heardAt: now,
  };
  const members = { ...view.members, [a.sender]: member };
  const base = { ...view, members, lastMaster: lastMasterAfter(view.lastMaster, a) };
  const s = view.support;
  if (s === undefined || s.address !== a.sender || s.incarnation !== p.incarnation) return base;
  return { ...base, support: supportAfter(s, a, member, now) };
}

// A master's (or releasing master's) version replaces the one remembered unless it is of an older mastership.
function lastMasterAfter(last: View['lastMaster'], a: Advert): View['lastMaster'] {
  const p = a.presence;
  if (p === undefined || (p.role !== 'master' && p.role !== 'releasing') || p.dataVersion === undefined || p.versionFailing) return last;
  if (last !== undefined && a.epoch < last.epoch) return last;
  return { address: a.sender, epoch: a.epoch, version: p.dataVersion };
}

// The support of the node that sent `a`: ended by its resign (sent once its VIP is gone, RFC 5798 §6.4.3's
// priority 0), or by a presence that neither holds nor claims mastership: a master only goes back to BACKUP
// once its VIP is gone (released, or dropped at once under a quorum), and a claim not won held nothing.
// Otherwise refreshed: the hold starts again.
function supportAfter(s: Support, a: Advert, m: Member, now: number): Support | undefined {
  if (a.type === 'resign') return undefined;
  const master = m.role === 'master' || m.role === 'releasing';
  if (!master && m.supports !== a.sender) return undefined;
  return { ...s, heardAt: now, beat: m.beat, wasMaster: s.wasMaster || master };
}

// Members heard within their master-down interval, as `floatd status` lists them.
export function liveMembers(view: View, now: number): [string, Member][] {
  return Object.entries(view.members).filter(([, m]) => now - m.heardAt <= masterDownIntervalMs(m, m.deadratio));
}

// Forgets members silent for twice their hold: the table stays as small as the cluster.
export function pruned(view: View, now: number): View {
  const keep = Object.entries(view.members).filter(([, m]) => now - m.heardAt <= 2 * masterDownIntervalMs(m, m.deadratio));
  return keep.length === Object.keys(view.members).length ? view : { ...view, members: Object.fromEntries(keep) };
}

// When this node's support of another runs out by silence (undefined: it supports itself or nobody).
export function supportExpiry(cfg: Settings, view: View): number | undefined {
  const s = view.support;
  if (s === undefined || s.address === cfg.self) return undefined;
  const m = view.members[s.address];
  return s.heardAt + holdMs(m ?? cfg);
}
