// One long-lived channel to the kernel, opened at start: addresses added and removed over netlink,
// gratuitous ARP and neighbour advertisements sent from a packet socket, link changes heard as they
// happen — with no process spawned per change. The sockets live in a perl helper
// (src/net/kernel-helper.ts); this side encodes, decodes, times out and re-opens. A channel that is down
// throws ChannelDown, and the caller falls back to ip(8) and arping(8) (src/effects/channel-drivers.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/log.js';
import { garpFrame, unsolicitedNaFrame } from './announce-frames.js';
import { HELPER_SCRIPT } from './kernel-helper.js';
import { readIfindex } from './link.js';
import { decodeAck, decodeAddressDump, decodeLinkEvents, encodeAddress, encodeAddressDump, type LinkEvent, type ListedAddress } from './netlink.js';

// errno for "no such interface", answered without asking the kernel when sysfs has no index for the name.
const ENODEV = 19;
// An answer slower than this means a wedged helper: it is killed and re-opened, the caller falls back.
const ANSWER_TIMEOUT_MS = 1000;
// Re-opening waits this long after a death, doubling while the helper keeps dying young, up to the cap.
const REOPEN_MIN_MS = 100;
const REOPEN_MAX_MS = 30_000;
const YOUNG_MS = 5000;

// The channel cannot carry the request now (no helper, or it died or hung): use the spawned tools.
export class ChannelDown extends Error {}

// A link event, or undefined when events may have been lost (the kernel's buffer overran, the helper was
// re-opened): the listener should look at the link again.
export type LinkListener = (e: LinkEvent | undefined) => void;

// The address-level API the VIP driver and announcer use, for IPv4 and IPv6 alike.
export interface KernelChannel {
  // errno of the kernel's answer: 0, or EEXIST (add), EADDRNOTAVAIL (remove), ENODEV, …
  // With `announce`, an address that was added is announced by the helper at once (see announce()).
  add(iface: string, address: string, prefixLen: number, opts?: { announce?: boolean }): Promise<number>;
  remove(iface: string, address: string, prefixLen: number): Promise<number>;
  // The addresses on `iface` now, both families.
  list(iface: string): Promise<ListedAddress[]>;
  // One announcement of `address` from `iface`'s MAC: an ARP request and reply (IPv4) or an unsolicited NA (IPv6).
  announce(iface: string, address: string): Promise<void>;
  onLink(listener: LinkListener): () => void;
  // Whether link events are heard now: the helper said it is ready and has not died since.
  readonly hearing: boolean;
  readonly pid: number | undefined;
  close(): void;
}

interface Pending {
  resolve(line: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

// The helper's command line; tests replace it (a helper that dies, hangs or is missing).
export interface ChannelOptions {
  command?: readonly string[];
}

// Opens the channel now; failures are logged and retried, never thrown.
export function openKernelChannel(log: Logger, o: ChannelOptions = {}): KernelChannel {
  return new HelperChannel(log, o.command ?? ['perl', '-e', HELPER_SCRIPT]);
}

class HelperChannel implements KernelChannel {
  private readonly log: Logger;
  private readonly command: readonly string[];
  private child: ChildProcess | undefined;
  private pending: Pending[] = [];
  private readonly listeners = new Set<LinkListener>();
  private seq = 0;
  private startedAt = 0;
  private reopenMs = REOPEN_MIN_MS;
  private reopenTimer: NodeJS.Timeout | undefined;
  private opens = 0;
  private closed = false;
  private why = 'not open yet';
  private ready = false; // the current helper said R

  constructor(log: Logger, command: readonly string[]) {
    this.log = log;
    this.command = command;
    this.open();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get hearing(): boolean {
    return this.ready && this.child !== undefined;
  }

  async add(iface: string, address: string, prefixLen: number, opts: { announce?: boolean } = {}): Promise<number> {
    if (!opts.announce) return this.change('add', iface, address, prefixLen);
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return ENODEV;
    const frames = this.frames(iface, address).map((f) => f.toString('hex'));
    return decodeAck(await this.ask(`A ${ifindex} ${encodeAddress({ op: 'add', ifindex, address, prefixLen }, ++this.seq).toString('hex')} ${frames.join(' ')}`));
  }

  async remove(iface: string, address: string, prefixLen: number): Promise<number> {
    return this.change('remove', iface, address, prefixLen);
  }

  async list(iface: string): Promise<ListedAddress[]> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return [];
    const answer = await this.ask(`N ${encodeAddressDump(++this.seq).toString('hex')}`);
    return decodeAddressDump(answer).filter((a) => a.ifindex === ifindex);
  }

  async announce(iface: string, address: string): Promise<void> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) throw new Error(`no interface ${iface}`);
    const answers = await Promise.all(this.frames(iface, address).map((f) => this.request(`P ${ifindex} ${f.toString('hex')}`)));
    const failed = answers.find((a) => a.startsWith('P!'));
    if (failed) throw new Error(`cannot send on ${iface}: ${failed.slice(3)}`);
  }

