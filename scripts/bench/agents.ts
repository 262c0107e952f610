// The three agents under test, started the same way on the same lab hosts: floatd (through the lab
// harness), ucarp 1.5 with classic vip-up/vip-down scripts, and keepalived (VRRPv3, multicast).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { descendants, sleep, type AgentProcess, type Lab, type LabHost } from '../../test/support/netns.js';
import { masterDownIntervalMs } from '../../src/election/timing.js';
import { killTree, startIn, type Started } from './processes.js';
import type { LogLine } from './steps.js';

export type Impl = 'floatd' | 'ucarp' | 'keepalived';

export const VIP = '198.51.100.100';
export const VHID = 10;

// One side of a pair: the advert interval and the skew in ucarp's unit (1/256 s, whatever the interval).
export interface Timers {
  advbaseS: number;
  advskew: number;
}

// A running agent of any kind, as the bench drives it.
export interface Agent {
  impl: Impl;
  host: LabHost;
  pid: number;
  exited: Promise<unknown>;
  alive(): boolean;
  signal(sig: NodeJS.Signals): void;
  // SIGKILL to the agent's process group and descendants: for keepalived its VRRP child too, which would
  // otherwise be restarted by its parent (or, on the parent's death, shut down cleanly instead of crashing).
  crash(): void;
  // Pids of the agent and its children, for CPU and memory readings.
  pids(): number[];
  tail(): string;
  // Every line of output so far with the time the bench read it (floatd's parsed: steps.ts reads both).
  journal(): LogLine[];
  // Resolves once the agent has joined as BACKUP (listening); false if it has not within timeoutMs.
  ready(timeoutMs: number): Promise<boolean>;
  // floatd only: why it last became MASTER, from its log (the others' logs are not parsed).
  promotion?(): string | undefined;
}

// Files every agent kind needs, written once per bench run into `dir`.
export interface AgentFiles {
  dir: string;
  hooksDir: string; // floatd: trivial up.d/down.d hooks
  noHooksDir: string; // floatd: a hooks directory with no hooks in it
  ucarpUp: string;
  ucarpDown: string;
}

let instances = 0;

// floatd arguments the bench replaces with AgentFiles.noHooksDir, ucarpUp and ucarpDown (known only once the
// files are written).
export const NO_HOOKS_DIR = '<no-hooks-dir>';
export const UCARP_UP = '<ucarp-up>';
export const UCARP_DOWN = '<ucarp-down>';

