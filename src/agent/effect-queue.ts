// Runs the ordered effects (hooks, VIP, GARP, reports) strictly one after another, apart from the advert
// path. Up work can be cancelled as a whole: a running up hook is aborted and queued up items are dropped.
import type { Effect, Event } from '../election/machine.js';
import { leavesMastership } from '../effects/hooks.js';
import type { HookFacts } from '../state/run-record.js';

// Hooks and checks carry the facts of the moment they were emitted (the driver adds them).
// A VIP removal that ends a mastership says so: once it is done, the run record stops saying "master".
export type QueuedEffect =
  | Extract<Effect, { kind: 'garp' | 'report' }>
  | (Extract<Effect, { kind: 'vip' }> & { endsMastership?: boolean })
  | (Extract<Effect, { kind: 'hooks' | 'check' }> & { facts?: HookFacts });

// Up work: everything that builds a mastership and must not go on once it is lost.
export function isUpWork(e: QueuedEffect): boolean {
  switch (e.kind) {
    case 'hooks':
      return !leavesMastership(e.phase);
    case 'check':
      return true;
    case 'vip':
      return e.op === 'add';
    case 'garp':
      return true;
    case 'report':
      // 'prepared' closes a standby's prepare hooks: dropped with them when one fails.
      return e.event.type === 'up-complete' || e.event.type === 'prepared';
    default:
      return false;
  }
}

// What came of one effect: carryOn false drops the rest of the up work; an event goes back to the election.
export interface RunOutcome {
  carryOn: boolean;
  event?: Event;
}

// `run` carries out one effect and says what came of it; it never calls into the election itself.
export type Runner = (effect: QueuedEffect, signal: AbortSignal) => Promise<RunOutcome>;

// Where the outcomes' events go (the driver's dispatch).
export type Deliver = (event: Event) => void;

// The serial lane of the agent's effects.
export class EffectQueue {
  private readonly items: QueuedEffect[] = [];
  private readonly run: Runner;
  private readonly deliver: Deliver;
  private current: { effect: QueuedEffect; abort: AbortController } | undefined;
  private idle: Promise<void> = Promise.resolve();
  private pushed = 0;
  private finished = 0; // run, dropped or cleared
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(run: Runner, deliver: Deliver = () => undefined) {
    this.run = run;
    this.deliver = deliver;
  }

  push(effects: readonly QueuedEffect[]): void {
    if (effects.length === 0) return;
    this.pushed += effects.length;
    this.items.push(...effects);
    if (!this.current) this.idle = this.pump();
  }

  // Abort the running up item and forget queued up items; down work already queued stays.
  cancelUp(): void {
    if (this.current && isUpWork(this.current.effect)) this.current.abort.abort();
    this.dropUp();
  }

  // Abort whatever runs and forget everything (the process is exiting).
  clear(): void {
    this.current?.abort.abort();
    this.finish(this.items.length);
    this.items.length = 0;
  }

  // Resolves when the queue has run dry.
  drained(): Promise<void> {
    return this.idle;
  }

  // Resolves when every effect pushed so far has run or been dropped, whatever is pushed after this call:
  // the startup work is done even while a promotion queued behind it still runs.
  settled(): Promise<void> {
    if (this.finished >= this.pushed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.pushed, resolve }));
  }

  get busy(): boolean {
    return this.current !== undefined || this.items.length > 0;
  }

  private dropUp(): void {
    const keep = this.items.filter((e) => !isUpWork(e));
    this.finish(this.items.length - keep.length);
    this.items.splice(0, this.items.length, ...keep);
  }

  private finish(n: number): void {
    this.finished += n;
    const due = this.waiters.filter((w) => w.upTo <= this.finished);
    this.waiters = this.waiters.filter((w) => w.upTo > this.finished);
    for (const w of due) w.resolve();
  }

  private async pump(): Promise<void> {
    for (let effect = this.items.shift(); effect; effect = this.items.shift()) {
      const abort = new AbortController();
      this.current = { effect, abort };
      // A runner is written not to throw; if it does anyway, the queue must not wedge.
      const outcome = await this.run(effect, abort.signal).catch((): RunOutcome => ({ carryOn: false }));
      // Delivered while this item still counts as running, so the work the event queues lines up behind
      // the pump already going (and a cancel it causes finds the up work still queued).
      if (outcome.event) this.deliver(outcome.event);
      this.current = undefined;
      this.finish(1);
      if (!outcome.carryOn) this.dropUp();
    }
  }
}
