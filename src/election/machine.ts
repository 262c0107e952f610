// The election core: step(state, event, now) → { state, effects }. Pure — no IO, no clock; `now` is
// monotonic milliseconds supplied by the driver, which also carries out the effects in order.
import type { Advert } from '../protocol/advert.js';
import {
  advertIntervalMs,
  comparePreference,
  formatMs,
  masterDownIntervalMs,
  resignDelayMs,
  type Candidate,
} from './timing.js';
import { checkBackoffMs, type Checking } from './takeover-gate.js';

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
  // Adverts per advert interval, sent as a short burst (COPY_GAP_MS apart) at the start of each interval:
  // with 2, a lossy link must drop 2 × deadratio adverts in a row before a backup promotes. 1 is ucarp's
  // rate; the election timing is the same either way.
  advertsPerInterval: number;
  takeoverCheck: boolean; // --takeover-check given: a backup asks the checks before it promotes
}

// The master this node last heard, or itself when master.
export interface Peer extends Candidate {
  epoch: number;
  resigned: boolean;
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
  linkUp: boolean; // the interface is up and adverts can be sent: a node that cannot advertise must not be master
  serving: boolean; // up hooks finished for the current mastership
  exitAfterRelease: boolean;
  checking: Checking | undefined; // backup: the takeover checks run
  checkFailures: number; // refusals in a row, for the backoff
}

export type Event =
  | { type: 'start' }
  | { type: 'tick' }
  // behind: authentic but older than adverts already accepted from that sender (its clock went back or
  // its state was lost, or a replay): it may keep this node from mastership, never give it mastership.
  | { type: 'advert'; advert: Advert; behind?: boolean }
  | { type: 'up-complete'; epoch: number }
  | { type: 'up-failed'; epoch: number; detail: string }
  | { type: 'released'; epoch: number }
  | { type: 'shutdown' }
  | { type: 'demote' }
  // `detail` says why the node cannot take part when it is not the interface itself: 'cannot send adverts: EPERM'.
  | { type: 'link'; up: boolean; detail?: string }
  | { type: 'checked'; epoch: number; ok: boolean; detail: string };

// What hooks are told about the transition they belong to (FLOATD_STATE, FLOATD_PREVIOUS_STATE, FLOATD_REASON).
export interface HookContext {
  state: 'MASTER' | 'BACKUP' | 'STOPPED';
  previous: 'INIT' | 'BACKUP' | 'MASTER';
  reason: string;
}

// Effects are carried out by the driver. 'send', 'cancel-up' and 'exit' act at once; the others run one
// after another in emission order, and a failed up hook drops the rest of its mastership's up work.
export type Effect =
  | { kind: 'send'; type: 'advert' | 'resign'; epoch: number }
  | { kind: 'hooks'; phase: 'prepare' | 'up' | 'down'; group: 'script' | 'dir'; epoch: number; context: HookContext }
  | { kind: 'check'; epoch: number; context: HookContext }
  | { kind: 'vip'; op: 'add' | 'remove'; epoch: number }
  | { kind: 'garp'; epoch: number }
  | { kind: 'report'; event: Event }
  | { kind: 'cancel-up' }
  | { kind: 'exit'; code: number };

export interface Step {
  state: State;
  effects: Effect[];
}

// A fresh node, before 'start'. `maxEpochSeen` comes from the state file so a restarted node never
// reuses an epoch it already handed out.
export function initialState(now: number, maxEpochSeen = 0): State {
  return {
    role: 'init',
    since: now,
    reason: 'starting',
    epoch: maxEpochSeen,
    maxEpochSeen,
    master: undefined,
    nextAdvertAt: undefined,
    burst: { start: now, left: 0 },
    masterDownAt: undefined,
    holdUntil: 0,
    linkUp: true,
    serving: false,
    exitAfterRelease: false,
    checking: undefined,
    checkFailures: 0,
  };
}

// The single entry point of the election.
export function step(cfg: Settings, state: State, event: Event, now: number): Step {
  switch (event.type) {
    case 'start':
      return start(cfg, state, now);
    case 'tick':
      return tick(cfg, state, now);
    case 'advert':
      return onAdvert(cfg, { ...state, maxEpochSeen: Math.max(state.maxEpochSeen, event.advert.epoch) }, event.advert, event.behind === true, now);
    case 'up-complete':
      return state.role === 'master' && state.epoch === event.epoch ? same({ ...state, serving: true }) : same(state);
    case 'up-failed':
      // Already releasing: the down work is queued; a second release would run it twice.
      if (state.role !== 'master' || state.epoch !== event.epoch) return same(state);
      return release(cfg, { ...state, holdUntil: now + cfg.cooldownMs }, now, `up hook failed: ${event.detail}`);
    case 'released':
      return onReleased(cfg, state, event.epoch, now);
    case 'shutdown':
      return onShutdown(cfg, state, now);
    case 'demote':
      return onDemote(cfg, state, now);
    case 'checked':
      return onChecked(cfg, state, event, now);
    case 'link':
      return onLink(cfg, state, event.up, now, event.detail ?? 'interface is down');
    default:
      return assertNever(event);
  }
}

