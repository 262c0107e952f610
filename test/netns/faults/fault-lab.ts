// Shared pieces of the fault suite: agents with fixture hooks, partitions and lossy links
// made with tc on the lab's veths, and the timeline of who held the VIP, read from the address recorder.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { netnsUnavailable, sleep, watchLab, type AddressEvent, type AgentLine, type AgentProcess, type Lab, type LabHost } from '../../support/netns.js';
import { advertIntervalMs as advertInterval, masterDownIntervalMs as masterDownInterval } from '../../../src/election/timing.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/faults/', import.meta.url));

// Why the suite is skipped: only off root outside CI (CI must run it and fail loudly), or without ip netns.
export const unavailable: string | undefined = process.getuid?.() !== 0 ? (process.env.CI === 'true' ? undefined : 'needs root for ip netns') : netnsUnavailable();

export const skipNote = unavailable ? ` (skipped: ${unavailable})` : '';

// Hook fixtures in test/fixtures/faults: mark.sh records each run, slow.sh takes 2 s, fail.sh exits 1,
// facts.sh records the FLOATD_PREVIOUS_RUN… facts, fail-if-flagged.sh fails while $3/fail-PHASE exists,
// gate.sh (a takeover check) passes only while $3/allow exists, fence.sh (a --fence) only while $3/fence-ok does.
export type Fixture = 'mark' | 'slow' | 'fail' | 'facts' | 'fail-if-flagged' | 'gate' | 'fence';

// How one agent runs; everything else comes from lab.agentArgs.
export interface AgentSpec {
  vhid: number;
  vip: string;
  advbase: number; // seconds (-b)
  advskew: number;
  deadratio?: number; // -r, floatd's default 3 when absent
  preempt?: boolean; // -P
  shutdown?: boolean; // -z
  cooldown?: number; // seconds
  up?: Fixture[]; // up.d/10-…, 20-… in this order
  down?: Fixture[];
  prepare?: Fixture[];
  takeoverCheck?: Fixture; // --takeover-check
  fence?: Fixture; // --fence
  extra?: string[]; // appended last
}

// The agents' own timing (src/election/timing.ts, as docs/election.md states it), for a spec: a master
// advertises every advbase + advskew/256 s …
export function advertIntervalMs(s: Pick<AgentSpec, 'advbase' | 'advskew'>): number {
  return advertInterval({ advbaseMs: s.advbase * 1000, advskew: s.advskew });
}

// … and a backup promotes after deadratio × advbase + advskew/256 s of silence.
export function masterDownMs(s: Pick<AgentSpec, 'advbase' | 'advskew' | 'deadratio'>): number {
  return masterDownInterval({ advbaseMs: s.advbase * 1000, advskew: s.advskew }, s.deadratio ?? 3);
}

// The host's output directory for this vhid: hooks get it as $3 (-x), mark.sh writes `markers` into it.
export function outDir(lab: Lab, host: LabHost, vhid: number): string {
  return join(lab.dir, `v${vhid}-${host.name}`);
}

// Full argument list for `spec` on `host`; sets up its hooks directory the first time (idempotent, so restarts reuse it).
export function agentArgs(lab: Lab, host: LabHost, spec: AgentSpec): string[] {
  const args = [...lab.agentArgs(host, spec.vhid, spec.vip), '-b', String(spec.advbase), '-k', String(spec.advskew)];
  if (spec.deadratio !== undefined) args.push('-r', String(spec.deadratio));
  if (spec.preempt) args.push('-P');
  if (spec.shutdown) args.push('-z');
  if (spec.cooldown !== undefined) args.push('--cooldown', String(spec.cooldown));
  const out = outDir(lab, host, spec.vhid);
  mkdirSync(out, { recursive: true });
  const hooks = join(out, 'hooks');
  for (const [phase, fixtures] of [['up', spec.up ?? []], ['down', spec.down ?? []], ['prepare', spec.prepare ?? []]] as const) {
    const dir = join(hooks, `${phase}.d`);
    mkdirSync(dir, { recursive: true });
    fixtures.forEach((f, i) => {
      const link = join(dir, `${(i + 1) * 10}-${f}`);
      if (!existsSync(link)) symlinkSync(join(FIXTURES, `${f}.sh`), link);
    });
  }
  const gate = spec.takeoverCheck ? ['--takeover-check', join(FIXTURES, `${spec.takeoverCheck}.sh`)] : [];
  const fence = spec.fence ? ['--fence', join(FIXTURES, `${spec.fence}.sh`)] : [];
  return [...args, '--hooks-dir', hooks, '-x', out, ...gate, ...fence, ...(spec.extra ?? [])];
}

