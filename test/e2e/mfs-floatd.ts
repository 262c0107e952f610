// Real floatd agents on the MooseFS lab's master hosts: each runs in its host's network and mount
// namespaces with the pack as --hooks-dir, hooks/mfs/takeover-check as its gate and -z, its run record and state
// file in the lab dir. Also what the floatd-driven tests look at: the kernel's address events (who held the VIP)
// and which MooseFS daemons run on which host.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AddressMonitor, AgentProcess, CLI_PATH, isAlive, type AgentLine, type LabHost } from '../support/netns.js';
import { PACK, VIP, type MfsHost, type MfsLab } from './mfs-lab.js';

export const VHID = 7;

// How one agent runs: -b, -k and anything appended (e.g. --cooldown).
export interface FloatdSpec {
  advbase: number;
  advskew: number;
  hooksDir?: string; // default: the pack itself
  extra?: string[];
}

// The lab's shared secret file (-o), written on first use.
export function labSecret(lab: MfsLab): string {
  const secret = join(lab.dir, 'secret');
  writeFileSync(secret, `mfs-${lab.prefix}\n`, { mode: 0o600 });
  return secret;
}

// A stand-in for an IPMI power-off as floatd --fence (docs/guide.md "Fencing"): the lab's host death already cut and
// killed the old master, so it records whom it was asked to fence (FLOATD_FENCE_TARGET, one line per call in
// LAB/fenced) and succeeds. The shared strategy's config says MFS_SHARED_FENCING=floatd.
export function labFence(lab: MfsLab): string {
  const path = join(lab.dir, 'fence');
  writeFileSync(path, `#!/bin/sh\necho "$FLOATD_FENCE_TARGET" >>${join(lab.dir, 'fenced')}\necho "fenced $FLOATD_FENCE_TARGET (lab)"\n`, { mode: 0o755 });
  return path;
}

// The agent's flags on host H; the run record survives restarts of the agent (it is what a reboot keeps).
export function floatdArgs(lab: MfsLab, h: MfsHost, spec: FloatdSpec): string[] {
  return [
    '-i', h.iface, '-s', h.ip, '-v', String(VHID), '-a', VIP, '-o', labSecret(lab), '-b', String(spec.advbase), '-k', String(spec.advskew), '-z',
    '--hooks-dir', spec.hooksDir ?? PACK, '--takeover-check', join(PACK, 'takeover-check'), '--phase-timeout', 'prepare=120', '--phase-timeout', 'down=60',
    '--state-file', join(h.dir, 'floatd-state.json'), '--run-record', join(h.dir, 'floatd-record.json'), '--control-socket', join(h.dir, 'floatd.sock'), '--log-format', 'json', ...(spec.extra ?? []),
  ];
}

// Starts floatd on host H (nsenter execs, so the child's pid is the agent's; it leads its own process group).
export function startFloatd(lab: MfsLab, h: MfsHost, spec: FloatdSpec): AgentProcess {
  const argv = [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', process.execPath, CLI_PATH, ...floatdArgs(lab, h, spec)];
  const child = spawn('nsenter', argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOATD_MFS_CONFIG: h.env, FLOATD_MFS_CACHE_DIR: lab.runDir } });
  const host: LabHost = { name: h.name, ns: h.ns, iface: h.iface, ip: h.ip, mac: '' };
  return new AgentProcess(host, child);
}

// Matchers over an agent's log.
export const becomes = (state: string) => (l: AgentLine) => l.event === 'transition' && l.state === state;
export const isServing = (l: AgentLine) => l.event === 'serving';
export const refused = (l: AgentLine) => l.event === 'takeover-refused';
export const hookStarted = (dir: string) => (l: AgentLine) => l.msg === 'hook started' && String(l.hook).includes(`/${dir}/`);

// The lines a hook of the pack printed (its "mfs NAME: …" steps), in the agent's log from `since` on.
export function packLines(a: AgentProcess, since = 0): string[] {
  return a.lines.slice(since).filter((l) => typeof l.hook === 'string' && l.msg.startsWith('mfs ')).map((l) => l.msg);
}

// Actions after which an mfsmaster/mfsmetalogger process is a short-lived command (the hooks' `test`, `stop`,
// `-x restore`), not a daemon that serves: counting those would see "two masters" that never were.
const COMMANDS = new Set(['test', 'stop', 'kill', 'restore', 'reload', 'info']);