export function writeAgentFiles(dir: string): AgentFiles {
  const hooksDir = join(dir, 'hooks');
  for (const phase of ['up', 'down']) {
    mkdirSync(join(hooksDir, `${phase}.d`), { recursive: true });
    writeFileSync(join(hooksDir, `${phase}.d`, '10-true'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  }
  // ucarp's documented way to hold a VIP: the scripts add/remove it and announce it in the background
  // (ucarp then sends its own gratuitous ARP as well).
  const ucarpUp = join(dir, 'vip-up');
  const ucarpDown = join(dir, 'vip-down');
  writeFileSync(ucarpUp, '#!/bin/sh\nip addr add "$2"/32 dev "$1"\narping -q -U -c 1 -I "$1" "$2" >/dev/null 2>&1 &\nexit 0\n');
  writeFileSync(ucarpDown, '#!/bin/sh\nip addr del "$2"/32 dev "$1" 2>/dev/null\nexit 0\n');
  chmodSync(ucarpUp, 0o755);
  chmodSync(ucarpDown, 0o755);
  const noHooksDir = join(dir, 'no-hooks');
  mkdirSync(noHooksDir, { recursive: true });
  return { dir, hooksDir, noHooksDir, ucarpUp, ucarpDown };
}

// keepalived's VRRPv3 skew is (256 − priority)/256 × advert_int; this priority gives its backup the same
// master-down interval as floatd's (read from floatd's own timing code, so the two cannot drift apart), which
// at 1 s is ucarp's too. The master gets the highest priority that is not an address owner's.
export function keepalivedPriority(t: Timers): number {
  if (t.advskew === 0) return 254;
  const advMs = t.advbaseS * 1000;
  const skewMs = masterDownIntervalMs({ advbaseMs: advMs, advskew: t.advskew }, 0);
  return Math.round(256 - (skewMs / advMs) * 256);
}

// keepalived accepts priorities 1–254 for a non-owner: outside that the timers cannot be matched.
export function keepalivedMatches(t: Timers): boolean {
  const p = keepalivedPriority(t);
  return p >= 1 && p <= 254;
}

export function startAgent(impl: Impl, lab: Lab, host: LabHost, t: Timers, files: AgentFiles, floatdArgs: readonly string[] = []): Agent {
  const n = ++instances;
  switch (impl) {
    case 'floatd':
      return floatd(lab, host, t, files, n, floatdArgs);
    case 'ucarp':
      return foreign(impl, host, ucarpCommand(lab, host, t, files), /Switching to state: BACKUP/);
    case 'keepalived':
      return foreign(impl, host, keepalivedCommand(host, t, files, n), /Entering BACKUP STATE/);
  }
}

function floatd(lab: Lab, host: LabHost, t: Timers, files: AgentFiles, n: number, extra: readonly string[]): Agent {
  const args = [
    '-i', host.iface, '-s', host.ip, '-v', String(VHID), '-a', VIP, '-o', lab.secretFile,
    '--state-file', join(files.dir, `floatd-${host.name}-${n}.json`), '--run-record', join(files.dir, `floatd-${host.name}-${n}.record.json`), '--log-format', 'json',
    // The namespaces share one file system: on the default path (/run/floatd/<vhid>.sock) the second agent
    // would find the first answering and refuse to start.
    '--control-socket', join(files.dir, `floatd-${n}.sock`),
    '-b', String(t.advbaseS), '-k', String(t.advskew), '-z', '--hooks-dir', files.hooksDir, ...extra.map((x) => ({ [NO_HOOKS_DIR]: files.noHooksDir, [UCARP_UP]: files.ucarpUp, [UCARP_DOWN]: files.ucarpDown })[x] ?? x),
  ];
  const a: AgentProcess = lab.spawnAgent(host, args);
  return {
    impl: 'floatd',
    host,
    pid: a.pid,
    exited: a.exited,
    alive: () => a.exit === undefined,
    signal: (sig) => a.kill(sig),
    crash: () => killTree(a.pid),
    pids: () => [a.pid, ...a.children()],
    tail: () => [...a.lines.slice(-20).map((l) => l.msg), a.stderr.trim()].filter(Boolean).join('\n'),
    journal: () => a.lines.map((l) => ({ at: l.at, text: l.msg, fields: l })),
    ready: (timeoutMs) => a.waitFor('BACKUP', (l) => l.event === 'transition' && l.state === 'BACKUP', { timeoutMs }).then(() => true, () => false),
    promotion: () => [...a.lines].reverse().find((l) => l.event === 'transition' && l.state === 'MASTER')?.reason,
  };
}

function ucarpCommand(lab: Lab, host: LabHost, t: Timers, files: AgentFiles): string[] {
  if (!Number.isInteger(t.advbaseS)) throw new Error(`ucarp takes whole seconds only, got advbase ${t.advbaseS}`);
  return [
    'ucarp', '-i', host.iface, '-s', host.ip, '-v', String(VHID), '-o', lab.secretFile, '-a', VIP,
    '-u', files.ucarpUp, '-d', files.ucarpDown, '-b', String(t.advbaseS), '-k', String(t.advskew), '-z',
  ];
}

// Both start as BACKUP, as floatd and ucarp do; keepalived's default preemption is left on.
function keepalivedCommand(host: LabHost, t: Timers, files: AgentFiles, n: number): string[] {
  if (!keepalivedMatches(t)) throw new Error(`no keepalived priority matches floatd -b ${t.advbaseS} -k ${t.advskew}`);
  const conf = join(files.dir, `keepalived-${host.name}-${n}.conf`);
  writeFileSync(
    conf,
    [
      'global_defs {',
      `  router_id bench-${host.name}`,
      '  vrrp_version 3',
      '}',
      'vrrp_instance bench {',
      '  state BACKUP',
      `  interface ${host.iface}`,
      `  virtual_router_id ${VHID}`,
      `  priority ${keepalivedPriority(t)}`,
      `  advert_int ${t.advbaseS}`,
      '  virtual_ipaddress {',
      `    ${VIP}/32 dev ${host.iface}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const pid = join(files.dir, `keepalived-${host.name}-${n}`);
  // -n: stay in the foreground, -l: log to the console, -P: VRRP only; no -D (detailed logs cost CPU).
  return ['keepalived', '-n', '-l', '-P', '-f', conf, '-p', `${pid}.pid`, '-r', `${pid}-vrrp.pid`];
}

function foreign(impl: Impl, host: LabHost, cmd: string[], joined: RegExp): Agent {
  let isReady = false;
  // A trial's agent logs a few dozen lines (keepalived without -D): all are kept, up to a bound.
  const lines: LogLine[] = [];
  const p: Started = startIn(host.ns, `${impl} on ${host.name}`, cmd, (line) => {
    if (lines.length < 5000) lines.push({ at: performance.now(), text: line });
    isReady ||= joined.test(line);
  });
  return {
    impl,
    host,
    pid: p.pid,
    exited: p.exited,
    alive: () => p.alive,
    signal: (sig) => p.signal(sig),
    crash: () => p.kill(),
    pids: () => [p.pid, ...descendants(p.pid)],
    tail: () => p.tail.join('\n'),
    journal: () => [...lines],
    ready: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!isReady && p.alive && Date.now() < deadline) await sleep(2);
      return isReady;
    },
  };
}
