// One long-lived channel to the kernel, opened at start: addresses added and removed over netlink,
// gratuitous ARP and neighbour advertisements sent from a packet socket, link changes heard as they
// happen — with no process spawned per change. The sockets live in floatd-kernel-helper
// (src/net/kernel-helper.ts, kernel-helper.c); this side encodes, decodes, checks that each answer is the
// one asked for, times out and re-opens. A channel that is down throws ChannelDown, and the caller falls
// back to ip(8) and arping(8) (src/effects/channel-drivers.ts). A helper that cannot run at all (missing,
// not executable, its sockets refused) is not retried: one warning, and ip(8) and arping(8) for good.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/log.js';
import { garpFrame, unsolicitedNaFrame } from './announce-frames.js';
import { EXIT_REFUSED, helperCandidates, helperCommand } from './kernel-helper.js';
import { readIfindex } from './link.js';
import { checkAnswer, decodeAck, decodeAddressDump, decodeLinkEvents, encodeAddress, encodeAddressDump, type Ack, type LinkEvent, type ListedAddress } from './netlink.js';

// errno for "no such interface", answered without asking the kernel when sysfs has no index for the name.
const ENODEV = { errno: 19 } as const;
// Spawn errors after which the helper cannot run however often it is tried: missing, not executable.
const CANNOT_RUN = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOEXEC']);
// An answer slower than this means a wedged helper: it is killed and re-opened, the caller falls back.
const ANSWER_TIMEOUT_MS = 1000;
// Re-opening waits this long after a death, doubling while the helper keeps dying young, up to the cap.
const REOPEN_MIN_MS = 100;
const REOPEN_MAX_MS = 30_000;
const YOUNG_MS = 5000;

// The channel cannot carry the request now (no helper, or it died, hung or answered out of step): use the
// spawned tools. `permanent`: the helper cannot run at all, and the channel has said so once already.
export class ChannelDown extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent = false) {
    super(message);
    this.permanent = permanent;
  }
}

// A link event, or undefined when events may have been lost (the kernel's buffer overran, the helper was
// re-opened): the listener should look at the link again.
export type LinkListener = (e: LinkEvent | undefined) => void;

