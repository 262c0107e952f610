// The one owner of role changes: enter() emits the exit effects of the old role and the entry effects of
// the new one, always in the same order, and entering the role a node already has is a no-op (ucarp
// carp.c set_state). Every transition of the machine goes through it. Pure.
import { nextAdvert } from './adverts.js';
import { masterDownIntervalMs } from './timing.js';
import type { Effect, HookContext, Peer, Role, Settings, State, Step } from './types.js';

// Where a node goes, with what that transition needs to know.
export type Target =
  | { role: 'backup' } // from INIT (start), MASTER (its link is gone), RELEASING (release done)
  | { role: 'master'; from?: Peer } // from BACKUP; from: the live master it preempts, which hands over first
  | { role: 'releasing'; exitAfter: boolean } // from MASTER: give the VIP up in order, then BACKUP or STOPPED
  | { role: 'stopped'; released?: boolean }; // from anywhere; released: the VIP went in order, resign first

// Moves `state` to the target role with its effects; a no-op for the same role or a move the election never makes.
export function enter(cfg: Settings, state: State, to: Target, now: number, reason: string): Step {
  if (to.role === state.role) return same(state);
  switch (to.role) {
    case 'master':
      return state.role === 'backup' ? promote(cfg, state, to.from, now, reason) : same(state);
    case 'backup':
      if (state.role === 'init') return startAsBackup(cfg, state, now, reason);
      if (state.role === 'master') return demote(cfg, state, now, reason);
      // Resign only once the VIP is gone, so the next node never finds it still here (VRRP priority-0 advert);
      // then the tidying up that no new master waits for.
      if (state.role === 'releasing') return { state: toBackup(cfg, state, now, reason), effects: [resign(cfg, state), releasedHooks(state.epoch, { state: 'BACKUP', previous: 'MASTER', reason })] };
      return same(state);
    case 'releasing':
      return state.role === 'master' ? release(cfg, { ...state, exitAfterRelease: to.exitAfter }, now, reason) : same(state);
    case 'stopped': {
      // After an orderly release: resign, tidy up, then exit (the report comes back once released.d/ is done).
      if (to.released) return { state: transition(state, 'stopped', now, reason), effects: [resign(cfg, state), releasedHooks(state.epoch, { state: 'STOPPED', previous: 'MASTER', reason }), { kind: 'report', event: { type: 'tidied' } }] };
      return { state: transition(state, 'stopped', now, reason), effects: [{ kind: 'exit', code: 0 }] };
    }
    default:
      return assertNever(to);
  }
}

// INIT → BACKUP: the down hooks (ucarp runs its down script at start; -n skips them), then a VIP left
// behind by a crashed earlier run goes, then released.d/, before this node joins the election.
function startAsBackup(cfg: Settings, state: State, now: number, reason: string): Step {
  const context: HookContext = { state: 'BACKUP', previous: 'INIT', reason };
  const vip: Effect = { kind: 'vip', op: 'remove', epoch: state.epoch };
  return { state: toBackup(cfg, state, now, reason), effects: cfg.neutral ? [vip] : [...downHooks(state.epoch, context), vip, releasedHooks(state.epoch, context)] };
}

// The resign says whether the stop failed (the next master then probes and fences this node).
function resign(cfg: Settings, state: State): Effect {
  const e: Effect = { kind: 'send', type: 'resign', epoch: state.epoch, advskew: cfg.advskew };
  return state.unclean === undefined ? e : { ...e, unclean: true };
}

// BACKUP → MASTER. Entry effects in a fixed order: advert (claim at once), then the service (below). When
// it preempts a live master the service waits for that master's handover (handover.ts): stop before start.
function promote(cfg: Settings, state: State, from: Peer | undefined, now: number, reason: string): Step {
  const epoch = state.maxEpochSeen + 1;
  // The claim below is the first advert of the first interval.
  const next = nextAdvert(
    cfg,
    {
      ...transition(state, 'master', now, reason),
      epoch,
      maxEpochSeen: epoch,
      master: { advbaseMs: cfg.advbaseMs, advskew: cfg.advskew, address: cfg.self, epoch, resigned: false },
      masterDownAt: undefined,
      burst: { start: now, left: 0 },
      serving: false,
      unclean: undefined,
      handover: from === undefined ? undefined : { from: from.address, until: now + masterDownIntervalMs(from, cfg.deadratio), reason },
    },
    now,
  );
  const claimAdvert: Effect = { kind: 'send', type: 'advert', epoch, advskew: cfg.advskew };
  // A standby prepared for this claim (a prepared handover) starts the rest of its service only.
  const service = serviceEffects(epoch, reason).filter((e) => !(preparedFor(state, epoch) && e.kind === 'hooks' && e.phase === 'prepare'));
  return { state: { ...next, prepare: undefined }, effects: from === undefined ? [claimAdvert, ...service] : [claimAdvert] };
}

