// Carries out the queued effects (hooks, the takeover gate, VIP, GARP, reports) and says what came of each.
// It never calls into the election: a failed up hook or VIP, a gate verdict or a report comes back as an
// event in the outcome, which the queue hands to the driver's dispatch.
import type { Config, HookPhaseName } from '../config/config.js';
import { isUpWork, type QueuedEffect, type RunOutcome } from './effect-queue.js';
import type { Announcer } from '../effects/garp.js';
import { leavesMastership, type HookResult } from '../effects/hooks.js';
import { runGate } from '../effects/gate.js';
import { prepareHooks, runHookGroup, type HookGroupOptions, type HooksEffect } from '../effects/hook-groups.js';
import type { VipDriver } from '../effects/vip.js';
import type { Logger } from '../log/log.js';
import type { RunRecord } from '../state/run-record.js';

export interface RunnerDeps {
  cfg: Config;
  log: Logger;
  vip: VipDriver;
  announcer: Announcer;
  record: () => RunRecord | undefined;
  // What the driver shows in the state file and status: the VIP held, the hooks running now.
  onVip(held: boolean): void;
  onHookStart(path: string): void;
  onHookEnd(phase: HookPhaseName, result: HookResult): void;
}

const CARRY_ON: RunOutcome = { carryOn: true };

export class EffectRunner {
  private readonly d: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.d = deps;
    prepareHooks(deps.cfg);
  }

  async run(e: QueuedEffect, signal: AbortSignal): Promise<RunOutcome> {
    switch (e.kind) {
      case 'check': {
        const r = await runGate(e, this.hookOptions(signal));
        // Cancelled: a master was heard, and the verdict would be for a claim nobody makes any more.
        if (signal.aborted) return CARRY_ON;
        const verdict = { type: 'checked' as const, epoch: e.epoch, ok: r.ok, detail: r.ok ? 'passed' : r.detail };
        return { carryOn: true, event: e.prepare === true ? { ...verdict, prepare: true } : verdict };
      }
      case 'hooks':
        // The service and the VIP never come before the record that says this node holds them.
        if (isUpWork(e)) await this.d.record()?.flush();
        return this.hooks(e, signal);
      case 'vip':
        return this.vip(e);
      case 'garp':
        this.d.announcer.announce();
        return CARRY_ON;
      case 'report':
        return { carryOn: true, event: e.event };
      default:
        return CARRY_ON;
    }
  }

  // A master that lost its quorum stops answering at once, before its queued down work (docs/election.md).
  dropNow(epoch: number): void {
    const r = this.d.vip.removeNow();
    this.d.onVip(false);
    if (r.ok) this.d.log.warn({ event: 'vip', op: 'remove', epoch, immediate: true, changed: r.changed }, 'quorum lost: VIP removed at once, the down hooks follow');
    else this.d.log.error({ event: 'vip', op: 'remove', epoch, immediate: true, err: r.error }, `quorum lost: cannot remove the VIP at once: ${r.error}`);
  }

  private async vip(e: Extract<QueuedEffect, { kind: 'vip' }>): Promise<RunOutcome> {
    if (e.op === 'remove') this.d.announcer.stop();
    else await this.d.record()?.flush();
    const r = e.op === 'add' ? await this.d.vip.add() : await this.d.vip.remove();
    if (r.ok) {
      if (e.op === 'remove' && e.endsMastership) this.d.record()?.holds(false, e.epoch);
      this.d.log.info({ event: 'vip', op: e.op, changed: r.changed, vip: this.d.cfg.vips.join(' ') }, e.op === 'add' ? (this.d.cfg.vips.length > 1 ? 'VIPs added' : 'VIP added') : this.d.cfg.vips.length > 1 ? 'VIPs removed' : 'VIP removed');
      this.d.onVip(e.op === 'add');
      return CARRY_ON;
    }
    this.d.log.error({ event: 'vip', op: e.op, err: r.error }, `cannot ${e.op} the VIP: ${r.error}`);
    // A removal that failed is logged and the release goes on (the down work must not stop half-way), but the
    // stop is not clean: the election learns it, and its resign will say so.
    if (e.op === 'remove') return { carryOn: true, event: { type: 'stop-failed', epoch: e.epoch, detail: `cannot remove the VIP: ${r.error}` } };
    return { carryOn: false, event: { type: 'up-failed', epoch: e.epoch, detail: `cannot add VIP: ${r.error}` } };
  }

  private async hooks(e: HooksEffect, signal: AbortSignal): Promise<RunOutcome> {
    const r = await runHookGroup(e, this.hookOptions(signal));
    if (r.ok) return CARRY_ON;
    if (leavesMastership(e.phase)) {
      this.d.log.error({ event: 'hook-failed', phase: e.phase, detail: r.detail }, `${e.phase} hook failed (${r.detail}); carrying on with the release`);
      // A down hook is the stop of the service: failed, the stop is not clean. released.d/ only tidies up.
      return e.phase === 'down' ? { carryOn: true, event: { type: 'stop-failed', epoch: e.epoch, detail: `${e.phase} hook failed: ${r.detail}` } } : CARRY_ON;
    }
    return { carryOn: false, event: { type: 'up-failed', epoch: e.epoch, detail: r.detail } };
  }

  private hookOptions(signal: AbortSignal): HookGroupOptions {
    return { cfg: this.d.cfg, log: this.d.log, signal, onStart: (p) => this.d.onHookStart(p), onEnd: (phase, r) => this.d.onHookEnd(phase, r) };
  }
}