// When the driver must next deliver a 'tick'; undefined means only other events can change anything.
export function nextDeadline(state: State): number | undefined {
  switch (state.role) {
    case 'master':
    case 'releasing':
      return state.nextAdvertAt;
    case 'backup':
      if (!state.linkUp || state.masterDownAt === undefined || state.checking) return undefined;
      return Math.max(state.masterDownAt, state.holdUntil);
    case 'init':
    case 'stopped':
      return undefined;
    default:
      return assertNever(state.role);
  }
}

// This node as a candidate, for preference comparisons.
export function selfCandidate(cfg: Settings): Candidate {
  return { advbaseMs: cfg.advbaseMs, advskew: cfg.advskew, address: cfg.self };
}

function start(cfg: Settings, state: State, now: number): Step {
  if (state.role !== 'init') return same(state);
  const reason = 'started';
  const down = cfg.neutral ? [] : downHooks(state.epoch, { state: 'BACKUP', previous: 'INIT', reason });
  // A VIP left behind by a crashed earlier run goes before this node joins the election.
  const effects: Effect[] = [...down, { kind: 'vip', op: 'remove', epoch: state.epoch }];
  return {
    state: toBackup(cfg, state, now, reason, undefined),
    effects,
  };
}

function tick(cfg: Settings, state: State, now: number): Step {
  switch (state.role) {
    case 'master':
    case 'releasing':
      if (state.nextAdvertAt === undefined || now < state.nextAdvertAt) return same(state);
      return {
        state: nextAdvert(cfg, state, now),
        effects: [{ kind: 'send', type: 'advert', epoch: state.epoch }],
      };
    case 'backup': {
      const due = nextDeadline(state);
      if (due === undefined || now < due) return same(state);
      return claim(cfg, state, now, masterDownReason(cfg, state));
    }
    case 'init':
    case 'stopped':
      return same(state);
    default:
      return assertNever(state.role);
  }
}

function masterDownReason(cfg: Settings, state: State): string {
  const m = state.master;
  if (m?.resigned) return `master ${m.address} resigned`;
  const silence = formatMs(masterDownIntervalMs(cfg, cfg.deadratio));
  return m ? `master down: no advert from ${m.address} for ${silence}` : `no master heard for ${silence}`;
}

function onAdvert(cfg: Settings, state: State, a: Advert, behind: boolean, now: number): Step {
  const them: Peer = { advbaseMs: a.advbaseMs, advskew: a.advskew, address: a.sender, epoch: a.epoch, resigned: false };
  switch (state.role) {
    case 'backup':
      // A behind advert cannot be told from a replay: it only proves that a master may be alive, so it is
      // followed like any advert, but never preempted, and a behind resign hands nothing over.
      if (behind) return a.type === 'resign' ? same(state) : backupFollows(cfg, state, them, now);
      return a.type === 'resign' ? backupHearsResign(cfg, state, them, now) : backupHearsAdvert(cfg, state, them, now);
    case 'master':
      // Behind or not, another master's advert can only make this one step down.
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
  return same({ ...state, master: { ...them, resigned: true }, masterDownAt: now + resignDelayMs(cfg.advskew, cfg.advbaseMs) });
}

// ucarp carp.c BACKUP: any advert from a master restarts the master-down timer; a takeover check under
// way is moot then and is cancelled.
function backupFollows(cfg: Settings, state: State, them: Peer, now: number): Step {
  return withoutCheck({ ...state, master: them, masterDownAt: now + masterDownIntervalMs(cfg, cfg.deadratio) });
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
    return after(followed, claim(cfg, next, now, `preempting ${them.address} (interval ${formatMs(mine)} < ${formatMs(theirs)})`));
  }
  // ucarp carp.c BACKUP: a master advertising slower than our dead interval is bound to time out; take over now.
  const dead = masterDownIntervalMs(cfg, cfg.deadratio);
  if (theirs > dead) {
    return after(followed, claim(cfg, next, now, `master ${them.address} advertises every ${formatMs(theirs)}, beyond our dead interval ${formatMs(dead)}`));
  }
  return followed;
}

