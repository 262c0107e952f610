// A discrete-event simulation of several pure election machines on one segment, for the quorum property
// test: each node has its own clock rate and timer lateness, links can be cut one way or both, packets are
// lost, delayed and reordered (a packet older than one already heard arrives marked behind, as the
// verifier passes it). Hooks take no time; the VIP is held between its 'vip add' and its removal.
import { initialState, nextDeadline, step } from '../../src/election/machine.js';
import type { Effect, Event, Settings, State } from '../../src/election/machine.js';
import { presenceOf } from '../../src/election/presence.js';
import type { Advert } from '../../src/protocol/advert.js';

export interface SimNode {
  cfg: Settings;
  state: State;
  rate: number; // local clock = rate × real time
  seq: bigint;
  marks: Map<string, bigint>; // highest seq heard per sender
  vip: boolean;
  alive: boolean;
  timerAt: number | undefined; // real time of its next tick
}

export interface Faults {
  loss: number; // probability a packet is lost
  maxDelayMs: number; // each packet is delayed 0…this
  lateMs: number; // each tick fires up to this much late
  cut: (from: number, to: number) => boolean; // the link from → to drops everything now
}

type Pending = { at: number; seq: number; kind: 'deliver'; to: number; advert: Advert } | { at: number; seq: number; kind: 'tick'; node: number };

// The run: nodes, the real clock, and what went wrong (two VIP holders at once).
export class Sim {
  readonly nodes: SimNode[];
  now = 0;
  overlaps: string[] = [];
  vipEvents: { at: number; node: number; held: boolean }[] = [];
  checks: { at: number; node: number; epoch: number; claim: string }[] = []; // takeover gates asked for
  hooks: { at: number; node: number; phase: string; role: string }[] = []; // hooks directory phases run (instantly)
  failPrepare = new Set<number>(); // nodes whose prepare hooks fail: the rest of that batch is dropped, as the queue drops up work
  private queue: Pending[] = [];
  private order = 0;
  private readonly random: () => number;
  faults: Faults;

  constructor(cfgs: Settings[], random: () => number, rates: number[], faults: Faults) {
    this.random = random;
    this.faults = faults;
    this.nodes = cfgs.map((cfg, i) => ({ cfg, state: initialState(0), rate: rates[i] ?? 1, seq: 0n, marks: new Map(), vip: false, alive: true, timerAt: undefined }));
  }

  local(i: number): number {
    return this.now * (this.nodes[i]?.rate ?? 1);
  }

  start(i: number): void {
    this.handle(i, { type: 'start' });
  }

  // The node stops for good (SIGKILL): its VIP goes with the host.
  kill(i: number): void {
    const n = this.nodes[i]!;
    n.alive = false;
    this.setVip(i, false);
  }

  runUntil(until: number): void {
    for (let guard = 0; ; guard++) {
      if (guard > 2_000_000) throw new Error(`sim: no progress at ${this.now} ms`);
      const next = this.queue[0];
      if (next === undefined || next.at > until) break;
      this.queue.shift();
      this.now = Math.max(this.now, next.at);
      if (next.kind === 'tick') {
        const n = this.nodes[next.node]!;
        if (n.timerAt !== next.at) continue; // superseded
        n.timerAt = undefined;
        this.handle(next.node, { type: 'tick' });
      } else {
        this.receive(next.to, next.advert);
      }
    }
    this.now = until;
  }

  holders(): number[] {
    return this.nodes.flatMap((n, i) => (n.vip ? [i] : []));
  }

  private receive(to: number, a: Advert): void {
    const n = this.nodes[to]!;
    if (!n.alive) return;
    const mark = n.marks.get(a.sender);
    if (mark !== undefined && a.seq <= mark) return this.handle(to, { type: 'advert', advert: a, behind: true });
    n.marks.set(a.sender, a.seq);
    this.handle(to, { type: 'advert', advert: a });
  }

  // Hands `event` to node i now (a driver's event: a data-version reading, a check's verdict).
  dispatch(i: number, event: Event): void {
    this.handle(i, event);
  }

  private handle(i: number, event: Event): void {
    const n = this.nodes[i]!;
    if (!n.alive) return;
    const now = this.local(i);
    const r = step(n.cfg, n.state, event, now);
    n.state = r.state;
    this.carryOut(i, r.effects, now);
    this.schedule(i);
  }

  private carryOut(i: number, effects: readonly Effect[], now: number): void {
    const n = this.nodes[i]!;
    for (const e of effects) {
      if (!n.alive) return;
      if (e.kind === 'send') this.send(i, e.type, e.epoch, e.advskew, now);
      else if (e.kind === 'drop-vip') this.setVip(i, false);
      else if (e.kind === 'vip') this.setVip(i, e.op === 'add');
      else if (e.kind === 'report') this.handle(i, e.event);
      else if (e.kind === 'check') this.checks.push({ at: this.now, node: i, epoch: e.epoch, claim: e.claim });
      else if (e.kind === 'hooks' && e.group === 'dir') {
        this.hooks.push({ at: this.now, node: i, phase: e.phase, role: n.state.role });
        if (e.phase === 'prepare' && this.failPrepare.has(i)) return this.handle(i, { type: 'up-failed', epoch: e.epoch, detail: 'prepare.d/10-x exited 1' });
      }
      else if (e.kind === 'exit') n.alive = false;
    }
  }

  private setVip(i: number, held: boolean): void {
    const n = this.nodes[i]!;
    if (n.vip === held) return;
    n.vip = held;
    this.vipEvents.push({ at: this.now, node: i, held });
    const h = this.holders();
    if (h.length > 1) this.overlaps.push(`${this.now.toFixed(1)} ms: ${h.map((x) => this.nodes[x]!.cfg.self).join(' and ')} hold the VIP`);
  }

  private send(i: number, type: Advert['type'], epoch: number, advskew: number, now: number): void {
    const n = this.nodes[i]!;
    const c = n.cfg;
    n.seq += 1n;
    const advert: Advert = { type, vhid: c.vhid, advskew, advbaseMs: c.advbaseMs, epoch, seq: n.seq, sender: c.self, vip: c.vip };
    if (c.cluster !== undefined) advert.presence = presenceOf(c, n.state, now);
    this.nodes.forEach((_, to) => {
      if (to === i || this.faults.cut(i, to) || this.random() < this.faults.loss) return;
      this.push({ at: this.now + this.random() * this.faults.maxDelayMs, seq: this.order++, kind: 'deliver', to, advert });
    });
  }

  private schedule(i: number): void {
    const n = this.nodes[i]!;
    const due = nextDeadline(n.state, n.cfg);
    if (due === undefined || !n.alive) return void (n.timerAt = undefined);
    // Local deadline → real time, then late by up to lateMs (never early).
    const at = Math.max(this.now, due / n.rate) + this.random() * this.faults.lateMs;
    if (n.timerAt !== undefined && n.timerAt <= at && n.timerAt >= this.now) return;
    n.timerAt = at;
    this.push({ at, seq: this.order++, kind: 'tick', node: i });
  }

  // Kept in order of time (then of pushing): binary search for the place.
  private push(p: Pending): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.at < p.at || (q.at === p.at && q.seq < p.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, p);
  }
}
