// The election's vocabulary: settings, state, events and effects. Types only; the rules are in
// machine.ts (events), hearing.ts (adverts heard) and transitions.ts (role changes).
import type { Advert } from '../protocol/advert.js';
import type { Candidate } from './timing.js';
import type { ClusterSettings, Seeking, View } from './view.js';

// 'releasing' is a master that is giving the VIP up in order: it keeps advertising while its down hooks
// run, so nobody promotes while the service is still stopping (Pacemaker's stop-then-start order).
export type Role = 'init' | 'backup' | 'master' | 'releasing' | 'stopped';

export interface Settings {
  self: string; // --srcip
  vip: string;
  vhid: number;
  advbaseMs: number;
  advskew: number;
  deadratio: number;
  preempt: boolean;
  neutral: boolean; // -n: no down hooks on the startup INIT → BACKUP transition (ucarp)
  shutdownHooks: boolean; // -z: give the VIP up in order on SIGTERM/SIGINT (ucarp runs the down script)
  cooldownMs: number; // how long a node that gave up (failed up hook, SIGUSR2) stays out of the election
  // Adverts per advert interval, sent as a short burst (adverts.ts, 20 ms apart) at the start of each interval:
  // with 2, a lossy link must drop 2 × deadratio adverts in a row before a backup promotes. 1 is ucarp's
  // rate; the election timing is the same either way.
  advertsPerInterval: number;
  takeoverCheck: boolean; // --takeover-check given: a backup asks the checks before it promotes
  fence: boolean; // --fence given: a backup fences the master it lost before it promotes after a failure
  preemptDelayMs: number; // keepalived preempt_delay: a -P node waits this long after it could first take part
  minDwellMs: number; // a -P node preempts a master only once it has heard that master hold for this long
  // Pacemaker migration-threshold / failure-timeout: this many failed masterships within the window
  // keep the node out (bar 'failures') for the timeout (0: until `floatd clear`); a threshold of 0 never does.
  failureThreshold: number;
  failureWindowMs: number;
  failureTimeoutMs: number;
  cluster?: ClusterSettings; // presence, membership and quorum (view.ts); absent: ucarp's silent backups
}

// The reasons a node may be kept from mastership: its link (interface down, adverts cannot be sent), a
// failing health check (--check, fault mode), operator standby (`floatd standby`), too many failed masterships.
export type Bar = 'link' | 'health' | 'standby' | 'failures';

// The master this node last heard, or itself when master.
export interface Peer extends Candidate {
  epoch: number;
  resigned: boolean;
  unclean?: boolean; // its resign said its stop failed: it may still hold its service
}

export interface State {
  role: Role;
  since: number;
  reason: string;
  epoch: number; // epoch of this node's current or last mastership
  maxEpochSeen: number;
  master: Peer | undefined;
  nextAdvertAt: number | undefined; // master, releasing
  burst: { start: number; left: number }; // current advert interval: when it began, copies still to send
  masterDownAt: number | undefined; // backup
  holdUntil: number; // no promotion before this (cooldown)
  // Why this node may not be master now (bar → detail): any one keeps it out and makes a master step down.
  bars: Partial<Record<Bar, string>>;
  skewWeight: number; // added to --advskew in what this node advertises and in its own timing (health checks)
  serving: boolean; // up hooks finished for the current mastership
  // Why the release of this node's current or last mastership failed (a down hook or the VIP removal):
  // its resign says so, the next master probes and fences it, and a stop after it exits non-zero.
  unclean: string | undefined;
  // A backup named by its releasing master to take over: its prepare hooks run (or ran) while the old master
  // still holds the VIP (prepared-handover.ts).
  prepare: Preparation | undefined;
  exitAfterRelease: boolean;
  checking: Checking | undefined; // backup: the takeover checks run
  checkFailures: number; // refusals in a row, for the backoff
  failures: number[]; // when this node's recent masterships failed (up hook, VIP, service check), oldest first
  failuresClearAt: number | undefined; // when the 'failures' bar lifts by itself (--failure-timeout)
  eligibleSince: number; // when this node last became a backup free to take part (for --preempt-delay)
  masterHeardSince: number | undefined; // backup: when it first heard its master in that master's epoch (--min-dwell)
  handover: Handover | undefined; // master: waiting for the master it preempted to let go
  view: View; // the other nodes as their presence describes them, and whom this node supports
}

// What a backup is waiting for while its takeover checks run (takeover-gate.ts): the epoch it would claim
// and why it would promote.
export interface Checking {
  epoch: number;
  reason: string;
  from?: Peer; // a live master this claim preempts: it must hand over first
  parked?: Seeking; // the claim as the cluster view held it: a refusal parks it again, for the backoff's retry
}

// What a named standby prepares for: the releasing master (address, epoch), the epoch it will claim (its
// hooks carry it), and how far it got: its gate asked, its prepare hooks running, passed, or it gave up.
export interface Preparation {
  from: string;
  fromEpoch: number;
  epoch: number;
  stage: 'checking' | 'running' | 'ready' | 'failed';
}

