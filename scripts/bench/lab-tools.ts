// What the bench needs from a lab beyond the test harness: the observer's client probe, the bridge port
// of a host (to cut its cable), packet loss on a host's egress, and small ip(8) helpers.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Lab, LabHost } from '../../test/support/netns.js';
import { sleep } from '../../test/support/netns.js';
import { startIn, type Started } from './processes.js';

const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));
// How often the probe asks (ms); also the resolution of every client-visible figure.
export const PROBE_EVERY_MS = 5;

// CLOCK_MONOTONIC (the probe's clock) minus performance.now() (the harness's): both come from libuv's hrtime.
const HR_OFFSET = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export interface ProbeAnswer {
  at: number; // performance.now() time base
  mac: string;
}

// The observer's client (see probe.mjs): which MAC answers for the VIP, and since when.
export class ClientProbe {
  readonly answers: ProbeAnswer[] = [];
  private readonly proc: Started;

  constructor(obs: LabHost, vip: string) {
    this.proc = startIn(obs.ns, 'probe', [process.execPath, PROBE, vip, String(PROBE_EVERY_MS)], (line) => {
      const [ms, mac] = line.split(' ');
      if (mac && mac !== 'start') this.answers.push({ at: Number(ms) - HR_OFFSET, mac });
    });
  }

  // The MAC that answered last, or undefined before any answer.
  get current(): string | undefined {
    return this.answers[this.answers.length - 1]?.mac;
  }

  // The first answer from `mac` after `since`; undefined once `timeoutMs` has passed without one.
  async first(mac: string, since: number, timeoutMs: number): Promise<ProbeAnswer | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.answers.find((a) => a.at > since && a.mac === mac);
      if (hit) return hit;
      if (performance.now() > deadline || !this.proc.alive) return undefined;
      await sleep(PROBE_EVERY_MS);
    }
  }

  stop(): Promise<void> {
    this.proc.kill();
    return this.proc.exited;
  }
}

export interface Run {
  code: number | null;
  out: string;
}

// A command, awaited; never throws.
export function run(cmd: readonly string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    const [file, ...args] = cmd;
    const child = spawn(file ?? 'false', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => resolve({ code: null, out: out + err.message }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

// The root-namespace end of the host's veth (its bridge port), found by the peer's ifindex.
export async function bridgePort(lab: Lab, host: LabHost): Promise<string> {
  const inner = JSON.parse((await run(['ip', '-n', host.ns, '-j', 'link', 'show', 'dev', host.iface])).out) as { link_index?: number }[];
  const peer = inner[0]?.link_index;
  const outer = JSON.parse((await run(['ip', '-j', 'link', 'show', 'master', lab.bridge])).out) as { ifindex: number; ifname: string }[];
  const port = outer.find((l) => l.ifindex === peer)?.ifname;
  if (!port) throw new Error(`no bridge port of ${lab.bridge} is the peer of ${host.iface} in ${host.ns}`);
  return port;
}

// Puts a root-namespace link down or up (a pulled cable: the host's veth loses its carrier).
export async function setLink(port: string, up: boolean): Promise<void> {
  const r = await run(['ip', 'link', 'set', port, up ? 'up' : 'down']);
  if (r.code !== 0) throw new Error(`ip link set ${port} ${up ? 'up' : 'down'}: ${r.out.trim()}`);
}

// Puts the lab back as it was before a trial: VIP off every host, the observer's neighbour entry gone.
export async function clearVip(lab: Lab, vip: string): Promise<void> {
  await Promise.all(lab.hosts.map((h) => run(['ip', '-n', h.ns, 'addr', 'del', `${vip}/32`, 'dev', h.iface])));
  if (lab.observer) await run(['ip', '-n', lab.observer.ns, 'neigh', 'flush', 'to', vip]);
}

export type LossMethod = 'netem' | 'nft';

// Drops `percent` % of the frames `host` sends: netem on its veth when the kernel has it, else an
// nftables rule at the veth's egress hook that drops at random (every frame: adverts, ucarp's packet-socket
// sends and ARP alike, as netem would).
export async function addLoss(host: LabHost, percent: number, method: LossMethod): Promise<void> {
  const r = await run(['ip', 'netns', 'exec', host.ns, ...lossCommand(host.iface, percent, method)]);
  if (r.code !== 0) throw new Error(`cannot add ${percent}% loss with ${method} in ${host.ns}: ${r.out.trim()}`);
}

export function lossCommand(iface: string, percent: number, method: LossMethod): string[] {
  if (method === 'netem') return ['tc', 'qdisc', 'add', 'dev', iface, 'root', 'netem', 'loss', `${percent}%`];
  return [
    'nft',
    `add table netdev bench_loss; add chain netdev bench_loss out { type filter hook egress device "${iface}" priority 0; policy accept; }; add rule netdev bench_loss out numgen random mod 100 < ${percent} counter drop`,
  ];
}

// Packets the loss rule dropped so far (proof that it acted), or undefined when unknown.
export async function lossDrops(host: LabHost, method: LossMethod): Promise<number | undefined> {
  if (method === 'netem') {
    const r = await run(['ip', 'netns', 'exec', host.ns, 'tc', '-s', 'qdisc', 'show', 'dev', host.iface]);
    const m = /dropped (\d+)/.exec(r.out);
    return m ? Number(m[1]) : undefined;
  }
  const r = await run(['ip', 'netns', 'exec', host.ns, 'nft', 'list', 'chain', 'netdev', 'bench_loss', 'out']);
  const m = /counter packets (\d+)/.exec(r.out);
  return m ? Number(m[1]) : undefined;
}
