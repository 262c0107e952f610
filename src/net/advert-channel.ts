// The advert sockets across interface changes and send failures. Sockets are tied to the interface they
// were opened on: once it is deleted and re-created (a VLAN or bond rebuilt, a network manager restart)
// they hear nothing and every send fails with ENODEV. From the first failed send or changed interface the
// channel is blocked — the agent keeps the node out of mastership — until a probe passes and fresh
// sockets are open. Logs once per change of state, not per attempt.
import { readIfindex } from './link.js';
import { probeSend, sendHint } from './send-probe.js';
import { openTransport, type DropReason, type Heard, type Transport, type TransportOptions } from './transport.js';

export interface ChannelOptions extends Omit<TransportOptions, 'onSendError'> {
  iface: string;
  onAdvert: (heard: Heard) => void;
  // Hears the channel becoming blocked (why) and usable again (undefined).
  onBlocked: (why: string | undefined) => void;
}

// While blocked, retries soon at first, then every RETRY_MAX_MS: a probe is one short-lived socket.
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;

// One vhid's advert sockets, re-opened as needed.
export class AdvertChannel {
  // Why adverts cannot be sent now; undefined when they can.
  blocked: string | undefined;
  private readonly o: ChannelOptions;
  private transport: Transport | undefined;
  private ifindex: number | undefined; // of the interface the sockets were opened on
  private seen: number | undefined; // the index last reported: link events and the poll both report the same change
  private gone = false; // the link watcher sees no interface by that name
  private readonly pastDrops = new Map<DropReason, number>();
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private trying = false;
  private said: string | undefined; // the last failure logged while blocked
  private closed = false;

  constructor(o: ChannelOptions) {
    this.o = o;
  }

  // The first sockets: at startup a failure is fatal (a TransportError naming the flag).
  async open(): Promise<void> {
    // Read before opening: if the interface changes in between, the watcher's index differs and we re-open.
    this.ifindex = readIfindex(this.o.iface);
    this.seen = this.ifindex;
    this.attach(await this.openTransport());
  }

  // The interface index the sockets belong to, for the link watcher to start from.
  get openedOn(): number | undefined {
    return this.ifindex;
  }

  send(packet: Buffer): void {
    this.transport?.send(packet);
  }

  // Dropped-datagram counters since startup, across re-opens (SIGUSR1 dumps).
  drops(): Map<DropReason, number> {
    const all = new Map(this.pastDrops);
    for (const [k, n] of this.transport?.drops ?? []) all.set(k, (all.get(k) ?? 0) + n);
    return all;
  }

  // What the link watcher sees: no interface (deleted), or one whose index is not the sockets' (re-created).
  interfaceIs(ifindex: number | undefined): void {
    const gone = ifindex === undefined && this.ifindex !== undefined;
    // A new index not reported before (the same change heard twice is said once).
    const changed = ifindex !== undefined && ifindex !== this.ifindex && ifindex !== this.seen;
    this.seen = ifindex;
    if (gone !== this.gone || changed) this.said = undefined;
    if (gone && !this.gone) this.o.log.warn({ event: 'interface', ifindex: null }, `interface ${this.o.iface} is gone: out of the election until it is back and the advert sockets are re-opened`);
    this.gone = gone;
    if (gone) return this.block(`interface ${this.o.iface} is gone`);
    if (changed) {
      this.o.log.warn({ event: 'interface', ifindex, previous: this.ifindex ?? null }, `interface ${this.o.iface} has a new index ${ifindex} (the advert sockets were opened on ${String(this.ifindex)}): re-opening them`);
      this.block(`interface ${this.o.iface} was re-created`);
    }
    if (this.blocked !== undefined) this.retry(0);
  }

  async flush(): Promise<void> {
    await this.transport?.flush();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.detach();
  }

  private block(why: string): void {
    if (this.blocked === undefined) {
      this.blocked = why;
      this.retryMs = RETRY_MIN_MS;
      this.o.onBlocked(why);
    }
    this.retry(this.retryMs);
  }

  private sendFailed(from: Transport, err: NodeJS.ErrnoException, to: string): void {
    if (from !== this.transport || this.blocked !== undefined) return;
    const code = err.code ?? err.message;
    this.said = `${code} ${to}`;
    this.o.log.warn({ event: 'send-failed', err: code, to }, `cannot send adverts to ${to}: ${code} (${sendHint(code, this.o.srcip)}); out of the election until they can be sent`);
    this.block(`cannot send adverts: ${code}`);
  }

  private retry(delayMs: number): void {
    if (this.closed || this.gone || this.blocked === undefined || this.trying) return;
    clearTimeout(this.timer);
    // Not unref'd: while re-opening, this timer may be all that keeps the process alive.
    this.timer = setTimeout(() => void this.attempt(), delayMs);
  }

  // Probe first, so sockets are only replaced once adverts can leave; then re-open and unblock.
  private async attempt(): Promise<void> {
    this.trying = true;
    const ifindex = readIfindex(this.o.iface);
    const problem = await probeSend(this.o.srcip, this.o.port, this.o.destination, this.o.iface);
    let reopened: Transport | undefined;
    let failure = problem && { key: `${problem.code} ${problem.to}`, text: `a test send to ${problem.to} fails with ${problem.code} (${sendHint(problem.code, this.o.srcip)})` };
    if (!failure && !this.closed) {
      this.detach();
      try {
        reopened = await this.openTransport();
      } catch (err) {
        failure = { key: (err as Error).message, text: (err as Error).message };
      }
      // Replaced again meanwhile: these sockets may belong to the old one.
      if (!failure && readIfindex(this.o.iface) !== ifindex) failure = { key: 'changed', text: `${this.o.iface} changed while re-opening` };
    }
    this.trying = false;
    if (this.closed) return reopened?.close();
    if (failure) {
      reopened?.close();
      if (failure.key !== this.said) this.o.log.warn({ event: 'reopen', ok: false, err: failure.text }, `cannot re-open the advert sockets yet: ${failure.text}; retrying`);
      this.said = failure.key;
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      return this.retry(this.retryMs);
    }
    this.ifindex = ifindex;
    this.attach(reopened as Transport);
    this.blocked = undefined;
    this.said = undefined;
    this.o.log.info({ event: 'reopen', ok: true, ifindex: ifindex ?? null }, `advert sockets re-opened on ${this.o.iface} (index ${String(ifindex)}): adverts can be sent again`);
    this.o.onBlocked(undefined);
  }

  private async openTransport(): Promise<Transport> {
    const { iface, srcip, port, destination, verifier, log, onUnverified } = this.o;
    let t: Transport | undefined;
    t = await openTransport({
      iface,
      srcip,
      port,
      destination,
      verifier,
      log,
      onUnverified,
      onSendError: (err, to) => {
        if (t) this.sendFailed(t, err, to);
      },
    });
    return t;
  }

  private attach(t: Transport): void {
    this.transport = t;
    void (async () => {
      for await (const heard of t) this.o.onAdvert(heard);
    })();
  }

  // Closes the current sockets and keeps their counters.
  private detach(): void {
    const t = this.transport;
    if (!t) return;
    this.transport = undefined;
    for (const [k, n] of t.drops) this.pastDrops.set(k, (this.pastDrops.get(k) ?? 0) + n);
    t.close();
  }
}