// A preempting master holds its service back (prepare, VIP, up hooks) until the master it preempted has
// let go: its resign, or its silence for a master-down interval (it died half-way).
export interface Handover {
  from: string;
  until: number; // silence deadline, moved on by each advert of the old master
  reason: string;
}

export type Event =
  | { type: 'start' }
  | { type: 'tick' }
  // behind: authentic but older than adverts already accepted from that sender (its clock went back or
  // its state was lost, or a replay): it may keep this node from mastership, never give it mastership.
  | { type: 'advert'; advert: Advert; behind?: boolean }
  | { type: 'up-complete'; epoch: number }
  | { type: 'up-failed'; epoch: number; detail: string }
  // The master's own service check failed (--check on=master): give the VIP up in order, like a failed up hook;
  // detail names the check and how it failed.
  | { type: 'service-failed'; epoch: number; detail: string }
  // `floatd clear`: forget the failed masterships and lift the 'failures' bar.
  | { type: 'clear' }
  | { type: 'released'; epoch: number }
  // A down hook or the VIP removal of a release failed: the stop is not clean (detail: which and how).
  | { type: 'stop-failed'; epoch: number; detail: string }
  // released.d/ finished after an orderly shutdown: the agent may exit now.
  | { type: 'tidied' }
  | { type: 'shutdown' }
  | { type: 'demote' }
  // `detail` says why the node cannot take part when it is not the interface itself: 'cannot send adverts: EPERM'.
  | { type: 'link'; up: boolean; detail?: string }
  | { type: 'bar'; bar: Bar; detail: string }
  | { type: 'unbar'; bar: Bar }
  // A new weight on this node's advskew (a failing health check makes it less preferred).
  | { type: 'skew'; weight: number }
  // prepare: the verdict of the gate a named standby asks before it prepares (prepared-handover.ts).
  | { type: 'checked'; epoch: number; ok: boolean; detail: string; prepare?: true }
  // A releasing master's down hooks are done, its VIP still held (a prepared handover waits for a standby).
  | { type: 'service-stopped'; epoch: number }
  // A named standby's prepare hooks passed (epoch: the one it will claim).
  | { type: 'prepared'; epoch: number }
  // --data-version's reading: a number, or why there is none (freshness.ts).
  | { type: 'data-version'; version?: bigint; problem?: string };

// Why a backup claims, as its takeover gate is told (FLOATD_CLAIM): the master it followed went silent (it may
// still hold the VIP: probe it), resigned with an authenticated resign (it stopped its service and dropped the VIP
// before it sent it: nothing to probe), resigned after a failed stop (unclean: its service or the VIP may still be
// there: probe and fence it, as for a silent one), or is alive and preempted (it hands over in order before this
// node serves).
export type Claim = 'silent' | 'resigned' | 'unclean' | 'preempt';

// What hooks are told about the transition they belong to (FLOATD_STATE, FLOATD_PREVIOUS_STATE, FLOATD_REASON).
export interface HookContext {
  state: 'MASTER' | 'BACKUP' | 'STOPPED';
  previous: 'INIT' | 'BACKUP' | 'MASTER';
  reason: string;
}

// Effects are carried out by the driver. 'send', 'cancel-up' and 'exit' act at once; the others run one
// after another in emission order, and a failed up hook drops the rest of its mastership's up work.
export type Effect =
  // advskew: what this node advertises now (--advskew plus the weight), owned by the machine.
  // unclean: a resign after a failed stop (protocol type 4).
  | { kind: 'send'; type: 'advert' | 'resign' | 'presence'; epoch: number; advskew: number; unclean?: true }
  // Quorum: the VIP goes at once, before any queued work (a master that lost its majority stops answering first).
  | { kind: 'drop-vip'; epoch: number }
  // released: the hooks directory's released.d/, after the VIP is gone and the resign sent (tidying up only).
  | { kind: 'hooks'; phase: 'prepare' | 'up' | 'down' | 'released'; group: 'script' | 'dir'; epoch: number; context: HookContext }
  // The takeover gate: the checks, then (fence set) fencing of the master this node lost; target is that
  // master's address when this node heard it, else the driver looks it up in the run record.
  // claim: what the gate may rely on (FLOATD_CLAIM), see Claim.
  // prepare: the gate of a named standby before it prepares (no fencing: its master stopped its service).
  | { kind: 'check'; epoch: number; context: HookContext; claim: Claim; fence?: { target: string | undefined }; prepare?: true }
  | { kind: 'vip'; op: 'add' | 'remove'; epoch: number }
  | { kind: 'garp'; epoch: number }
  | { kind: 'report'; event: Event }
  | { kind: 'cancel-up' }
  // A fresh --data-version reading now, one under way discarded (a master whose service just stopped).
  | { kind: 'measure-version' }
  | { kind: 'exit'; code: number };

export interface Step {
  state: State;
  effects: Effect[];
}