// BACKUP → MASTER goes through the takeover gate when there is one: ask the checks first.
function claim(cfg: Settings, state: State, now: number, reason: string): Step {
  if (!cfg.takeoverCheck) return promote(cfg, state, now, reason);
  if (state.checking) return same(state);
  const epoch = state.maxEpochSeen + 1;
  return {
    state: { ...state, checking: { epoch, reason } },
    effects: [{ kind: 'check', epoch, context: { state: 'MASTER', previous: 'BACKUP', reason } }],
  };
}

// The checks' verdict: promote, or stay BACKUP for the backoff. A verdict for a check that was cancelled
// (a master was heard) or overtaken is ignored.
function onChecked(cfg: Settings, state: State, e: Extract<Event, { type: 'checked' }>, now: number): Step {
  const c = state.checking;
  if (state.role !== 'backup' || c === undefined || c.epoch !== e.epoch) return same(state);
  const cleared = { ...state, checking: undefined };
  if (e.ok) return promote(cfg, { ...cleared, checkFailures: 0 }, now, c.reason);
  const failures = state.checkFailures + 1;
  const wait = checkBackoffMs(failures);
  return same({ ...cleared, checkFailures: failures, holdUntil: Math.max(state.holdUntil, now + wait), reason: `takeover check refused (${e.detail}): staying BACKUP, next try in ${formatMs(wait)}` });
}

function withoutCheck(state: State): Step {
  if (!state.checking) return same(state);
  return { state: { ...state, checking: undefined }, effects: [{ kind: 'cancel-up' }] };
}

// The effects of two steps in order, the state of the second.
function after(first: Step, second: Step): Step {
  return { state: second.state, effects: [...first.effects, ...second.effects] };
}

function masterHearsAdvert(cfg: Settings, state: State, them: Peer, now: number): Step {
  // Two masters: the more recent promotion (higher epoch) holds the newer data and wins; preference only
  // breaks equal epochs. A frozen or partitioned master that comes back therefore steps down.
  if (them.epoch > state.epoch) {
    return demote(cfg, state, them, now, `newer master ${them.address} (epoch ${them.epoch} > ${state.epoch})`);
  }
  if (them.epoch === state.epoch && comparePreference(them, selfCandidate(cfg)) < 0) {
    const [theirs, mine] = [advertIntervalMs(them), advertIntervalMs(cfg)];
    const why =
      theirs === mine ? 'equal interval, higher address'
      : them.advbaseMs === cfg.advbaseMs ? `advskew ${them.advskew} < ${cfg.advskew}`
      : `interval ${formatMs(theirs)} < ${formatMs(mine)}`;
    return demote(cfg, state, them, now, `preempted by ${them.address} (${why})`);
  }
  return same(state);
}

function onReleased(cfg: Settings, state: State, epoch: number, now: number): Step {
  if (state.role !== 'releasing' || state.epoch !== epoch) return same(state);
  // Resign only once the VIP is gone, so the next node never finds it still here (VRRP priority-0 advert).
  const resign: Effect = { kind: 'send', type: 'resign', epoch };
  if (state.exitAfterRelease) {
    return { state: transition(state, 'stopped', now, 'shutdown complete'), effects: [resign, { kind: 'exit', code: 0 }] };
  }
  return { state: toBackup(cfg, state, now, state.reason, undefined), effects: [resign] };
}

function onShutdown(cfg: Settings, state: State, now: number): Step {
  const exit: Effect = { kind: 'exit', code: 0 };
  switch (state.role) {
    case 'master':
      // Without -z ucarp just exits and leaves the VIP in place; a restarted floatd removes it.
      if (!cfg.shutdownHooks) return { state: transition(state, 'stopped', now, 'shutdown (no -z: VIP left in place)'), effects: [exit] };
      return release(cfg, { ...state, exitAfterRelease: true }, now, 'shutdown requested');
    case 'releasing':
      if (!state.exitAfterRelease && cfg.shutdownHooks) return same({ ...state, exitAfterRelease: true });
      // A second signal (or no -z) means "now": leave without waiting for the down hooks, as ucarp would.
      return { state: transition(state, 'stopped', now, 'shutdown requested while releasing: exiting now'), effects: [exit] };
    case 'init':
    case 'backup':
      return { state: transition(state, 'stopped', now, 'shutdown requested'), effects: [exit] };
    case 'stopped':
      return same(state);
    default:
      return assertNever(state.role);
  }
}

function onDemote(cfg: Settings, state: State, now: number): Step {
  const held = { ...state, holdUntil: now + cfg.cooldownMs };
  if (state.role === 'master') return release(cfg, held, now, `demoted by SIGUSR2 for ${formatMs(cfg.cooldownMs)}`);
  return withoutCheck(held);
}

