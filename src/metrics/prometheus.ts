// The metrics with the standard Prometheus client (prom-client), one registry per agent. Names follow
// Prometheus's conventions (a floatd_ prefix, _total counters, _seconds units) and, where the meaning is the
// same, keepalived-exporter's (keepalived_become_master_total, _release_master_total, advert counters) and
// kube-vip's leader gauge (floatd_is_master). Gauges are read from the agent at scrape time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HOOK_PHASES, type HookPhaseName } from '../config/config.js';
import type { HookResult } from '../effects/hooks.js';
import type { Event, Role, State } from '../election/machine.js';
import { supportCount } from '../election/quorum.js';
import type { AdvertType } from '../protocol/advert.js';
import type { DropReason } from '../net/transport.js';
import type { AgentMetrics, MetricsSource } from './agent-metrics.js';
import { floatdVersion } from './build-info.js';
import { FAILOVER_STEPS, FailoverSteps } from './failover-steps.js';
import { reasonKind, type ReasonKind } from './reason-kind.js';

// Hooks run from milliseconds (a check) to minutes (a metadata restore before the VIP).
const HOOK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const ADVERT_TYPES = ['advert', 'resign', 'presence'] as const satisfies readonly AdvertType[];
const DROP_REASONS = ['malformed', 'wrong-vhid', 'bad-hmac', 'wrong-vip', 'stale', 'replay', 'behind', 'not-a-peer', 'address-mismatch', 'overflow'] as const satisfies readonly DropReason[];
const BARS = ['link', 'health', 'standby', 'failures'] as const;
const ROLES = ['init', 'backup', 'master', 'releasing', 'stopped'] as const satisfies readonly Role[];
// Role names as the logs and the state file spell them.
const label = (role: Role): string => role.toUpperCase();

export class PrometheusMetrics implements AgentMetrics {
  readonly registry = new Registry();
  private readonly failover = new FailoverSteps();
  private last: { reason: string; kind: ReasonKind } | undefined; // a release keeps its cause to its end
  private readonly transitions: Counter<'from' | 'to' | 'reason'>;
  private readonly becomeMaster: Counter;
  private readonly releaseMaster: Counter;
  private readonly sentTotal: Counter<'type'>;
  private readonly receivedTotal: Counter<'type'>;
  private readonly behindTotal: Counter;
  private readonly hookRuns: Counter<'phase'>;
  private readonly hookFailures: Counter<'phase'>;
  private readonly hookSeconds: Histogram<'phase'>;

