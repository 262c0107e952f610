// The cluster view's vocabulary: what the settings say about the voters, what this node knows
// of the others from their presence, and whom it supports. Types and constants only. Pure.
import type { PresenceRole } from '../protocol/presence.js';

// Why a backup claims mastership: the master failed (silent: it may still hold the VIP, so fence it), its
// stop failed (an unclean resign: fence it too), or it hands over (a resign, or a live master that yields
// to a preemption once it hears the newer epoch).
export type ClaimKind = 'failure' | 'unclean' | 'handover';

// What the election needs of --quorum, --nodes, --peer and `floatd witness`.
export interface ClusterSettings {
  incarnation: number; // u32, new at every start: a supporter's echo of an older run counts for nothing
  voters: number; // expected voters, this node included when it votes (0: unknown)
  quorum: number; // supports a master needs, its own included; 0: quorum off (today's election)
  witness: boolean; // floatd witness: presence and a vote only, never claims
  freshness?: boolean; // --data-version given: a claim waits for a fresher eligible peer (freshness.ts)
}

// A claim parked until the cluster lets it go on (a quorum's support, no fresher peer): why, what kind of
// claim, and since when it waits (the freshness wait counts from here).
export interface Seeking {
  reason: string;
  kind: ClaimKind;
  since: number;
  retryAt?: number; // a refused claim's backoff ends then: the view needs a tick to try it again
}

// Another node as its last presence described it.
export interface Member {
  role: PresenceRole;
  epoch: number;
  advbaseMs: number;
  advskew: number;
  deadratio: number;
  eligible: boolean;
  voter: boolean;
  witness: boolean;
  preempt: boolean;
  released: boolean; // it heard the resign of the master it follows (of `epoch`)
  prepared: boolean; // named by the releasing master it follows (of `epoch`), its prepare hooks passed
  incarnation: number;
  beat: number; // its clock when it sent the last presence we heard
  dataVersion: bigint | undefined;
  versionFailing: boolean;
  supports: string | undefined;
  supportIncarnation: number;
  echo: number;
  heardAt: number; // our clock
}

// Whom this node supports as master (itself included): at most one at a time (Corosync votequorum gives
// each node one vote; here the vote also names its master).
export interface Support {
  address: string;
  incarnation: number; // of that node's run; a new run is another claimant
  heardAt: number; // when we last heard that run (our clock): the hold runs from here
  beat: number; // its latest beat we heard, echoed back in our presence
  wasMaster: boolean; // we heard it as master or releasing: only its resign or its silence frees us
}

export interface View {
  members: Record<string, Member>;
  support: Support | undefined;
  // A backup that would claim mastership (its master is down or resigned) but waits for a quorum.
  seeking: Seeking | undefined;
  lastPresenceAt: number; // when this node last sent a presence (a reply to its master waits half an interval)
  dropAt: number | undefined; // Infinity: the VIP was dropped at once (quorum lost) in this mastership
  dataVersion: bigint | undefined; // --data-version's last good number
  versionFailing: string | undefined; // why the last run of --data-version gave no number
  // The newest data version heard from a master (or a releasing one) and whose it was: kept after that master
  // goes silent, so a standby whose own copy fell behind can tell (hooks get it; a witness relays it).
  lastMaster: { address: string; epoch: number; version: bigint } | undefined;
  // A -z release whose service stopped, still holding the VIP until a standby is prepared (ready-standby.ts).
  handoff: Handoff | undefined;
}

// A prepared handover on the releasing master: since when its service is stopped, its final data version
// (--data-version), the standby it names, and, once the VIP removal is under way, why it resigns.
export interface Handoff {
  since: number;
  final: bigint | undefined;
  successor?: string;
  moving?: string;
}

export function emptyView(): View {
  return { members: {}, support: undefined, seeking: undefined, lastPresenceAt: -Infinity, dropAt: undefined, dataVersion: undefined, versionFailing: undefined, lastMaster: undefined, handoff: undefined };
}