function onLink(cfg: Settings, state: State, up: boolean, now: number, why: string): Step {
  if (up === state.linkUp) return same(state);
  if (up) {
    const masterDownAt = state.role === 'backup' ? now + masterDownIntervalMs(cfg, cfg.deadratio) : state.masterDownAt;
    return same({ ...state, linkUp: true, masterDownAt });
  }
  const down = { ...state, linkUp: false };
  if (state.role === 'master') return demote(cfg, down, undefined, now, why);
  return withoutCheck(down);
}

// Adverts go out as a burst of copies at the start of each interval, COPY_GAP_MS apart: a crash is still
// detected from the interval's first advert (as ucarp's single one), and one lost packet costs nothing.
function nextAdvert(cfg: Settings, state: State, now: number): State {
  const interval = advertIntervalMs(cfg);
  const copies = Math.max(1, cfg.advertsPerInterval);
  const burst = state.burst.left > 0 ? { start: state.burst.start, left: state.burst.left - 1 } : { start: now, left: copies - 1 };
  const gap = Math.min(COPY_GAP_MS, interval / copies);
  return { ...state, burst, nextAdvertAt: burst.left > 0 ? now + gap : burst.start + interval };
}
const COPY_GAP_MS = 20;

function mayPromote(state: State, now: number): boolean {
  return state.linkUp && now >= state.holdUntil;
}

// BACKUP → MASTER. Entry effects in a fixed order: advert (claim at once), prepare.d (service before address:
// the RHEL NFS-HA order), ucarp -u script, VIP, GARP, up.d, then the completion report (keepalived
// vrrp_state_become_master order: VIPs → GARP → notify). A failure before the VIP rolls back without it.
function promote(cfg: Settings, state: State, now: number, reason: string): Step {
  const epoch = state.maxEpochSeen + 1;
  const context: HookContext = { state: 'MASTER', previous: 'BACKUP', reason };
  // The claim below is the first advert of the first interval.
  const next = nextAdvert(
    cfg,
    {
      ...transition(state, 'master', now, reason),
      epoch,
      maxEpochSeen: epoch,
      master: { ...selfCandidate(cfg), epoch, resigned: false },
      masterDownAt: undefined,
      burst: { start: now, left: 0 },
      serving: false,
    },
    now,
  );
  return {
    state: next,
    effects: [
      { kind: 'send', type: 'advert', epoch },
      { kind: 'hooks', phase: 'prepare', group: 'dir', epoch, context },
      { kind: 'hooks', phase: 'up', group: 'script', epoch, context },
      { kind: 'vip', op: 'add', epoch },
      { kind: 'garp', epoch },
      { kind: 'hooks', phase: 'up', group: 'dir', epoch, context },
      { kind: 'report', event: { type: 'up-complete', epoch } },
    ],
  };
}

// MASTER → BACKUP because another master wins: stop advertising at once, then undo in reverse order.
function demote(cfg: Settings, state: State, winner: Peer | undefined, now: number, reason: string): Step {
  return {
    state: toBackup(cfg, state, now, reason, winner),
    effects: [{ kind: 'cancel-up' }, ...downHooks(state.epoch, { state: 'BACKUP', previous: 'MASTER', reason }), { kind: 'vip', op: 'remove', epoch: state.epoch }],
  };
}

// MASTER → RELEASING: keep advertising while the down hooks run, remove the VIP, then report back so
// the resign goes out last.
function release(cfg: Settings, state: State, now: number, reason: string): Step {
  const target = state.exitAfterRelease ? 'STOPPED' : 'BACKUP';
  return {
    state: { ...transition(state, 'releasing', now, reason), serving: false },
    effects: [
      { kind: 'cancel-up' },
      ...downHooks(state.epoch, { state: target, previous: 'MASTER', reason }),
      { kind: 'vip', op: 'remove', epoch: state.epoch },
      { kind: 'report', event: { type: 'released', epoch: state.epoch } },
    ],
  };
}

// Down hooks mirror the up order: the hooks directory first, the ucarp -d script (which often removes the VIP itself) last.
function downHooks(epoch: number, context: HookContext): Effect[] {
  return [
    { kind: 'hooks', phase: 'down', group: 'dir', epoch, context },
    { kind: 'hooks', phase: 'down', group: 'script', epoch, context },
  ];
}

function toBackup(cfg: Settings, state: State, now: number, reason: string, master: Peer | undefined): State {
  return {
    ...transition(state, 'backup', now, reason),
    master,
    nextAdvertAt: undefined,
    masterDownAt: now + masterDownIntervalMs(cfg, cfg.deadratio),
    serving: false,
    exitAfterRelease: false,
  };
}

function transition(state: State, role: Role, now: number, reason: string): State {
  return { ...state, role, since: now, reason };
}

function same(state: State): Step {
  return { state, effects: [] };
}

function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
