// The driver: real sockets, timers and signals feed step(); its effects are carried out here, adverts
// at once and everything else through the serial effect queue, so adverts never wait for hooks.
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { checksFor, type CheckRunner } from '../checks/runner.js';
import type { Config } from '../config/config.js';
import { EffectQueue, type QueuedEffect } from './effect-queue.js';
import { EffectRunner } from './effect-runner.js';
import { AgentControl } from '../control/agent-control.js';
import { logStep } from './election-log.js';
import { driversFor } from '../effects/drivers.js';
import type { Announcer } from '../effects/garp.js';
import type { VipDriver } from '../effects/vip.js';
import type { KernelChannel } from '../net/kernel-channel.js';
import { initialState, nextDeadline, step, type Effect, type Event, type Settings, type State } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import type { Keys } from '../config/secret.js';
import { AgentKeys } from './key-reload.js';
import { describeVips } from '../protocol/vip-set.js';
import { describeQuorum } from '../election/quorum.js';
import { versionsSeen } from '../election/freshness.js';
import { wantsFreshVersion } from '../election/ready-standby.js';
import { DataVersionRunner } from './data-version.js';
import { AdvertChannel } from '../net/advert-channel.js';
import { AuthAlarm } from '../net/auth-alarm.js';
import { describeDestination, destinationOf } from '../net/destination.js';
import { readStateFile, type StateFile } from '../state/state-file.js';
import { StateWriter } from '../state/state-writer.js';
import { RunRecord } from '../state/run-record.js';
import { migrateDefaultPaths, refuseBesideLegacyAgent } from '../state/migrate.js';
import { installCrashGuard } from './crash-guard.js';
import { LinkFollower } from './link-follower.js';
import { DeadlineTimer } from './deadline-timer.js';
import { AdvertSender } from './sender.js';
import { installSignals } from './signals.js';
import { settingsOf } from '../config/settings.js';
import { LABELS, snapshotOf } from './snapshot.js';
import { NO_NOTIFIER, type Notifier } from '../systemd/notify.js';
import { NO_METRICS, type AgentMetrics } from '../metrics/agent-metrics.js';
import { openMetrics } from '../metrics/open.js';

// Everything the agent needs that is not in Config.
export interface AgentDeps {
  log: Logger;
  secret: Buffer;
  keys?: Keys; // the passfile's keys (config/key-file.ts); absent: `secret` alone, id "default"
  handleSignals?: boolean;
  notifier?: Notifier; // systemd's READY=1, STATUS= and watchdog (src/systemd/notify.ts)
}

// Runs one vhid until shutdown; resolves with the exit code. Startup failures (bind, join) reject.
export async function runAgent(cfg: Config, deps: AgentDeps): Promise<number> {
  const agent = new Agent(cfg, deps);
  return agent.run();
}

class Agent {
  private readonly cfg: Config;
  private readonly log: Logger;
  private readonly secret: Buffer;
  private readonly settings: Settings;
  private readonly vip: VipDriver;
  private readonly announcer: Announcer;
  private readonly kernel: KernelChannel | undefined; // --vip-path channel
  private readonly queue: EffectQueue;
  private readonly handleSignals: boolean;
  private state: State = initialState(0);
  private channel: AdvertChannel | undefined;
  private readonly sender: AdvertSender;
  private readonly runner: EffectRunner;
  private vipHeld = false;
  private hooksInProgress: string[] = [];
  private readonly timers = new DeadlineTimer(() => this.now());
  private tickLateMs: number | undefined; // how late the timer of the tick being stepped fired
  private link: LinkFollower | undefined;
  private finish: (code: number) => void = () => undefined;
  private readonly stateWriter: StateWriter;
  private record: RunRecord | undefined;
  private halted = false;
  private uninstallSignals: () => void = () => undefined;
  private readonly authAlarm: AuthAlarm;
  private readonly notifier: Notifier;
  private readonly control: AgentControl; // the control socket, peers heard, last hooks, --garp-refresh
  private readonly checks: CheckRunner | undefined; // --check
  private readonly dataVersion: DataVersionRunner | undefined; // --data-version
  private metrics: AgentMetrics = NO_METRICS; // --metrics-listen (src/metrics/)
  private readonly keys: AgentKeys; // the verifier's keys and the signing one; SIGHUP reloads them