  constructor(src: MetricsSource) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ vhid: String(src.settings.vhid) });
    new Gauge({ name: 'floatd_build_info', help: 'Always 1; the labels say which floatd and Node.js run this agent.', labelNames: ['version', 'nodejs'], registers }).set({ version: floatdVersion(), nodejs: process.versions.node }, 1);
    const s = () => src.state();
    gauge(registers, 'floatd_state', 'The node\'s role: 1 for the current one (INIT, BACKUP, MASTER, RELEASING, STOPPED), 0 for the others.', ['state'], (g) => {
      for (const role of ROLES) g.set({ state: label(role) }, role === s().role ? 1 : 0);
    });
    gauge(registers, 'floatd_is_master', '1 while this node is MASTER of the vhid, else 0.', [], (g) => g.set(s().role === 'master' ? 1 : 0));
    gauge(registers, 'floatd_serving', '1 while this node is MASTER and its up hooks are done.', [], (g) => g.set(s().role === 'master' && s().serving ? 1 : 0));
    gauge(registers, 'floatd_vip_held', '1 while this node holds the VIP.', [], (g) => g.set(src.vipHeld() ? 1 : 0));
    gauge(registers, 'floatd_epoch', 'The epoch of this node\'s current or last mastership.', [], (g) => g.set(s().epoch));
    gauge(registers, 'floatd_max_epoch_seen', 'The highest epoch this node has heard or held.', [], (g) => g.set(s().maxEpochSeen));
    gauge(registers, 'floatd_kept_out', '1 for each reason that keeps this node out of mastership now (link, health, standby, failures).', ['bar'], (g) => {
      for (const bar of BARS) g.set({ bar }, s().bars[bar] === undefined ? 0 : 1);
    });
    const cluster = src.settings.cluster;
    gauge(registers, 'floatd_quorum_voters', 'Voters the cluster has, this node and a witness included (0: unknown).', [], (g) => g.set(cluster?.voters ?? 0));
    gauge(registers, 'floatd_quorum_required', 'Supports a master needs, its own included (0: no quorum).', [], (g) => g.set(cluster?.quorum ?? 0));
    gauge(registers, 'floatd_quorum_support', 'Live voters supporting this node now, itself included (0 without the cluster view).', [], (g) => g.set(cluster === undefined ? 0 : supportCount(src.settings, s(), src.now())));
    if (cluster?.freshness === true) {
      gauge(registers, 'floatd_data_version', "--data-version's last good number (0 until there is one).", [], (g) => g.set(Number(s().view.dataVersion ?? 0n)));
      gauge(registers, 'floatd_data_version_failing', '1 while the last run of --data-version gave no number.', [], (g) => g.set(s().view.versionFailing === undefined ? 0 : 1));
    }
    this.transitions = new Counter({ name: 'floatd_transitions_total', help: 'Role changes, by the roles and the kind of cause.', labelNames: ['from', 'to', 'reason'], registers });
    this.becomeMaster = new Counter({ name: 'floatd_become_master_total', help: 'Times this node became MASTER.', registers });
    this.releaseMaster = new Counter({ name: 'floatd_release_master_total', help: 'Times this node left MASTER.', registers });
    this.sentTotal = new Counter({ name: 'floatd_adverts_sent_total', help: 'Packets sent, by type (advert, resign, presence); each copy counts.', labelNames: ['type'], registers });
    this.receivedTotal = new Counter({ name: 'floatd_adverts_received_total', help: 'Authentic packets from peers handed to the election, by type.', labelNames: ['type'], registers });
    this.behindTotal = new Counter({ name: 'floatd_adverts_behind_total', help: 'Of the received packets, those below the sender\'s mark (its clock went back, or a replay): they only hold this node back.', registers });
    const dropped = new Counter({
      name: 'floatd_adverts_dropped_total',
      help: 'Datagrams not taken as adverts, by reason (bad-hmac, replay, stale, wrong-vip, wrong-vhid, malformed, not-a-peer, address-mismatch, overflow, behind).',
      labelNames: ['reason'],
      registers,
      collect() {
        dropped.reset();
        // Every reason is there from the start, so an alert on its rate has a series before the first drop.
        for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
        for (const [reason, n] of src.drops()) dropped.inc({ reason }, n);
      },
    });
    this.hookRuns = new Counter({ name: 'floatd_hook_runs_total', help: 'Hooks run, by phase (takeover-check, fence, prepare, up, down, released).', labelNames: ['phase'], registers });
    this.hookFailures = new Counter({ name: 'floatd_hook_failures_total', help: 'Hooks that failed (non-zero exit, signal, timeout), by phase.', labelNames: ['phase'], registers });
    this.hookSeconds = new Histogram({ name: 'floatd_hook_duration_seconds', help: 'How long each hook ran, by phase.', labelNames: ['phase'], buckets: HOOK_BUCKETS, registers });
    for (const type of ADVERT_TYPES) {
      this.sentTotal.inc({ type }, 0);
      this.receivedTotal.inc({ type }, 0);
    }
    for (const phase of HOOK_PHASES) {
      this.hookRuns.inc({ phase }, 0);
      this.hookFailures.inc({ phase }, 0);
    }
    const wallOf = (monotonic: number) => (Date.now() - (src.now() - monotonic)) / 1000;
    gauge(registers, 'floatd_last_failover_timestamp_seconds', 'When this node last decided to claim mastership and then became MASTER (Unix time; 0 before the first).', [], (g) => {
      const f = this.failover.last();
      g.set(f === undefined ? 0 : wallOf(f.claimAt));
    });
    gauge(registers, 'floatd_last_failover_step_seconds', 'Seconds from the claim of the last failover to each of its steps: promoted (MASTER), vip_added, serving (up hooks done).', ['step'], (g) => {
      g.reset();
      const f = this.failover.last();
      for (const step of FAILOVER_STEPS) {
        const at = f?.at[step];
        if (f !== undefined && at !== undefined) g.set({ step }, (at - f.claimAt) / 1000);
      }
    });
    if (src.keys !== undefined) this.keyMetrics(registers, src.keys);
  }

  stepped(before: State, after: State, event: Event, now: number): void {
    this.failover.stepped(before, after, now);
    if (after.role === before.role) return;
    const kind = this.last !== undefined && this.last.reason === after.reason ? this.last.kind : reasonKind(event, after.reason);
    this.last = { reason: after.reason, kind };
    this.transitions.inc({ from: label(before.role), to: label(after.role), reason: kind });
    if (after.role === 'master') this.becomeMaster.inc();
    if (before.role === 'master') this.releaseMaster.inc();
  }

  sent(type: AdvertType): void {
    this.sentTotal.inc({ type });
  }

  received(type: AdvertType, behind: boolean): void {
    this.receivedTotal.inc({ type });
    if (behind) this.behindTotal.inc();
  }

  hookEnded(phase: HookPhaseName, r: HookResult): void {
    this.hookRuns.inc({ phase });
    if (!r.ok && !r.cancelled) this.hookFailures.inc({ phase });
    this.hookSeconds.observe({ phase }, r.durationMs / 1000);
  }

  vip(held: boolean, now: number): void {
    if (held) this.failover.vipAdded(now);
  }

  async close(): Promise<void> {
    this.registry.clear();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private keyMetrics(registers: Registry[], keys: NonNullable<MetricsSource['keys']>): void {
    gauge(registers, 'floatd_key_active', '1 for the key id that signs this node\'s adverts, 0 for the other accepted ones.', ['key_id'], (g) => {
      g.reset();
      const k = keys();
      for (const id of k.ids) g.set({ key_id: id }, id === k.active ? 1 : 0);
    });
    const verified = new Counter({
      name: 'floatd_key_verified_total',
      help: 'Adverts whose HMAC verified, by the key id that verified them (a key still in use shows here before it is retired).',
      labelNames: ['key_id'],
      registers,
      collect() {
        verified.reset();
        for (const [key_id, n] of keys().verified) verified.inc({ key_id }, n);
      },
    });
    const reloads = new Counter({
      name: 'floatd_key_reloads_total',
      help: 'Reloads of the keys (SIGHUP, floatd reload-keys), by result (ok, failed: the keys in use stay).',
      labelNames: ['result'],
      registers,
      collect() {
        reloads.reset();
        const r = keys().reloads;
        reloads.inc({ result: 'ok' }, r.ok);
        reloads.inc({ result: 'failed' }, r.failed);
      },
    });
  }
}

// A gauge filled at scrape time.
function gauge<L extends string>(registers: Registry[], name: string, help: string, labelNames: L[], fill: (g: Gauge<L>) => void): void {
  const g: Gauge<L> = new Gauge<L>({ name, help, labelNames, registers, collect: () => fill(g) });
}
