// The agent's side of operator control, kept out of the driver: the control socket and what its answers
// are made of (peers heard, last hooks and gate verdict, health checks), the operator's commands as
// election events, and --garp-refresh. The driver feeds it and calls `stepped` after every event.
import type { Config, HookPhaseName } from '../config/config.js';
import type { HookResult } from '../effects/hooks.js';
import type { Event, State } from '../election/machine.js';
import { GarpRefresh } from '../agent/garp-refresh.js';
import { HookHistory } from '../agent/hook-history.js';
import type { Logger } from '../log/log.js';
import { PeersHeard } from '../agent/peers.js';
import type { Advert } from '../protocol/advert.js';
import type { StateFile } from '../state/state-file.js';
import { outcomeOf } from './outcome.js';
import type { CheckStatus, ControlStatus, Request, Response } from './protocol.js';
import { ControlServer } from './server.js';

export interface AgentControlOptions {
  cfg: Pick<Config, 'controlSocket' | 'garpRefreshMs'>;
  log: Logger;
  now(): number; // the election's monotonic clock
  state(): State;
  snapshot(): StateFile;
  dispatch(event: Event): void;
  announce(): void; // gratuitous ARP for the VIP
  checks?(): readonly CheckStatus[]; // the health checks, once there are any
}

// Operator standby is a bar like any other: on a master it means a graceful release (down hooks, VIP
// removal, resign) and then BACKUP held out, until resume lifts it.
const STANDBY: Event = { type: 'bar', bar: 'standby', detail: 'operator standby (floatd standby)' };

export class AgentControl {
  readonly peers = new PeersHeard();
  readonly history = new HookHistory();
  private readonly o: AgentControlOptions;
  private readonly server: ControlServer;
  private readonly garp: GarpRefresh;

  constructor(o: AgentControlOptions) {
    this.o = o;
    this.server = new ControlServer({ path: o.cfg.controlSocket, log: o.log, answer: (r) => this.answer(r) });
    this.garp = new GarpRefresh(o.cfg.garpRefreshMs, () => {
      o.log.debug({ event: 'garp-refresh' }, 'gratuitous ARP refresh');
      o.announce();
    });
  }

  // Rejects with ControlSocketBusy when another agent answers on the socket path.
  start(): Promise<void> {
    return this.server.start();
  }

  heard(advert: Advert, behind: boolean): void {
    this.peers.heard(advert, behind, this.o.now());
  }

  hookEnded(phase: HookPhaseName, r: HookResult): void {
    this.history.hook(phase, r, Date.now());
  }

  gate(ok: boolean, detail: string): void {
    this.history.gate(ok, detail, Date.now());
  }

  // After every election step: the GARP refresh runs while this node is a serving master.
  stepped(state: State): void {
    this.garp.update(state.role === 'master' && state.serving);
  }

  async close(): Promise<void> {
    this.garp.stop();
    await this.server.close();
  }

  private answer(r: Request): Response {
    if (r.cmd === 'status') return { ok: true, cmd: r.cmd, message: 'status', status: this.status() };
    const before = this.o.state();
    this.o.dispatch(r.cmd === 'standby' ? STANDBY : r.cmd === 'resume' ? { type: 'unbar', bar: 'standby' } : { type: 'clear' });
    const message = outcomeOf(r.cmd, before, this.o.state());
    this.o.log.info({ event: 'operator', cmd: r.cmd }, `floatd ${r.cmd}: ${message}`);
    return { ok: true, cmd: r.cmd, message, status: this.status() };
  }

  private status(): ControlStatus {
    return {
      ...this.o.snapshot(),
      peers: this.peers.list(this.o.now(), Date.now()),
      checks: [...(this.o.checks?.() ?? [])],
      gate: this.history.lastGate(),
      hooks: this.history.hooks(),
    };
  }
}