  constructor(cfg: Config, deps: AgentDeps) {
    this.cfg = cfg;
    this.log = deps.log;
    this.secret = deps.secret;
    this.handleSignals = deps.handleSignals ?? true;
    this.notifier = deps.notifier ?? NO_NOTIFIER;
    this.settings = settingsOf(cfg, randomInt(1, 2 ** 32 - 1));
    ({ vip: this.vip, announcer: this.announcer, kernel: this.kernel } = driversFor(cfg, this.log));
    this.sender = new AdvertSender(cfg, this.settings, this.secret, this.log);
    this.keys = new AgentKeys(cfg, this.secret, deps.keys, this.log, (key) => this.sender.setKey(key));
    const runner = (this.runner = new EffectRunner({
      cfg,
      log: this.log,
      vip: this.vip,
      announcer: this.announcer,
      record: () => this.record,
      onVip: (held) => {
        this.vipHeld = held;
        this.metrics.vip(held, this.now());
        this.persist();
      },
      onHookStart: (path) => this.setHooks([...this.hooksInProgress, path]),
      onHookEnd: (phase, r) => {
        this.setHooks(this.hooksInProgress.filter((p) => p !== r.path));
        this.control.hookEnded(phase, r);
        this.metrics.hookEnded(phase, r);
      },
    }));
    this.control = new AgentControl({ cfg, log: this.log, now: () => this.now(), state: () => this.state, snapshot: () => this.snapshot(), dispatch: (e) => this.dispatch(e), announce: () => !this.halted && this.announcer.announce(), checks: () => this.checks?.status() ?? [] });
    this.queue = new EffectQueue((e, signal) => runner.run(e, signal), (event) => this.dispatch(event));
    this.stateWriter = new StateWriter(cfg.stateFile, this.log, () => this.snapshot());
    this.authAlarm = new AuthAlarm({ log: this.log, role: () => LABELS[this.state.role], onChange: () => this.persist() });
    this.checks = checksFor(cfg, this.log, (e) => this.dispatch(e));
    this.dataVersion = cfg.dataVersion === undefined ? undefined : new DataVersionRunner(cfg.dataVersion, this.log, (e) => this.dispatch(e));
  }