  onLink(listener: LinkListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    // The end of its input ends the helper; the pid is ours, so a kill is safe if it lingers.
    this.child?.stdin?.end();
    this.fail('the channel was closed');
  }

  // The announcement of `address` from `iface`'s MAC address now.
  private frames(iface: string, address: string): Buffer[] {
    const mac = readFileSync(`/sys/class/net/${iface}/address`, 'latin1');
    return isIPv4(address) ? [garpFrame('request', mac, address), garpFrame('reply', mac, address)] : [unsolicitedNaFrame(mac, address)];
  }

  private async change(op: 'add' | 'remove', iface: string, address: string, prefixLen: number): Promise<number> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return ENODEV;
    return decodeAck(await this.ask(`N ${encodeAddress({ op, ifindex, address, prefixLen }, ++this.seq).toString('hex')}`));
  }

  // A netlink request; its answer's bytes, or an Error for a refused send (not ChannelDown: the helper lives).
  private async ask(line: string): Promise<Buffer> {
    const answer = await this.request(line);
    if (answer.startsWith('N!')) throw new Error(`netlink: ${answer.slice(3)}`);
    return Buffer.from(answer.slice(2), 'hex');
  }

  private request(line: string): Promise<string> {
    const child = this.child;
    if (!child?.stdin?.writable) return Promise.reject(new ChannelDown(`kernel channel is down (${this.why})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.why = `no answer within ${ANSWER_TIMEOUT_MS} ms`;
        // A wedged helper is ours to kill, by its pid; its exit fails the rest and re-opens.
        child.kill('SIGKILL');
        this.fail(this.why);
      }, ANSWER_TIMEOUT_MS);
      this.pending.push({ resolve, reject, timer });
      child.stdin?.write(`${line}\n`);
    });
  }

  private open(): void {
    if (this.closed) return;
    const [file, ...args] = this.command as [string, ...string[]];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.ready = false;
    this.startedAt = performance.now();
    let stderr = '';
    let rest = '';
    let gone = false;
    // Nothing of the helper keeps the agent's event loop alive.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => undefined); // EPIPE after a death: 'exit' reports it
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-500)));
    child.stdout?.on('data', (b: Buffer) => {
      const lines = (rest + b.toString('latin1')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) this.line(l);
    });
    const died = (what: string): void => {
      if (gone) return;
      gone = true;
      if (this.child === child) [this.child, this.ready] = [undefined, false];
      this.why = `helper ${what}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`;
      this.fail(this.why);
      if (this.closed) return;
      this.reopenMs = performance.now() - this.startedAt < YOUNG_MS ? Math.min(this.reopenMs * 2, REOPEN_MAX_MS) : REOPEN_MIN_MS;
      this.log.warn({ event: 'kernel-channel', up: false, why: this.why, retryMs: this.reopenMs }, `kernel channel down (${this.why}): VIP changes and ARP go through ip(8) and arping(8) until it is re-opened`);
      this.reopenTimer = setTimeout(() => this.open(), this.reopenMs);
      this.reopenTimer.unref();
    };
    child.on('error', (err) => died(`could not start (${err.message})`));
    child.on('exit', (code, signal) => died(signal ? `killed by ${signal}` : `exited ${String(code)}`));
  }

  private line(l: string): void {
    if (l === 'R') {
      this.ready = true;
      this.opens += 1;
      this.log.info({ event: 'kernel-channel', up: true, pid: this.child?.pid, opens: this.opens }, this.opens === 1 ? 'kernel channel open (netlink and packet sockets)' : 'kernel channel re-opened');
      // Events may have been missed while it was down: let listeners look again.
      if (this.opens > 1) this.emit(undefined);
    } else if (l.startsWith('E ')) {
      let events: LinkEvent[];
      try {
        events = decodeLinkEvents(Buffer.from(l.slice(2), 'hex'));
      } catch {
        events = [];
        this.emit(undefined);
      }
      for (const e of events) this.emit(e);
    } else if (l.startsWith('E!')) {
      this.emit(undefined);
    } else {
      const p = this.pending.shift();
      if (!p) return;
      clearTimeout(p.timer);
      p.resolve(l);
    }
  }

  private emit(e: LinkEvent | undefined): void {
    for (const fn of this.listeners) fn(e);
  }

  private fail(why: string): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new ChannelDown(`kernel channel is down (${why})`));
    }
  }
}