// Whether a promotion finds its prepare hooks run (or running) for the epoch it claims: a standby named
// in a prepared handover (prepared-handover.ts).
export function preparedFor(state: State, epoch: number): boolean {
  const p = state.prepare;
  return p !== undefined && p.epoch === epoch && (p.stage === 'running' || p.stage === 'ready');
}

// A new master's service: prepare.d (service before address: the RHEL NFS-HA order), ucarp -u script, VIP,
// GARP, up.d, then the completion report (keepalived vrrp_state_become_master order: VIPs → GARP →
// notify). A failure before the VIP rolls back without it.
export function serviceEffects(epoch: number, reason: string): Effect[] {
  const context: HookContext = { state: 'MASTER', previous: 'BACKUP', reason };
  return [
    { kind: 'hooks', phase: 'prepare', group: 'dir', epoch, context },
    { kind: 'hooks', phase: 'up', group: 'script', epoch, context },
    { kind: 'vip', op: 'add', epoch },
    { kind: 'garp', epoch },
    { kind: 'hooks', phase: 'up', group: 'dir', epoch, context },
    { kind: 'report', event: { type: 'up-complete', epoch } },
  ];
}

// MASTER → BACKUP because its link is gone (it cannot advertise): stop at once, then undo in reverse order.
function demote(cfg: Settings, state: State, now: number, reason: string): Step {
  const context: HookContext = { state: 'BACKUP', previous: 'MASTER', reason };
  return { state: toBackup(cfg, state, now, reason), effects: [...undo(state.epoch, context), releasedHooks(state.epoch, context)] };
}

// MASTER → RELEASING: keep advertising while the down hooks run, remove the VIP, then report back so
// the resign goes out last. A prepared handover keeps the VIP after the down hooks: it goes once a standby
// is prepared (ready-standby.ts).
function release(cfg: Settings, state: State, now: number, reason: string): Step {
  const context: HookContext = { state: state.exitAfterRelease ? 'STOPPED' : 'BACKUP', previous: 'MASTER', reason };
  const next = { ...transition(state, 'releasing', now, reason), serving: false, handover: undefined };
  if (handsOverPrepared(cfg, state)) return { state: next, effects: [{ kind: 'cancel-up' }, ...downHooks(state.epoch, context), { kind: 'report', event: { type: 'service-stopped', epoch: state.epoch } }] };
  return { state: next, effects: [...undo(state.epoch, context), { kind: 'report', event: { type: 'released', epoch: state.epoch } }] };
}

// A -z shutdown with the cluster view hands over to a prepared standby: the peers' presence says who can.
export function handsOverPrepared(cfg: Settings, state: State): boolean {
  return state.exitAfterRelease && cfg.shutdownHooks && cfg.cluster !== undefined && !cfg.cluster.witness;
}

// A mastership undone: its up work cancelled, the down hooks, the VIP removed.
function undo(epoch: number, context: HookContext): Effect[] {
  return [{ kind: 'cancel-up' }, ...downHooks(epoch, context), { kind: 'vip', op: 'remove', epoch }];
}

// Down hooks mirror the up order: the hooks directory first, the ucarp -d script (which often removes the VIP itself) last.
function downHooks(epoch: number, context: HookContext): Effect[] {
  return [
    { kind: 'hooks', phase: 'down', group: 'dir', epoch, context },
    { kind: 'hooks', phase: 'down', group: 'script', epoch, context },
  ];
}

// What tidies up after a mastership (hooks directory only: ucarp's -d script stays a down hook, before the resign).
function releasedHooks(epoch: number, context: HookContext): Effect {
  return { kind: 'hooks', phase: 'released', group: 'dir', epoch, context };
}

// A new backup follows nobody until it hears a master.
function toBackup(cfg: Settings, state: State, now: number, reason: string): State {
  return {
    ...transition(state, 'backup', now, reason),
    master: undefined,
    nextAdvertAt: undefined,
    masterDownAt: now + masterDownIntervalMs(cfg, cfg.deadratio),
    masterHeardSince: undefined,
    eligibleSince: now,
    handover: undefined,
    serving: false,
    exitAfterRelease: false,
  };
}

function transition(state: State, role: Role, now: number, reason: string): State {
  return { ...state, role, since: now, reason };
}

// A step that changes nothing but the state.
export function same(state: State): Step {
  return { state, effects: [] };
}

// The effects of two steps in order, the state of the second.
export function after(first: Step, second: Step): Step {
  return { state: second.state, effects: [...first.effects, ...second.effects] };
}

function assertNever(x: never): never {
  throw new Error(`unhandled target: ${JSON.stringify(x)}`);
}
