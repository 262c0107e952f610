// The standby's side of a prepared handover (ready-standby.ts is the master's): a backup whose releasing
// master names it (the master's presence supports it) asks its takeover gate and runs its prepare hooks
// while it is still BACKUP and the old master still holds the VIP; its presence then says `prepared`, the
// master removes the VIP and resigns, and this node claims at once and starts the rest of its service
// (VIP, GARP, up hooks) without preparing again. When the preparation is moot (another master, a bar, the
// master names another standby) its down hooks undo it. Pure.
import { barred } from './bars.js';
import type { Effect, Event, HookContext, Preparation, Settings, State, Step } from './types.js';

// After every step: start preparing when named, undo a preparation that no longer leads anywhere.
export function withPreparation(cfg: Settings, step: Step, now: number): Step {
  const s = step.state;
  if (s.role !== 'backup' || cfg.cluster === undefined || cfg.cluster.witness) return step;
  const p = s.prepare;
  const named = namedBy(cfg, s);
  if (p === undefined) {
    if (named === undefined || barred(s) || now < s.holdUntil || s.checking !== undefined) return step;
    return then(step, start(cfg, s, named));
  }
  if (p.stage === 'failed' || !moot(cfg, s, p, now)) return step;
  return then(step, undo(s, `the handover from ${p.from} no longer comes to this node`));
}

// The releasing master this node follows, when it names this node to take over.
function namedBy(cfg: Settings, s: State): { address: string; epoch: number } | undefined {
  const m = s.master;
  const member = m === undefined ? undefined : s.view.members[m.address];
  if (m === undefined || m.resigned || member === undefined || member.role !== 'releasing' || member.epoch !== m.epoch || member.supports !== cfg.self) return undefined;
  return { address: m.address, epoch: m.epoch };
}

// Moot: another master is followed, the node is barred or demoted, or the master it follows, still releasing,
// names another standby. A master that resigned or went silent leaves it prepared: this node claims next.
function moot(cfg: Settings, s: State, p: Preparation, now: number): boolean {
  const m = s.master;
  if (m !== undefined && m.address !== p.from) return true;
  if (barred(s) || now < s.holdUntil) return true;
  const member = m === undefined ? undefined : s.view.members[m.address];
  return member?.role === 'releasing' && member.epoch === p.fromEpoch && member.supports !== cfg.self;
}

function start(cfg: Settings, s: State, named: { address: string; epoch: number }): Step {
  const epoch = s.maxEpochSeen + 1;
  const context: HookContext = { state: 'MASTER', previous: 'BACKUP', reason: `preparing to take over from ${named.address}` };
  const prepare: Preparation = { from: named.address, fromEpoch: named.epoch, epoch, stage: cfg.takeoverCheck ? 'checking' : 'running' };
  // The master stopped its service (its down hooks ran): told 'resigned', nothing to probe, no fencing.
  const effects: Effect[] = cfg.takeoverCheck ? [{ kind: 'check', epoch, context, claim: 'resigned', prepare: true }] : prepareEffects(epoch, context);
  return { state: { ...s, prepare, reason: `${context.reason}: ${cfg.takeoverCheck ? 'asking the takeover checks' : 'running the prepare hooks'}` }, effects };
}

function prepareEffects(epoch: number, context: HookContext): Effect[] {
  return [
    { kind: 'hooks', phase: 'prepare', group: 'dir', epoch, context },
    { kind: 'report', event: { type: 'prepared', epoch } },
  ];
}

// The gate's verdict for a preparation: prepare, or give the preparation up (the master's wait ends without
// it, and the claim after the resign asks the gate again).
export function onPrepareChecked(cfg: Settings, state: State, e: Extract<Event, { type: 'checked' }>, now: number): Step {
  const p = state.prepare;
  if (state.role !== 'backup' || p === undefined || p.epoch !== e.epoch || p.stage !== 'checking') return { state, effects: [] };
  if (!e.ok) return { state: { ...state, prepare: { ...p, stage: 'failed' }, reason: `takeover check refused the preparation (${e.detail})` }, effects: [] };
  const context: HookContext = { state: 'MASTER', previous: 'BACKUP', reason: `preparing to take over from ${p.from}` };
  void cfg;
  void now;
  return { state: { ...state, prepare: { ...p, stage: 'running' }, reason: `${context.reason}: running the prepare hooks` }, effects: prepareEffects(p.epoch, context) };
}

// The prepare hooks passed: the presence says so, and the master moves the VIP.
export function onPrepared(state: State, e: Extract<Event, { type: 'prepared' }>): Step {
  const p = state.prepare;
  if (state.role !== 'backup' || p === undefined || p.epoch !== e.epoch || p.stage !== 'running') return { state, effects: [] };
  return { state: { ...state, prepare: { ...p, stage: 'ready' }, reason: `prepared to take over from ${p.from}: waiting for its resign` }, effects: [] };
}

// A prepare hook failed (or timed out) while BACKUP: undo what it did and stay out for the cooldown, so the
// master names another standby or resigns after its wait.
export function onPrepareFailed(cfg: Settings, state: State, e: Extract<Event, { type: 'up-failed' }>, now: number): Step {
  const p = state.prepare;
  if (state.role !== 'backup' || p === undefined || p.epoch !== e.epoch || p.stage === 'failed') return { state, effects: [] };
  const held = { ...state, holdUntil: Math.max(state.holdUntil, now + cfg.cooldownMs) };
  return undo(held, `prepare hook failed: ${e.detail}`);
}

// Undoes a preparation: the up work cancelled, the down hooks, then released.d/ (what a node that gave a
// mastership up runs: a MooseFS standby rejoins as a metalogger).
function undo(s: State, reason: string): Step {
  const context: HookContext = { state: 'BACKUP', previous: 'BACKUP', reason };
  const p = s.prepare;
  const epoch = p?.epoch ?? s.epoch;
  return {
    state: { ...s, prepare: p === undefined ? undefined : { ...p, stage: 'failed' }, reason },
    effects: [
      { kind: 'cancel-up' },
      { kind: 'hooks', phase: 'down', group: 'dir', epoch, context },
      { kind: 'hooks', phase: 'released', group: 'dir', epoch, context },
    ],
  };
}

function then(first: Step, second: Step): Step {
  return { state: second.state, effects: [...first.effects, ...second.effects] };
}