// Lines a fixture wrote into the host's output directory for this vhid (facts, checks), oldest first.
export function outputLines(lab: Lab, host: LabHost, vhid: number, name: string): string[] {
  try {
    return readFileSync(join(outDir(lab, host, vhid), name), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

// A suite's lab watched as watchLab does (report on failure, teardown, leftovers), and the agents each test
// starts (with `start` or `track`) stopped after that test, pass or fail.
export function labAndAgents(get: () => Lab | undefined): { start(host: LabHost, spec: AgentSpec): AgentProcess; track(...a: AgentProcess[]): void } {
  let agents: AgentProcess[] = [];
  watchLab(get);
  afterEach(async () => {
    const stopping = agents;
    agents = [];
    await stopAll(stopping);
  });
  return {
    start(host, spec) {
      const lab = get();
      if (!lab) throw new Error('labAndAgents: no lab yet');
      const a = startAgent(lab, host, spec);
      agents.push(a);
      return a;
    },
    track: (...a) => void agents.push(...a),
  };
}

// A master's host "dies" for a standby's point of view: its agent is SIGKILLed and the VIP it left goes
// too (as a power-off or a fence would take it), so what follows is the standby's doing alone.
export async function killHost(lab: Lab, agent: AgentProcess, vip: string): Promise<void> {
  agent.kill('SIGKILL');
  await agent.exited;
  const r = await lab.exec(agent.host, ['ip', 'addr', 'del', `${vip}/32`, 'dev', agent.host.iface]);
  if (r.code !== 0) throw new Error(`cannot remove ${vip} from ${agent.host.name}: ${r.stderr}`);
}

// The takeover refusals (takeover check or fence) an agent logged since a mark.
export function refusals(agent: AgentProcess, since: number): AgentLine[] {
  return agent.lines.slice(since).filter((l) => l.event === 'takeover-refused');
}

// Starts floatd on `host` as `spec` says.
export function startAgent(lab: Lab, host: LabHost, spec: AgentSpec): AgentProcess {
  return lab.spawnAgent(host, agentArgs(lab, host, spec));
}

// The usual start of a two-node scenario: `a` starts first and serves, then `b` joins as its backup.
export async function masterAndBackup(lab: Lab, a: LabHost, sa: AgentSpec, b: LabHost, sb: AgentSpec): Promise<[AgentProcess, AgentProcess]> {
  const first = startAgent(lab, a, sa);
  await first.waitFor(`${a.name} listening`, isStarting);
  const second = startAgent(lab, b, sb);
  await first.waitFor(`${a.name} serving`, isServing);
  await joined(second);
  return [first, second];
}

// Lines mark.sh wrote on `host` for this vhid, oldest first.
export function markers(lab: Lab, host: LabHost, vhid: number): string[] {
  return outputLines(lab, host, vhid, 'markers');
}

// Matchers for AgentProcess.waitFor and friends.
export const becomes = (state: string) => (l: AgentLine) => l.event === 'transition' && l.state === state;
export const vipOp = (op: 'add' | 'remove') => (l: AgentLine) => l.event === 'vip' && l.op === op;
export const isServing = (l: AgentLine) => l.event === 'serving';
export const isStarting = (l: AgentLine) => l.msg === 'floatd starting';

// Transition lines logged from `since` on.
export function transitions(agent: AgentProcess, since = 0): AgentLine[] {
  return agent.lines.slice(since).filter((l) => l.event === 'transition');
}

// Waits until a fresh agent has joined: BACKUP, and the VIP an earlier run may have left removed (floatd
// does that before it can promote). Returns the removal line.
export async function joined(agent: AgentProcess, timeoutMs = 5000): Promise<AgentLine> {
  await agent.waitFor(`${agent.host.name} BACKUP`, becomes('BACKUP'), { timeoutMs });
  return agent.waitFor(`${agent.host.name} startup VIP removal`, vipOp('remove'), { timeoutMs });
}

// Waits until a backup follows `master`: asks with SIGUSR1, which logs the state and the master heard.
// Only for agents that have joined (before that SIGUSR1 would still end the process).
export async function follows(agent: AgentProcess, master: LabHost, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const since = agent.mark();
    agent.kill('SIGUSR1');
    const dump = await agent.waitFor(`${agent.host.name} state dump`, (l) => l.event === 'dump', { since, timeoutMs });
    if (dump.state === 'BACKUP' && dump.master === master.ip) return;
    if (performance.now() > deadline) throw new Error(`${agent.host.name} does not follow ${master.name}: ${dump.msg}, master ${String(dump.master)}`);
    await sleep(50);
  }
}

// Ends a scenario: SIGKILL to each agent's process group (its hooks and arping too), then waits for the agents.
export async function stopAll(agents: readonly AgentProcess[]): Promise<void> {
  for (const a of agents) {
    try {
      process.kill(-a.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already
    }
  }
  await Promise.all(agents.map((a) => a.exited));
}

// Classic BPF for tc's bpf classifier in direct-action mode, where the return value is the verdict:
// 2 = TC_ACT_SHOT (drop), -1 = TC_ACT_UNSPEC (carry on). It needs only cls_bpf, which kernels without
// sch_netem or act_gact (such as this project's VMs) still have.
const DROP_ALL = '1,6 0 0 2';
// ld rand (SKF_AD_OFF + SKF_AD_RANDOM = 0xfffff038); pass when A ≥ p × 2³², else drop.
const dropRandom = (p: number) => `4,32 0 0 4294963256,53 0 1 ${Math.round(p * 2 ** 32)},6 0 0 4294967295,6 0 0 2`;

// Partitions `host` from the bridge in both directions at its bridge port. The host's own veth stays
// up, so its agent sees a silent network, not a link down.
export async function cut(lab: Lab, host: LabHost): Promise<void> {
  const port = lab.bridgePort(host);
  await tcRoot(['qdisc', 'add', 'dev', port, 'clsact']);
  for (const dir of ['ingress', 'egress']) await tcRoot(['filter', 'add', 'dev', port, dir, 'prio', '1', 'bpf', 'da', 'bytecode', DROP_ALL]);
}

// Undoes cut().
export async function heal(lab: Lab, host: LabHost): Promise<void> {
  await tcRoot(['qdisc', 'del', 'dev', lab.bridgePort(host), 'clsact']);
}

// What impairEgress() could apply: netem when the kernel has it, else loss alone through cls_bpf.
export interface Impairment {
  method: 'netem' | 'bpf';
  detail: string;
}

// Loss (and delay with jitter where sch_netem exists) on everything `host` sends, as a root qdisc on its
// own veth inside its namespace. Either way a drop is silent: the sender's socket is told nothing.
export async function impairEgress(lab: Lab, host: LabHost, o: { loss: number; delayMs: number; jitterMs: number }): Promise<Impairment> {
  const netem = await lab.exec(host, ['tc', 'qdisc', 'add', 'dev', host.iface, 'root', 'netem', 'loss', `${o.loss * 100}%`, 'delay', `${o.delayMs}ms`, `${o.jitterMs}ms`]);
  if (netem.code === 0) return { method: 'netem', detail: `netem loss ${o.loss * 100}% delay ${o.delayMs}ms ${o.jitterMs}ms` };
  if (!/qdisc kind is unknown/.test(netem.stderr)) throw new Error(`tc netem on ${host.name}: ${netem.stderr.trim()}`);
  // No sch_netem: an htb root without classes sends everything straight on, except what the filter drops.
  await tcIn(lab, host, ['qdisc', 'add', 'dev', host.iface, 'root', 'handle', '1:', 'htb']);
  await tcIn(lab, host, ['filter', 'add', 'dev', host.iface, 'parent', '1:', 'prio', '1', 'bpf', 'da', 'bytecode', dropRandom(o.loss)]);
  return { method: 'bpf', detail: `cls_bpf random drop ${o.loss * 100}% (this kernel has no sch_netem: no delay)` };
}

// Packets sent and dropped by the root qdisc impairEgress() installed.
export async function egressCounters(lab: Lab, host: LabHost): Promise<{ sent: number; dropped: number }> {
  const text = await tcIn(lab, host, ['-s', 'qdisc', 'show', 'dev', host.iface, 'root']);
  const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(text);
  if (!m) throw new Error(`no counters in tc -s qdisc show: ${text}`);
  return { sent: Number(m[1]), dropped: Number(m[2]) };
}

// tc in the root namespace, on the lab's own bridge ports.
function tcRoot(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('tc', args, { timeout: 10_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`tc ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve())),
  );
}

// tc inside a host's namespace; returns its output.
async function tcIn(lab: Lab, host: LabHost, args: string[]): Promise<string> {
  const r = await lab.exec(host, ['tc', ...args]);
  if (r.code !== 0) throw new Error(`tc ${args.join(' ')} in ${host.ns}: ${r.stderr.trim() || `exit ${String(r.code)}`}`);
  return r.stdout;
}

// A stretch of time with the same set of hosts holding an address; `to` is undefined for the last one.
export interface HoldSpan {
  from: number;
  to: number | undefined;
  holders: string[];
}

// The address recorder's events for `address` as consecutive spans from `since` on (earlier events only set
// who holds it at `since`).
export function holdSpans(events: readonly AddressEvent[], address: string, since = -Infinity): HoldSpan[] {
  const held = new Set<string>();
  const spans: HoldSpan[] = [];
  let at = since;
  for (const e of events) {
    if (e.address !== address) continue;
    if (e.at < since) {
      if (e.op === 'add') held.add(e.host);
      else held.delete(e.host);
      continue;
    }
    spans.push({ from: at, to: e.at, holders: [...held].sort() });
    if (e.op === 'add') held.add(e.host);
    else held.delete(e.host);
    at = e.at;
  }
  spans.push({ from: at, to: undefined, holders: [...held].sort() });
  return spans.filter((s) => s.to === undefined || s.to > s.from);
}