  async run(): Promise<number> {
    // First: a second agent for this vhid on this host stops here, before it sends or touches anything.
    await this.control.start();
    await refuseBesideLegacyAgent(this.cfg);
    // Before anything reads them: a run record at the default of earlier versions moves to this one's.
    await migrateDefaultPaths(this.cfg, this.log);
    const previous = await readStateFile(this.cfg.stateFile);
    this.sender.start(previous, Date.now());
    const epoch = previous?.maxEpochSeen;
    this.record = await RunRecord.load(this.cfg.runRecord, this.cfg.vhid, this.log);
    // Epochs only rise: the run record keeps the highest heard where a reboot does not wipe it.
    const restored = Math.max(Number.isSafeInteger(epoch) && (epoch ?? 0) >= 0 ? (epoch ?? 0) : 0, this.record.highestEpoch);
    this.state = initialState(this.now(), restored);
    this.metrics = await openMetrics(this.cfg, { settings: this.settings, state: () => this.state, now: () => this.now(), vipHeld: () => this.vipHeld, drops: () => this.channel?.drops() ?? new Map(), keys: () => this.keys.metrics() }, this.log);
    const destination = await destinationOf(this.cfg);
    this.channel = new AdvertChannel({
      iface: this.cfg.interface,
      srcip: this.cfg.srcip,
      port: this.cfg.port,
      destination,
      verifier: this.keys.verifier,
      log: this.log,
      onUnverified: (from) => this.authAlarm.record(from),
      onAdvert: ({ advert, behind }) => {
        this.control.heard(advert, behind);
        this.metrics.received(advert.type, behind);
        this.dispatch({ type: 'advert', advert, behind });
      },
      onBlocked: () => this.link?.update(),
    });
    const channel = this.channel;
    this.link = new LinkFollower({ iface: this.cfg.interface, ignoreIfState: this.cfg.ignoreIfState, log: this.log, channel, barred: () => this.state.bars.link, dispatch: (e) => this.dispatch(e), linkEvents: this.kernel && ((fn) => this.kernel?.onLink(fn) ?? (() => undefined)), hearingEvents: () => this.kernel?.hearing ?? false });
    await this.channel.open();
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    const unguard = this.handleSignals ? installCrashGuard({ log: this.log, halt: () => this.halt(), dropVip: () => this.vip.removeNow(), exit: (code) => this.finish(code) }) : () => undefined;
    this.installSignals();
    this.link.start();
    this.log.info({ vip: describeVips(this.cfg.vips), interface: this.cfg.interface, srcip: this.cfg.srcip, advbase: this.cfg.advbaseMs / 1000, advskew: this.cfg.advskew, transport: describeDestination(destination, this.cfg.port) }, 'floatd starting');
    // Said plainly at every start: whether a partition can give two masters here, and why.
    this.log.info({ event: 'quorum', voters: this.cfg.cluster.voters, quorum: this.cfg.cluster.quorum, incarnation: this.settings.cluster?.incarnation }, `${this.cfg.cluster.quorumWhy}; ${describeQuorum(this.settings)}`);
    this.notifier.attach(() => this.snapshot());
    // An operator's standby outlives restarts and reboots (maintenance): the node joins held out.
    const standby = this.record.standby;
    if (standby !== null) this.dispatch({ type: 'bar', bar: 'standby', detail: standby });
    this.dispatch({ type: 'start' });
    this.checks?.start();
    this.dataVersion?.start();
    // Joined: the startup down hooks ran and a stale VIP is gone (whatever was queued after them).
    void this.queue.settled().then(() => this.notifier.ready());
    const code = await done;
    await this.cleanup();
    unguard();
    return code;
  }

  private now(): number {
    return performance.now();
  }

  // The crash path: nothing may be sent or scheduled after this.
  private halt(): void {
    this.halted = true;
    this.timers.cancel();
    this.channel?.close();
    this.announcer.stop();
    void this.checks?.stop();
    this.dataVersion?.stop();
  }

  private dispatch(event: Event): void {
    if (this.halted) return;
    const before = this.state;
    const { state, effects } = step(this.settings, before, event, this.now());
    this.state = state;
    // Master-only checks follow the mastership; this never dispatches back.
    this.checks?.follow(state);
    // About to claim: the freshest number goes out in the next presence (--data-version).
    // Its releasing master waits for this standby to report the final version (--data-version, -z).
    if ((state.view.seeking !== undefined && before.view.seeking === undefined) || wantsFreshVersion(before, state)) this.dataVersion?.runNow();
    this.record?.observe(before, state, event.type === 'advert' ? event.advert.epoch : undefined, this.cfg.srcip);
    logStep(this.log, before, state, event, this.now(), this.tickLateMs);
    this.metrics.stepped(before, state, event, this.now());
    if (event.type === 'checked') this.control.gate(event.ok, event.detail);
    this.control.stepped(state);
    // The state file and status follow what an operator asks about: role, service, epoch, whom a backup follows, why it is kept out.
    if (state.role !== before.role || state.serving !== before.serving || state.epoch !== before.epoch || state.master?.address !== before.master?.address || state.bars !== before.bars) this.persist();
    this.carryOut(effects, before);
    this.schedule();
  }

