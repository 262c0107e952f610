// The IO edge of health checks: each --check runs every `interval` under supervise() (own process
// group, timeout, abort), on plain timers the agent never awaits, so adverts never wait for a check.
// What the results mean is health.ts; this tells the agent only when the verdict changes.
import type { Config } from '../config/config.js';
import type { Event, Role } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import { describeOutcome, succeeded, supervise } from '../effects/supervise.js';
import { LABELS } from '../agent/snapshot.js';
import { failureDetail, initialHealth, nextRunDelayMs, observe, turned, verdict, type CheckHealth, type CheckStatusName, type HealthVerdict } from './health.js';
import type { CheckSpec } from './spec.js';

// One check as `floatd status` shows it.
export interface CheckStatus {
  command: string;
  on: 'all' | 'master';
  mode: 'fault' | 'weight';
  weight: number;
  status: CheckStatusName;
  streak: number;
  lastResult: string | null;
  lastDurationMs: number | null;
  lastRunAt: string | null; // ISO
}

// Where the node stands in the election, as the agent tells it after each step.
export interface Following {
  role: Role;
  serving: boolean; // up hooks done for this mastership
  epoch: number;
}

export interface CheckRunnerOptions {
  checks: readonly CheckSpec[];
  env: Readonly<Record<string, string>>; // FLOATD_VHID, FLOATD_VIP, FLOATD_VIPS, FLOATD_INTERFACE, FLOATD_SRCIP
  log: Logger;
  preempt: boolean; // -P, only for the startup warning about weights
  killGraceMs?: number;
  // Each called only when its part of the verdict changes.
  onFault(detail: string | undefined): void;
  onWeight(weight: number): void;
  onServiceFailed(detail: string, epoch: number): void;
}

// The agent's runner, or none without --check: what the checks find becomes election events.
export function checksFor(cfg: Config, log: Logger, dispatch: (e: Event) => void): CheckRunner | undefined {
  if (cfg.checks.length === 0) return undefined;
  return new CheckRunner({
    checks: cfg.checks,
    env: { FLOATD_VHID: String(cfg.vhid), FLOATD_VIP: cfg.vip, FLOATD_VIPS: cfg.vips.join(' '), FLOATD_INTERFACE: cfg.interface, FLOATD_SRCIP: cfg.srcip },
    log,
    preempt: cfg.preempt,
    onFault: (detail) => dispatch(detail === undefined ? { type: 'unbar', bar: 'health' } : { type: 'bar', bar: 'health', detail }),
    onWeight: (weight) => dispatch({ type: 'skew', weight }),
    onServiceFailed: (detail, epoch) => dispatch({ type: 'service-failed', epoch, detail }),
  });
}

// Runs the checks, tells the agent what they mean; start() once, follow() after every election step.
export class CheckRunner {
  private readonly o: CheckRunnerOptions;
  private readonly loops: CheckLoop[];
  private last: HealthVerdict = { fault: undefined, weight: 0, serviceFailed: undefined };
  private following: Following = { role: 'init', serving: false, epoch: 0 };
  private servingEpoch: number | undefined; // the mastership the master-only checks run for
  private stopped = false;

  constructor(o: CheckRunnerOptions) {
    this.o = o;
    const context: LoopContext = { log: o.log, killGraceMs: o.killGraceMs, env: () => ({ ...o.env, FLOATD_STATE: LABELS[this.following.role] }), changed: () => this.evaluate() };
    this.loops = o.checks.map((spec) => new CheckLoop(spec, context));
  }

  // The all-node checks begin; master-only ones wait for a mastership that serves.
  start(): void {
    if (this.o.checks.some((c) => c.mode === 'weight') && !this.o.preempt) {
      // ucarp: a backup without -P never takes over from a live master, however it compares.
      this.o.log.warn({ event: 'check-config' }, '--check with a weight but no -P (--preempt): a failing weight check raises this node\'s advskew, but a live master is only replaced by a backup started with -P; give the nodes of this VIP -P, or use a fault check');
    }
    for (const l of this.loops) if (l.spec.on === 'all') l.activate();
  }

  // Master-only checks run while this node is MASTER and serving, afresh (state unknown) in each mastership.
  follow(f: Following): void {
    this.following = f;
    if (this.stopped) return;
    const serving = f.role === 'master' && f.serving ? f.epoch : undefined;
    if (serving === this.servingEpoch) return;
    this.servingEpoch = serving;
    for (const l of this.loops) {
      if (l.spec.on !== 'master') continue;
      l.deactivate();
      if (serving !== undefined) l.activate();
    }
    // Forget the last mastership's service failure; this never calls back (fault and weight are unchanged).
    this.evaluate();
  }

  status(): CheckStatus[] {
    return this.loops.map(({ spec, health: h }) => ({
      command: spec.command,
      on: spec.on,
      mode: spec.mode,
      weight: spec.weight,
      status: h.status,
      streak: h.streak,
      lastResult: h.lastResult,
      lastDurationMs: h.lastDurationMs,
      lastRunAt: h.lastRunAt === null ? null : new Date(h.lastRunAt).toISOString(),
    }));
  }

