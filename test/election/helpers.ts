// Small builders for stepping the pure election machine: settings, adverts, expected effect lists,
// and a tiny in-memory "network" that turns one node's 'send' effects into adverts for the others.
import { initialState, nextDeadline, step } from '../../src/election/machine.js';
import type { Effect, Event, HookContext, Settings, State } from '../../src/election/machine.js';
import type { Advert } from '../../src/protocol/advert.js';

export const VIP = '192.168.1.100';
export const VHID = 7;

// ucarp defaults used throughout: advbase 1 s, advskew 0, deadratio 3 → master-down after 3 s.
export function settings(over: Partial<Settings> = {}): Settings {
  return {
    self: '10.0.0.1',
    vip: VIP,
    vhid: VHID,
    advbaseMs: 1000,
    advskew: 0,
    deadratio: 3,
    preempt: false,
    neutral: false,
    shutdownHooks: false,
    cooldownMs: 10_000,
    advertsPerInterval: 1,
    takeoverCheck: false,
    fence: false,
    preemptDelayMs: 0,
    minDwellMs: 0,
    failureThreshold: 0, // rule tests that count failures set it
    failureWindowMs: 600_000,
    failureTimeoutMs: 600_000,
    ...over,
  };
}

// A periodic advert from another master (10.0.0.2, same timing as `settings()`, epoch 1).
export function advert(over: Partial<Advert> = {}): Advert {
  return {
    type: 'advert',
    vhid: VHID,
    advskew: 0,
    advbaseMs: 1000,
    epoch: 1,
    seq: 1n,
    sender: '10.0.0.2',
    vip: VIP,
    ...over,
  };
}

export function resignFrom(over: Partial<Advert> = {}): Advert {
  return advert({ type: 'resign', ...over });
}

export const START: Event = { type: 'start' };
export const TICK: Event = { type: 'tick' };
export const SHUTDOWN: Event = { type: 'shutdown' };
export const DEMOTE: Event = { type: 'demote' };
export const hear = (a: Advert): Event => ({ type: 'advert', advert: a });
export const upComplete = (epoch: number): Event => ({ type: 'up-complete', epoch });
export const upFailed = (epoch: number, detail = 'exit code 1'): Event => ({ type: 'up-failed', epoch, detail });
export const released = (epoch: number): Event => ({ type: 'released', epoch });
export const link = (up: boolean, detail?: string): Event => (detail === undefined ? { type: 'link', up } : { type: 'link', up, detail });

// An event delivered at a monotonic time.
export type Timed = readonly [now: number, event: Event];

export interface Run {
  state: State;
  effects: Effect[][]; // one list per event, in order
  last: Effect[];
}

// Threads the state through `events`, starting from `from` (a fresh INIT node by default).
export function run(cfg: Settings, events: readonly Timed[], from: State = initialState(0)): Run {
  let state = from;
  const effects: Effect[][] = [];
  for (const [now, event] of events) {
    const r = step(cfg, state, event, now);
    state = r.state;
    effects.push(r.effects);
  }
  return { state, effects, last: effects.at(-1) ?? [] };
}

// A node that has started at `now` and is BACKUP.
export function backupState(cfg: Settings, now = 0, maxEpochSeen = 0): State {
  return run(cfg, [[now, START]], initialState(now, maxEpochSeen)).state;
}

// A node that started at 0 and promoted on the silent master-down tick; returns the promotion time too.
export function masterState(cfg: Settings, maxEpochSeen = 0): { state: State; at: number } {
  const at = cfg.deadratio * cfg.advbaseMs + (cfg.advskew * 1000) / 256;
  const r = run(
    cfg,
    [
      [0, START],
      [at, TICK],
    ],
    initialState(0, maxEpochSeen),
  );
  if (r.state.role !== 'master') throw new Error(`helper: expected master, got ${r.state.role}`);
  return { state: r.state, at };
}

// --- expected effect lists, written out in the spec's order ---

export const sendAdvert = (epoch: number, advskew = 0): Effect => ({ kind: 'send', type: 'advert', epoch, advskew });
export const sendResign = (epoch: number, advskew = 0): Effect => ({ kind: 'send', type: 'resign', epoch, advskew });
export const exit0: Effect = { kind: 'exit', code: 0 };

function hooks(phase: 'prepare' | 'up' | 'down' | 'released', group: 'script' | 'dir', epoch: number, context: HookContext): Effect {
  return { kind: 'hooks', phase, group, epoch, context };
}

// INIT → BACKUP on 'start': down hooks (dir, then script) unless -n, then remove a leftover VIP, then released.d/.
export function startEffects(epoch: number, neutral = false): Effect[] {
  const context: HookContext = { state: 'BACKUP', previous: 'INIT', reason: 'started' };
  if (neutral) return [{ kind: 'vip', op: 'remove', epoch }];
  return [hooks('down', 'dir', epoch, context), hooks('down', 'script', epoch, context), { kind: 'vip', op: 'remove', epoch }, hooks('released', 'dir', epoch, context)];
}

// BACKUP → MASTER: advert, then the service (serviceOf).
export function promotion(epoch: number, reason: string, advskew = 0): Effect[] {
  return [sendAdvert(epoch, advskew), ...serviceOf(epoch, reason)];
}

