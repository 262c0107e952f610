// The voter's rule: each node supports at most one master at a time, says whom in its
// presence, and moves its support only once that node resigned, withdrew a claim it never won, or was
// silent for the hold (membership.ts). A free voter supports the best claimant it hears. Pure.
import { compareVersions, fresherPeer, ownVersion } from './freshness.js';
import { holdMs, liveMembers, supportExpiry } from './membership.js';
import { comparePreference, type Candidate } from './timing.js';
import type { Settings, State } from './types.js';
import type { Member, Support, View } from './view.js';

// A node that may be supported: a master, or a backup that supports itself (it claims).
interface Claimant extends Candidate {
  master: boolean;
  epoch: number;
  dataVersion: bigint | undefined;
  incarnation: number;
  beat: number;
}

// Negative when a is the better claimant: a master first (the newer epoch first: it holds the newer
// data), then the fresher data version (an unknown or failing one last), then ucarp's preference.
export function compareClaimants(a: Claimant, b: Claimant): number {
  if (a.master !== b.master) return a.master ? -1 : 1;
  if (a.master && a.epoch !== b.epoch) return b.epoch - a.epoch;
  const v = compareVersions(a.dataVersion, b.dataVersion);
  return v !== 0 ? v : comparePreference(a, b);
}

// This node's support after the facts of this step: its own claim kept or withdrawn, a silent node's
// support ended, and, when free, the best claimant supported.
export function supportNow(cfg: Settings, state: State, now: number): Support | undefined {
  const v = state.view;
  let s = v.support;
  const expiry = supportExpiry(cfg, v);
  if (expiry !== undefined && now >= expiry) s = undefined;
  // A parked claim in a backoff or cooldown (a refused takeover check, SIGUSR2) does not claim: its own
  // support ends, so the voters are free for a claimant that can win meanwhile; it claims again after.
  const claiming = state.role === 'master' || state.role === 'releasing' || state.checking !== undefined || (v.seeking !== undefined && state.role === 'backup' && now >= state.holdUntil);
  const best = bestClaimant(cfg, v, now);
  if (s?.address === cfg.self) {
    // Its own claim ends with its mastership; a claim not won yet gives way to a better claimant.
    const better = best !== undefined && state.role === 'backup' && state.checking === undefined && compareClaimants(best, selfClaimant(cfg, state)) < 0;
    if (!claiming || better) s = undefined;
  }
  if (s !== undefined) return s;
  const self = claiming && mayClaim(cfg, state, now) && fresherPeer(cfg, state, now) === undefined ? selfClaimant(cfg, state) : undefined;
  const pick = best === undefined ? self : self === undefined || compareClaimants(best, self) < 0 ? best : self;
  if (pick === undefined) return undefined;
  if (pick === self) return { address: cfg.self, incarnation: cfg.cluster?.incarnation ?? 0, heardAt: now, beat: now, wasMaster: false };
  return { address: pick.address, incarnation: pick.incarnation, heardAt: v.members[pick.address]?.heardAt ?? now, beat: pick.beat, wasMaster: pick.master };
}

// The best claimant among the live members (never a witness, never this node).
export function bestClaimant(cfg: Settings, v: View, now: number): Claimant | undefined {
  let best: Claimant | undefined;
  for (const [address, m] of liveMembers(v, now)) {
    // One whose hold has run out already cannot be supported: that support would end at once.
    if (address === cfg.self || m.witness || !claims(address, m) || now - m.heardAt >= holdMs(m)) continue;
    const c = claimantOf(address, m);
    if (best === undefined || compareClaimants(c, best) < 0) best = c;
  }
  return best;
}

function claims(address: string, m: Member): boolean {
  return m.role === 'master' || (m.role === 'backup' && m.eligible && m.supports === address);
}

function claimantOf(address: string, m: Member): Claimant {
  return { address, advbaseMs: m.advbaseMs, advskew: m.advskew, master: m.role === 'master', epoch: m.epoch, dataVersion: m.versionFailing ? undefined : m.dataVersion, incarnation: m.incarnation, beat: m.beat };
}

function selfClaimant(cfg: Settings, state: State): Claimant {
  const master = state.role === 'master';
  return { address: cfg.self, advbaseMs: cfg.advbaseMs, advskew: cfg.advskew, master, epoch: state.epoch, dataVersion: ownVersion(state), incarnation: cfg.cluster?.incarnation ?? 0, beat: 0 };
}

// A node that hears fewer voters than its claim needs does not claim: it could not win, and voters that
// hear it (a one-way cut) would stay bound to it instead of electing a node that can.
function mayClaim(cfg: Settings, state: State, now: number): boolean {
  const c = cfg.cluster;
  if (c === undefined || c.witness || Object.keys(state.bars).length > 0 || now < state.holdUntil) return false;
  return c.quorum <= 1 || liveMembers(state.view, now).filter(([, m]) => m.voter).length >= c.quorum - 1;
}