  // Aborts what runs (its process group is killed) and clears the timers; resolves when all have ended.
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops.map((l) => l.deactivate()));
  }

  // A check's state changed: tell the agent what changed in the verdict.
  private evaluate(): void {
    const v = verdict(this.loops);
    const before = this.last;
    this.last = v;
    if (this.stopped) return;
    if (v.fault !== before.fault) this.call(() => this.o.onFault(v.fault));
    if (v.weight !== before.weight) this.call(() => this.o.onWeight(v.weight));
    const epoch = this.servingEpoch;
    if (v.serviceFailed !== undefined && v.serviceFailed !== before.serviceFailed && epoch !== undefined) {
      const detail = v.serviceFailed;
      this.call(() => this.o.onServiceFailed(detail, epoch));
    }
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.o.log.error({ err }, 'health check callback threw');
    }
  }
}

// What a check's loop needs from the runner.
interface LoopContext {
  log: Logger;
  killGraceMs: number | undefined;
  env(): Record<string, string>; // for the run about to start
  changed(): void; // a result was recorded
}

// One check's timer and its single run in flight.
class CheckLoop {
  readonly spec: CheckSpec;
  health: CheckHealth = initialHealth();
  private readonly context: LoopContext;
  private active = false;
  private generation = 0; // a run started in an earlier activation is not counted
  private timer: NodeJS.Timeout | undefined;
  private running: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(spec: CheckSpec, context: LoopContext) {
    this.spec = spec;
    this.context = context;
  }

  activate(): void {
    if (this.active) return;
    this.active = true;
    this.generation++;
    this.health = initialHealth();
    this.schedule(0);
  }

  // Stops the timer and aborts the run in flight; resolves once that run has ended.
  deactivate(): Promise<void> {
    this.active = false;
    this.generation++;
    clearTimeout(this.timer);
    this.health = initialHealth();
    this.running?.controller.abort();
    return this.running?.done ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
  }

  // Never two runs of one check at once: a run still ending from an earlier activation starts the next itself.
  private run(): void {
    if (!this.active || this.running !== undefined) return;
    const { log, killGraceMs } = this.context;
    const generation = this.generation;
    const controller = new AbortController();
    const startedAt = Date.now();
    const started = performance.now();
    let lastLine: string | undefined;
    const output = quietOutput(log, this.spec.command, (line) => (lastLine = line));
    const done = supervise('/bin/sh', { args: ['-c', this.spec.command], env: this.context.env(), timeoutMs: this.spec.timeoutMs, killGraceMs, log: output, logField: 'check', signal: controller.signal }).then((outcome) => {
      this.running = undefined;
      if (generation !== this.generation) {
        if (this.active) this.schedule(0);
        return;
      }
      const durationMs = Math.round(performance.now() - started);
      const ok = succeeded(outcome);
      const detail = ok ? 'exit code 0' : describeOutcome(outcome);
      log.debug({ event: 'check-run', check: this.spec.command, ok, result: detail, durationMs }, `health check "${this.spec.command}": ${detail}`);
      const before = this.health;
      this.health = observe(this.spec, before, { ok, detail, startedAt, durationMs });
      this.report(turned(before, this.health), lastLine);
      this.context.changed();
      this.schedule(nextRunDelayMs(this.spec, started, performance.now()));
    });
    this.running = { controller, done };
  }

  // One warning when the check turns failing, one info line when it passes again.
  private report(change: 'failing' | 'passing' | undefined, lastLine: string | undefined): void {
    const { log } = this.context;
    const s = this.spec;
    const fields = { event: 'check', check: s.command, status: this.health.status, on: s.on, mode: s.mode, weight: s.weight, result: this.health.lastResult, output: lastLine ?? null };
    if (change === 'passing') {
      log.info(fields, `health check "${s.command}" passes again (${s.rise === 1 ? 'once' : `${s.rise} times in a row`})`);
    } else if (change === 'failing') {
      const said = lastLine === undefined ? '' : `, its last output: "${lastLine}"`;
      log.warn(fields, `${failureDetail(s, this.health)}${said}: ${consequence(s)}; check the command by hand (sh -c '${s.command}') and what it tests`);
    }
  }
}

// What a failing check does to this node, for the warning.
function consequence(s: CheckSpec): string {
  if (s.on === 'master') return 'the master hands over to a backup';
  if (s.mode === 'weight') return `this node advertises advskew +${s.weight} while it fails, so a more preferred node started with -P takes over`;
  return `this node gives up mastership and stays BACKUP until the check passes ${s.rise === 1 ? 'once' : `${s.rise} times in a row`}`;
}

// supervise() logs a child's output line by line at info/warn; a check runs every few seconds, so its
// lines go to debug instead, and the last one is kept for the warning when the check turns failing.
function quietOutput(log: Logger, command: string, keep: (line: string) => void): Logger {
  const line = (fields: object, msg?: string): void => {
    if (msg !== undefined) keep(msg);
    log.debug({ ...fields, check: command }, msg);
  };
  return Object.assign(Object.create(log) as Logger, { info: line, warn: line });
}