// A new master's service: prepare dir, up script, VIP add, GARP, up dir, report up-complete. After a
// preemption it comes only once the old master handed over.
export function serviceOf(epoch: number, reason: string): Effect[] {
  const context: HookContext = { state: 'MASTER', previous: 'BACKUP', reason };
  return [
    hooks('prepare', 'dir', epoch, context),
    hooks('up', 'script', epoch, context),
    { kind: 'vip', op: 'add', epoch },
    { kind: 'garp', epoch },
    hooks('up', 'dir', epoch, context),
    { kind: 'report', event: { type: 'up-complete', epoch } },
  ];
}

// MASTER → BACKUP because another master won (or the link went down): no resign.
export function demotion(epoch: number, reason: string): Effect[] {
  const context: HookContext = { state: 'BACKUP', previous: 'MASTER', reason };
  return [
    { kind: 'cancel-up' },
    hooks('down', 'dir', epoch, context),
    hooks('down', 'script', epoch, context),
    { kind: 'vip', op: 'remove', epoch },
    hooks('released', 'dir', epoch, context),
  ];
}

// RELEASING → BACKUP or STOPPED on 'released': the resign, then released.d/ (then, when stopping, the report
// that lets the agent exit once they are done).
export function resigned(epoch: number, reason: string, target: 'BACKUP' | 'STOPPED' = 'BACKUP', advskew = 0): Effect[] {
  const context: HookContext = { state: target, previous: 'MASTER', reason };
  const tidy: Effect[] = [{ kind: 'send', type: 'resign', epoch, advskew }, hooks('released', 'dir', epoch, context)];
  return target === 'BACKUP' ? tidy : [...tidy, { kind: 'report', event: { type: 'tidied' } }];
}

// MASTER → RELEASING: as a demotion, then ask the driver to report 'released' when the down work is done.
export function release(epoch: number, reason: string, target: 'BACKUP' | 'STOPPED' = 'BACKUP'): Effect[] {
  const context: HookContext = { state: target, previous: 'MASTER', reason };
  return [
    { kind: 'cancel-up' },
    hooks('down', 'dir', epoch, context),
    hooks('down', 'script', epoch, context),
    { kind: 'vip', op: 'remove', epoch },
    { kind: 'report', event: { type: 'released', epoch } },
  ];
}

// --- several machines on one segment ---

// One simulated floatd: its settings, its state, and the adverts it puts on the wire.
export class Node {
  readonly cfg: Settings;
  state: State;
  private seq = 0n;

  constructor(cfg: Settings, now = 0, maxEpochSeen = 0) {
    this.cfg = cfg;
    this.state = initialState(now, maxEpochSeen);
  }

  on(event: Event, now: number): Effect[] {
    const r = step(this.cfg, this.state, event, now);
    this.state = r.state;
    return r.effects;
  }

  // The packets the driver would build from this node's 'send' effects.
  wire(effects: readonly Effect[]): Advert[] {
    return effects.flatMap((e) =>
      e.kind === 'send'
        ? [
            {
              type: e.type,
              vhid: this.cfg.vhid,
              advskew: this.cfg.advskew,
              advbaseMs: this.cfg.advbaseMs,
              epoch: e.epoch,
              seq: ++this.seq,
              sender: this.cfg.self,
              vip: this.cfg.vip,
            },
          ]
        : [],
    );
  }
}

// Delivers every advert to `to`, returning the effects of each delivery.
export function deliver(to: Node, adverts: readonly Advert[], now: number): Effect[][] {
  return adverts.map((a) => to.on(hear(a), now));
}

// One entry per event a node handled while the segment ran.
export interface Logged {
  at: number;
  node: string;
  effects: Effect[];
}

// Runs the nodes on one lossless segment from `from` to `until`: ticks whichever node's nextDeadline
// comes first (never earlier than the clock: a frozen node resumes late) and hands every advert it
// sends to the others at the same instant. Hooks take no time: a node's 'report' effects come back to
// it at once, as the driver's queue would deliver them. A node left out of `nodes` is frozen or partitioned.
export function runSegment(nodes: readonly Node[], from: number, until: number): Logged[] {
  const log: Logged[] = [];
  let clock = from;
  for (let guard = 0; guard < 10_000; guard++) {
    let next: { node: Node; at: number } | undefined;
    for (const node of nodes) {
      const due = nextDeadline(node.state);
      if (due === undefined) continue;
      const at = Math.max(due, clock);
      if (at <= until && (next === undefined || at < next.at)) next = { node, at };
    }
    if (next === undefined) return log;
    clock = next.at;
    const effects = next.node.on(TICK, clock);
    log.push({ at: clock, node: next.node.cfg.self, effects });
    broadcast(nodes, next.node, effects, clock, log);
  }
  throw new Error('helper: runSegment did not settle');
}

function broadcast(nodes: readonly Node[], from: Node, effects: readonly Effect[], at: number, log: Logged[]): void {
  for (const e of effects) {
    if (e.kind !== 'report') continue;
    const reply = from.on(e.event, at);
    if (reply.length > 0) log.push({ at, node: from.cfg.self, effects: reply });
    broadcast(nodes, from, reply, at, log);
  }
  for (const a of from.wire(effects)) {
    for (const to of nodes) {
      if (to === from) continue;
      const reply = to.on(hear(a), at);
      log.push({ at, node: to.cfg.self, effects: reply });
      broadcast(nodes, to, reply, at, log);
    }
  }
}
