// Helpers for the hostile-traffic lab tests: the capture and sender fixtures run as processes inside lab
// namespaces, SIGUSR1 dumps read back as drop counters, and the agent's log sliced since a mark.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { PACKET_LENGTH, SENDER_OFFSET, decode, ipv4Bytes, type Advert } from '../../../src/protocol/advert.js';
import { sleep, type AgentLine, type AgentProcess, type LabHost } from '../../support/netns.js';

export const GROUP = '239.255.5.98';
export const PORT = 5798;
const WARN = 40; // pino's level number for warn

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/hostile/${name}`, import.meta.url));
export const SENDER = fixture('sender.mjs');
export const CAPTURE = fixture('capture.mjs');

// Wall-clock milliseconds with sub-millisecond resolution, the same clock the capture fixture stamps with.
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

// A fixture script running under `ip netns exec` (which execs, so the pid is node's), its stdout as JSON lines.
export class NsScript {
  readonly pid: number;
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(host: LabHost, script: string, args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`cannot start ${script} in ${host.ns}`);
    this.pid = this.child.pid;
    live.add(this);
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        this.lines.push({ raw: text });
      }
      for (const f of [...this.listeners]) f();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        live.delete(this);
        for (const f of [...this.listeners]) f();
        resolve(code);
      }),
    );
  }

  // The first line from `since` on that matches; rejects on timeout or when the script exits first.
  async line(what: string, match: (l: Record<string, unknown>) => boolean, since = 0, timeoutMs = 5000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let closed = false;
      void this.exited.then(() => (closed = true));
      const check = () => {
        const hit = this.lines.slice(since).find(match);
        if (!hit && !closed && this.child.exitCode === null) return;
        done();
        if (hit) resolve(hit);
        else reject(new Error(`${what}: the script exited (${String(this.child.exitCode)}) first: ${this.stderr.trim()}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr.trim()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  // SIGTERM, then SIGKILL if it is still there after a second; by pid, and only this process.
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    signal(this.pid, 'SIGTERM');
    const gone = await Promise.race([this.exited.then(() => true), sleep(1000, { unref: true }).then(() => false)]);
    if (!gone) signal(this.pid, 'SIGKILL');
    await this.exited;
  }
}

// Scripts still running, so afterAll can stop what a failed test left behind; a dying test process kills them too.
const live = new Set<NsScript>();
process.on('exit', () => {
  for (const s of live) signal(s.pid, 'SIGKILL');
});

export async function stopScripts(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

// One datagram the observer captured.
export interface Captured {
  t: number; // wallMs() when the observer read it
  from: string;
  raw: Buffer;
  advert: Advert | undefined;
}

// The observer listening on the advert group for datagrams from `from`.
export class Capture {
  readonly script: NsScript;

  constructor(observer: LabHost, from: readonly string[], port = PORT) {
    this.script = new NsScript(observer, CAPTURE, ['--bind', observer.ip, '--group', GROUP, '--port', String(port), '--from', from.join(','), '--max-seconds', '110']);
  }

  async ready(): Promise<void> {
    await this.script.line('the capture to join the group', (l) => l.ready === true);
  }

  // Everything captured so far, decoded where it is an advert.
  packets(): Captured[] {
    return this.script.lines
      .filter((l): l is { t: number; from: string; hex: string } => typeof l.hex === 'string')
      .map((l) => {
        const raw = Buffer.from(l.hex, 'hex');
        let advert: Advert | undefined;
        try {
          advert = decode(raw).advert;
        } catch {
          advert = undefined;
        }
        return { t: l.t, from: l.from, raw, advert };
      });
  }
}

export interface SenderResult {
  sent: number;
  errors: number;
  firstError?: string;
  ms: number;
}

// Runs the sender fixture in `host` (from its lab address unless args give --bind) to completion and
// returns its summary; throws when it failed.
export async function send(host: LabHost, args: readonly string[], timeoutMs = 30_000): Promise<SenderResult> {
  const s = new NsScript(host, SENDER, [...(args.includes('--bind') ? [] : ['--bind', host.ip]), ...args]);
  const timer = setTimeout(() => void s.stop(), timeoutMs);
  const code = await s.exited;
  clearTimeout(timer);
  const summary = s.lines.find((l) => typeof l.sent === 'number') as SenderResult | undefined;
  if (code !== 0 || !summary) throw new Error(`sender in ${host.name} ${args.join(' ')} exited ${String(code)}: ${JSON.stringify(summary)} ${s.stderr.trim()}`);
  return summary;
}

// What a SIGUSR1 dump says.
export interface Dump {
  state: string;
  master: string | null;
  epoch: number;
  drops: Record<string, number>;
}

export async function dump(agent: AgentProcess): Promise<Dump> {
  const since = agent.mark();
  agent.kill('SIGUSR1');
  const l = await agent.waitFor('a SIGUSR1 dump', (x) => x.event === 'dump', { since });
  return { state: String(l.state), master: (l.master as string | null) ?? null, epoch: Number(l.epoch), drops: (l.drops ?? {}) as Record<string, number> };
}

// Per-reason growth of the drop counters between two dumps (reasons that did not grow are left out).
export function dropsBetween(before: Dump, after: Dump): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, n] of Object.entries(after.drops)) {
    const d = n - (before.drops[reason] ?? 0);
    if (d !== 0) out[reason] = d;
  }
  return out;
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