  // Queued work carries what it needs from the moment it was emitted: hooks the facts, a VIP removal
  // whether it ends a mastership.
  private stamp(e: QueuedEffect, before: State): QueuedEffect {
    if (e.kind === 'hooks' || e.kind === 'check') {
      const facts = this.record?.facts(before.maxEpochSeen);
      return { ...e, facts: facts && this.dataVersion ? { ...facts, dataVersions: versionsSeen(this.settings, this.state, this.now()) } : facts };
    }
    if (e.kind === 'vip' && e.op === 'remove' && before.role === 'master') return { ...e, endsMastership: true };
    return e;
  }

  private carryOut(effects: readonly Effect[], before: State): void {
    const queued: QueuedEffect[] = [];
    for (const e of effects) {
      switch (e.kind) {
        case 'send':
          this.send(e.type, e.epoch, e.advskew, e.unclean === true);
          break;
        case 'cancel-up':
          this.queue.cancelUp();
          break;
        case 'exit':
          this.finish(e.code);
          break;
        case 'drop-vip':
          this.runner.dropNow(e.epoch);
          break;
        case 'measure-version':
          this.dataVersion?.runFresh();
          break;
        default:
          queued.push(this.stamp(e, before));
      }
    }
    this.queue.push(queued);
  }

  private send(type: 'advert' | 'resign' | 'presence', epoch: number, advskew: number, unclean = false): void {
    this.channel?.send(this.sender.packet(type, epoch, advskew, this.state, this.now(), unclean));
    if (type === 'resign') this.sender.sentResign(epoch, this.state.unclean);
    this.metrics.sent(type);
  }

  private schedule(): void {
    this.timers.arm(nextDeadline(this.state, this.settings), this.claimDeadline(), (lateMs) => {
      // A cut link must be seen before a master's next advert or a backup's promotion (ucarp's IFF_RUNNING check).
      this.link?.check();
      this.tickLateMs = lateMs;
      this.dispatch({ type: 'tick' });
      this.tickLateMs = undefined;
    });
  }

  // A backup's master-down deadline: the claim waits on it, so it gets no timer slack.
  private claimDeadline(): number | undefined {
    return this.state.role === 'backup' ? this.state.masterDownAt : undefined;
  }

  private setHooks(paths: string[]): void {
    this.hooksInProgress = paths;
    this.persist();
  }

  private installSignals(): void {
    if (!this.handleSignals) return;
    this.uninstallSignals = installSignals(this.log, this.cfg.cooldownMs, {
      shutdown: () => this.dispatch({ type: 'shutdown' }),
      dump: () => this.log.info({ event: 'dump', ...this.snapshot(), blocked: this.channel?.blocked ?? null, drops: Object.fromEntries(this.channel?.drops() ?? []) }, `state ${LABELS[this.state.role]}`),
      demote: () => this.dispatch({ type: 'demote' }),
      reload: () => void this.keys.reload(),
    });
  }

  private snapshot(): StateFile {
    return snapshotOf({ cfg: this.cfg, settings: this.settings, state: this.state, monotonicNow: this.now(), wallNow: Date.now(), pid: process.pid, vipHeld: this.vipHeld, hooksInProgress: this.hooksInProgress, seq: this.sender.seq, authFailures: this.authAlarm.active() });
  }

  private persist(): void {
    this.stateWriter.persist();
    this.notifier.changed();
  }

  private async cleanup(): Promise<void> {
    this.timers.cancel();
    this.authAlarm.stop();
    this.link?.stop();
    this.uninstallSignals();
    await this.checks?.stop();
    this.dataVersion?.stop();
    // Abort whatever still runs and wait: a hook that ignores SIGTERM is SIGKILLed after its grace, and
    // must not outlive the agent that started it.
    this.queue.clear();
    await this.queue.drained();
    this.announcer.stop();
    this.kernel?.close();
    await this.channel?.flush();
    this.channel?.close();
    this.persist();
    await this.stateWriter.flush();
    await this.record?.flush();
    this.notifier.close();
    await this.control.close();
    await this.metrics.close();
    this.log.info({ event: 'exit' }, 'floatd stopped');
  }
}