// The address-level API the VIP driver and announcer use, for IPv4 and IPv6 alike.
export interface KernelChannel {
  // The kernel's answer: errno 0, or EEXIST (add), EADDRNOTAVAIL (remove), ENODEV, … with its reason in words.
  // With `announce`, an address that was added is announced by the helper at once (see announce()).
  add(iface: string, address: string, prefixLen: number, opts?: { announce?: boolean }): Promise<Ack>;
  remove(iface: string, address: string, prefixLen: number): Promise<Ack>;
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

// An answer awaited: N (also for A) or P, as the request was.
interface Pending {
  kind: 'N' | 'P';
  resolve(line: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

// The helper's command line; tests replace it (a fake helper, one that dies, hangs or is missing).
export interface ChannelOptions {
  command?: readonly string[];
}

// Opens the channel now; failures are logged and retried, never thrown.
export function openKernelChannel(log: Logger, o: ChannelOptions = {}): KernelChannel {
  return o.command ? new HelperChannel(log, o.command, []) : new HelperChannel(log, helperCommand(), helperCandidates());
}

// A line the helper may send: R, E/E!, or an answer (hex of whole bytes, or an error after "!").
const ANSWER = { N: /^N( (?:[0-9a-f]{2})+|! .*)$/, P: /^P(! .*)?$/ } as const;

class HelperChannel implements KernelChannel {
  private readonly log: Logger;
  private readonly command: readonly string[];
  private readonly looked: readonly string[];
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
  private unable: string | undefined; // why the helper cannot run at all

  // `looked`: the places the helper was looked for, named when none had it.
  constructor(log: Logger, command: readonly string[], looked: readonly string[]) {
    this.log = log;
    this.command = command;
    this.looked = looked;
    this.open();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get hearing(): boolean {
    return this.ready && this.child !== undefined;
  }

  async add(iface: string, address: string, prefixLen: number, opts: { announce?: boolean } = {}): Promise<Ack> {
    if (!opts.announce) return this.change('add', iface, address, prefixLen);
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return ENODEV;
    const frames = this.frames(iface, address).map((f) => f.toString('hex'));
    const seq = this.next();
    return decodeAck(await this.ask(`A ${ifindex} ${encodeAddress({ op: 'add', ifindex, address, prefixLen }, seq).toString('hex')} ${frames.join(' ')}`, seq));
  }

  async remove(iface: string, address: string, prefixLen: number): Promise<Ack> {
    return this.change('remove', iface, address, prefixLen);
  }

  async list(iface: string): Promise<ListedAddress[]> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return [];
    const seq = this.next();
    const answer = await this.ask(`N ${encodeAddressDump(seq).toString('hex')}`, seq);
    return decodeAddressDump(answer).filter((a) => a.ifindex === ifindex);
  }

  async announce(iface: string, address: string): Promise<void> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) throw new Error(`no interface ${iface}`);
    const answers = await Promise.all(this.frames(iface, address).map((f) => this.request(`P ${ifindex} ${f.toString('hex')}`, 'P')));
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

  private async change(op: 'add' | 'remove', iface: string, address: string, prefixLen: number): Promise<Ack> {
    const ifindex = readIfindex(iface);
    if (ifindex === undefined) return ENODEV;
    const seq = this.next();
    return decodeAck(await this.ask(`N ${encodeAddress({ op, ifindex, address, prefixLen }, seq).toString('hex')}`, seq));
  }

  // Sequence numbers from 1, wrapping within 32 bits as the netlink header's field does.
  private next(): number {
    this.seq = (this.seq % 0xffff_ffff) + 1;
    return this.seq;
  }

  // A netlink request numbered `seq`; its answer's bytes, or an Error for a refused send (not ChannelDown:
  // the helper lives). An answer that is not the whole answer to this request means the helper is out of
  // step with us: it is killed and re-opened, and the caller falls back (ChannelDown).
  private async ask(line: string, seq: number): Promise<Buffer> {
    const child = this.child;
    const answer = await this.request(line, 'N');
    if (answer.startsWith('N!')) throw new Error(`netlink: ${answer.slice(3)}`);
    const bytes = Buffer.from(answer.slice(2), 'hex');
    try {
      checkAnswer(bytes, seq);
    } catch (err) {
      throw this.outOfStep(child, (err as Error).message);
    }
    return bytes;
  }

  private request(line: string, kind: Pending['kind']): Promise<string> {
    const child = this.child;
    if (!child?.stdin?.writable) return Promise.reject(new ChannelDown(`kernel channel is down (${this.why})`, this.unable !== undefined));
    return new Promise((resolve, reject) => {
      // A wedged helper is ours to kill, by its pid; its exit fails the rest and re-opens.
      const timer = setTimeout(() => this.outOfStep(child, `no answer within ${ANSWER_TIMEOUT_MS} ms`), ANSWER_TIMEOUT_MS);
      this.pending.push({ kind, resolve, reject, timer });
      child.stdin?.write(`${line}\n`);
    });
  }

  // The helper said something that is not the answer awaited (or nothing): it is killed (its exit
  // re-opens the channel), and every request waiting on it fails over to the spawned tools.
  private outOfStep(child: ChildProcess | undefined, why: string): ChannelDown {
    if (child && this.child === child) {
      this.why = why;
      this.killedFor.set(child, why);
      child.kill('SIGKILL');
      this.fail(why);
    }
    return new ChannelDown(`kernel channel is down (${why})`);
  }

  private readonly killedFor = new WeakMap<ChildProcess, string>();

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
      // A helper already replaced (killed for a late or wrong answer) has nothing more to say.
      for (const l of lines) if (this.child === child) this.line(l);
    });
    const died = (what: string, cannotRun: boolean): void => {
      if (gone) return;
      gone = true;
      if (this.child === child) [this.child, this.ready] = [undefined, false];
      const killed = this.killedFor.get(child);
      this.why = `helper ${killed ? `killed: ${killed}` : what}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`;
      if (cannotRun) this.unable = this.why;
      this.fail(this.why);
      if (this.closed) return;
      if (cannotRun) {
        this.log.warn({ event: 'kernel-channel', up: false, permanent: true, why: this.why }, `kernel helper cannot run (${this.why}): VIP changes and ARP go through ip(8) and arping(8) for the life of this agent`);
        return;
      }
      this.reopenMs = performance.now() - this.startedAt < YOUNG_MS ? Math.min(this.reopenMs * 2, REOPEN_MAX_MS) : REOPEN_MIN_MS;
      this.log.warn({ event: 'kernel-channel', up: false, why: this.why, retryMs: this.reopenMs }, `kernel channel down (${this.why}): VIP changes and ARP go through ip(8) and arping(8) until it is re-opened`);
      this.reopenTimer = setTimeout(() => this.open(), this.reopenMs);
      this.reopenTimer.unref();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      const missing = err.code === 'ENOENT' && this.looked.length > 1 ? ` (looked for ${this.looked.join(', ')})` : '';
      died(`could not start (${err.message})${missing}`, CANNOT_RUN.has(err.code ?? ''));
    });
    child.on('exit', (code, signal) => died(signal ? `killed by ${signal}` : `exited ${String(code)}`, code === EXIT_REFUSED));
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
      const p = this.pending[0];
      // An answer nobody asked for, or not of the kind asked: the helper and the agent are out of step.
      if (!p || !ANSWER[p.kind].test(l)) {
        this.outOfStep(this.child, `helper answered "${l.length > 40 ? `${l.slice(0, 40)}…` : l}" ${p ? `to a ${p.kind} request` : 'unasked'}`);
        return;
      }
      this.pending.shift();
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
      p.reject(new ChannelDown(`kernel channel is down (${why})`, this.unable !== undefined));
    }
  }
}