// Polls dumps until the counters have grown by `expected` in all (every datagram read), or the time is up.
export async function dumpOnceCounted(agent: AgentProcess, before: Dump, expected: number, timeoutMs = 3000): Promise<Dump> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const d = await dump(agent);
    if (total(dropsBetween(before, d)) >= expected || performance.now() > deadline) return d;
    await sleep(50);
  }
}

export function transitionsSince(agent: AgentProcess, mark: number): string[] {
  return agent.lines
    .slice(mark)
    .filter((l) => l.event === 'transition')
    .map((l) => l.msg);
}

export function warningsSince(agent: AgentProcess, mark: number): AgentLine[] {
  return agent.lines.slice(mark).filter((l) => l.level === WARN);
}

// The warnings as sorted "reason source" strings, to compare with the exact set a test provoked.
export function warningKeys(warnings: readonly AgentLine[]): string[] {
  return warnings.map((w) => `${String(w.drop)} ${String(w.from)}`).sort();
}

// Warnings whose (drop reason, source) key appears more than once: the rate limit allows one per 10 s.
export function repeatedWarnings(warnings: readonly AgentLine[]): string[] {
  const seen = new Map<string, number>();
  for (const w of warnings) seen.set(`${String(w.drop)}:${String(w.from)}`, (seen.get(`${String(w.drop)}:${String(w.from)}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

// What the transport does with a datagram from `from` before verify() (src/net/transport.ts, multicast mode):
// a 64-byte datagram whose signed-sender bytes (offset 24–27) are not its source address is dropped as
// 'address-mismatch' before any HMAC; one from the node's own address naming the node (its own adverts, looped
// back) is skipped without being counted; everything else goes on to verify().
export type Precheck = 'address-mismatch' | 'own' | 'verify';
export function precheck(host: LabHost, raw: Buffer, from: string): Precheck {
  if (raw.length !== PACKET_LENGTH) return 'verify';
  const claimed = raw.subarray(SENDER_OFFSET, SENDER_OFFSET + 4);
  if (!claimed.equals(Buffer.from(ipv4Bytes(from)))) return 'address-mismatch';
  return from === host.ip ? 'own' : 'verify';
}

// The sender address a 64-byte packet claims (undefined for any other length).
export function claimedSender(raw: Buffer): string | undefined {
  return raw.length === PACKET_LENGTH ? Array.from(raw.subarray(SENDER_OFFSET, SENDER_OFFSET + 4)).join('.') : undefined;
}

// Puts extra /32 addresses on a host's veth (or takes them off), so one sender can use other source addresses.
export function addAddresses(host: LabHost, ips: readonly string[], op: 'add' | 'del' = 'add'): void {
  const r = spawnSync('ip', ['-n', host.ns, '-batch', '-'], { input: ips.map((ip) => `addr ${op} ${ip}/32 dev ${host.iface}`).join('\n'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip addr ${op} of ${ips.length} addresses on ${host.name}: ${r.stderr}`);
}

// Runs `act` while `host` also holds `ips` (another host's address, say, so a sender there can send from it
// as a spoofing attacker would, source address included), and takes them off again whatever happens.
export async function withAddresses<T>(host: LabHost, ips: readonly string[], act: () => Promise<T>): Promise<T> {
  addAddresses(host, ips);
  try {
    return await act();
  } finally {
    addAddresses(host, ips, 'del');
  }
}

// VmRSS of a process in bytes, from /proc.
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export function secretOf(file: string): string {
  return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone
  }
}