// The MooseFS daemons running in host H right now (from /proc/PID/comm and cmdline of its namespace's pids).
export function daemonProcesses(lab: MfsLab, h: MfsHost): { pid: number; name: string; args: string }[] {
  const found: { pid: number; name: string; args: string }[] = [];
  for (const pid of lab.pids(h)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const args = cmdline.split('\0');
      // An empty cmdline is a process on its way out (its memory is already gone; it still closes its files before
      // it leaves the namespace): it serves nothing, and its arguments can no longer say it was one of the hooks'
      // `mfsmaster -c CFG test` commands, which is what a busy machine showed here as a "second master".
      if (cmdline === '') continue;
      if (/^mfs(master|metalogger|chunkserver)$/.test(comm) && !args.some((a) => COMMANDS.has(a))) found.push({ pid, name: comm, args: args.join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// Names of the MooseFS daemons running in host H right now, sorted.
export function daemons(lab: MfsLab, h: MfsHost): string[] {
  return daemonProcesses(lab, h).map((d) => d.name).sort();
}

// Samples every master candidate's daemons every 100 ms: the most mfsmasters seen at once, on which hosts, and
// what ran when two did (a failure then names the processes and the moment).
export class MasterWatch {
  readonly seen = new Set<string>();
  readonly overlaps: string[] = [];
  // When two mfsmaster processes ran at once (every sample, not only the first five described in overlaps).
  readonly overlapTimes: number[] = [];
  most = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(lab: MfsLab) {
    const sample = () => {
      const running = lab.hosts.filter((h) => h.role === 'master').map((h) => ({ h, ps: daemonProcesses(lab, h).filter((d) => d.name === 'mfsmaster') })).filter((r) => r.ps.length > 0);
      for (const r of running) this.seen.add(r.h.name);
      this.most = Math.max(this.most, running.length);
      if (running.length > 1) this.overlapTimes.push(performance.now());
      if (running.length > 1 && this.overlaps.length < 5) this.overlaps.push(`at ${Math.round(performance.now())} ms: ${running.map((r) => `${r.h.name}: ${r.ps.map((p) => `${p.pid} ${p.args}`).join(', ')}`).join(' | ')}`);
    };
    sample();
    this.timer = setInterval(sample, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// The kernel's address events of every lab host (one `ip monitor all-nsid`), stopped by the lab's teardown.
export async function watchAddresses(lab: MfsLab): Promise<AddressMonitor> {
  const ids = () => JSON.parse(spawnSync('ip', ['-j', 'netns', 'list-id'], { encoding: 'utf8' }).stdout || '[]') as { nsid: number; name?: string }[];
  for (const h of lab.hosts) if (!ids().some((e) => e.name === h.ns)) spawnSync('ip', ['netns', 'set', h.ns, 'auto']);
  const names = new Map<number, string>();
  for (const e of ids()) {
    const h = lab.hosts.find((x) => x.ns === e.name);
    if (h) names.set(e.nsid, h.name);
  }
  const monitor = new AddressMonitor();
  lab.onTeardown(() => monitor.stop());
  await monitor.start(names, lab.hosts[0]?.ns ?? '');
  return monitor;
}

// Hosts that ever had the VIP added, from the address events after `since` (performance.now()).
export function vipAddedOn(monitor: AddressMonitor, since = -Infinity): string[] {
  return [...new Set(monitor.events.filter((e) => e.address === VIP && e.op === 'add' && e.at >= since).map((e) => e.host))].sort();
}

// Ends agents: SIGKILL to each agent's process group, then waits for them (daemons stay until the lab's teardown).
export async function stopAgents(agents: readonly (AgentProcess | undefined)[]): Promise<void> {
  for (const a of agents) {
    if (!a || a.exit) continue;
    try {
      process.kill(-a.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(agents.map((a) => a?.exited));
}

// What a failed test prints: each agent's last 80 log lines (transitions, hook steps, refusals).
export function agentReport(agents: readonly (AgentProcess | undefined)[]): string {
  return agents.filter((a) => a !== undefined).map((a) => `--- floatd on ${a.host.name} (${a.state})\n${a.lines.slice(-80).map((l) => `  ${Math.round(l.at)} ${l.msg}`).join('\n')}`).join('\n');
}

// SIGKILLs one MooseFS daemon on host H (a crash of that daemon alone).
// Returns once they are gone: a write the daemon had under way lands before the caller touches its files (a
// truncation racing the metalogger's last append left the cut line mid-file, and the file ended whole).
export function killDaemon(lab: MfsLab, h: MfsHost, name: 'mfsmaster' | 'mfsmetalogger'): void {
  const killed = daemonProcesses(lab, h).filter((d) => d.name === name).map((d) => d.pid);
  for (const pid of killed) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && killed.some(isAlive); i++) spawnSync('sleep', ['0.05']);
  if (killed.some(isAlive)) throw new Error(`${name} on ${h.name} (pid ${killed.filter(isAlive).join(', ')}) still runs 5 s after SIGKILL`);
}
