// UDP transport for adverts: multicast (default), broadcast (-M) or unicast (--peer). It only sends
// and receives; verification belongs to protocol/auth, and a bad packet is a rate-limited warning, never a crash.
import dgram, { type Socket } from 'node:dgram';
import { once } from 'node:events';
import { MAGIC, PACKET_LENGTH, PACKET_LENGTH_V2, SENDER_OFFSET, VERSION_PRESENCE, type Advert } from '../protocol/advert.js';
import type { Verifier, VerifyOutcome } from '../protocol/auth.js';
import { rateLimited, type Logger } from '../log/log.js';
import type { Peer } from '../config/config.js';
import { canonicalAddress, familyOf } from '../protocol/address.js';
import { formatIPv6 } from '../protocol/ipv6.js';
import { PACKET_LENGTH_V3, PACKET_LENGTH_V3_PRESENCE, VERSION_WIDE } from '../protocol/advert.js';

export type Destination =
  | { kind: 'multicast'; group: string }
  | { kind: 'broadcast'; address: string }
  | { kind: 'unicast'; peers: readonly Peer[] };

export interface TransportOptions {
  iface?: string; // an IPv6 link-scope group (ff02::12) is joined and sent to on this interface
  srcip: string;
  port: number;
  destination: Destination;
  verifier: Verifier;
  log: Logger;
  // Called for each bad-HMAC advert instead of the rate-limited warning (see net/auth-alarm.ts).
  onUnverified?: (from: string) => void;
  // Hears every failed send (ENODEV, EPERM…) instead of the rate-limited warning: the agent must not stay master then.
  onSendError?: (err: NodeJS.ErrnoException, to: string) => void;
}

// Why a datagram was not taken as a fresh advert; counted and shown in SIGUSR1 dumps. 'behind' ones are
// still handed on, marked, as a reason not to be master.
export type DropReason = Exclude<VerifyOutcome, 'ok'> | 'not-a-peer' | 'address-mismatch' | 'overflow';

// A verified advert; `behind` when its seq is below the sender's mark (see Verifier).
export interface Heard {
  advert: Advert;
  behind: boolean;
}

// How many decoded adverts may wait for the driver before new ones are dropped (a flood must not grow memory).
const QUEUE_LIMIT = 256;
const WARN_EVERY_MS = 10_000;

// Startup failures worth a clear message; everything after bind is a warning.
export class TransportError extends Error {
  override name = 'TransportError';
}

// An open advert channel: `send` a signed packet; iterate it for verified adverts from others.
export class Transport implements AsyncIterable<Heard> {
  readonly drops = new Map<DropReason, number>();
  private readonly rx: Socket;
  private readonly tx: Socket;
  private readonly o: TransportOptions;
  private readonly warn: ReturnType<typeof rateLimited>;
  private readonly queue: Heard[] = [];
  private wake: (() => void) | undefined;
  private pending = 0;
  private flushed: (() => void) | undefined;
  private closed = false;

  constructor(o: TransportOptions, rx: Socket, tx: Socket) {
    this.o = o;
    this.rx = rx;
    this.tx = tx;
    this.warn = rateLimited(o.log, WARN_EVERY_MS);
    rx.on('message', (msg, rinfo) => this.receive(msg, rinfo.address));
    rx.on('error', (err) => o.log.warn({ err }, 'advert socket error'));
    tx.on('error', (err) => o.log.warn({ err }, 'advert send error'));
  }

  // Fire and forget: an advert that cannot be sent is reported (or logged); the next one follows on schedule.
  send(packet: Buffer): void {
    if (this.closed) return;
    const d = this.o.destination;
    const targets = d.kind === 'unicast' ? d.peers : [{ address: d.kind === 'multicast' ? d.group : d.address, port: this.o.port }];
    for (const t of targets) {
      this.pending += 1;
      this.tx.send(packet, t.port, scoped(t.address, this.o.iface ?? ''), (err) => {
        if (err && !this.closed) {
          if (this.o.onSendError) this.o.onSendError(err as NodeJS.ErrnoException, `${t.address}:${t.port}`);
          else this.warn(`send:${t.address}`, { err: err.message, to: t.address }, `cannot send advert to ${t.address}:${t.port}`);
        }
        this.pending -= 1;
        if (this.pending === 0) this.flushed?.();
      });
    }
  }

  // Resolves once every datagram handed to send() has left; closing earlier would cancel a last resign.
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => (this.flushed = resolve));
    this.flushed = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Heard> {
    while (!this.closed) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rx.close();
    this.tx.close();
    this.wake?.();
  }

  private receive(msg: Buffer, from: string): void {
    const d = this.o.destination;
    // One spelling for IPv6 sources, as --peer and the signed sender are written.
    if (familyOf(from) === 6) from = canonicalAddress(from);
    if (d.kind === 'unicast' && !d.peers.some((p) => p.address === from)) {
      return this.drop('not-a-peer', from, `advert from ${from}, which is not a --peer: ignored`);
    }
    // Cheap byte checks before any HMAC, and before verify() can move a replay mark: the claimed sender
    // must be the datagram's source, and our own adverts (multicast loopback, broadcast) are skipped silently.
    // A version-2 packet is recognised by its header, so datagrams of that length that are not one fail the codec.
    const v2 = msg.length === PACKET_LENGTH_V2 && msg.readUInt16BE(0) === MAGIC && msg[2] === VERSION_PRESENCE;
    const v3 = (msg.length === PACKET_LENGTH_V3 || msg.length === PACKET_LENGTH_V3_PRESENCE) && msg.readUInt16BE(0) === MAGIC && msg[2] === VERSION_WIDE;
    if (msg.length === PACKET_LENGTH || v2 || v3) {
      const claimed = v3 ? formatIPv6([...msg.subarray(SENDER_OFFSET, SENDER_OFFSET + 16)]) : `${msg[SENDER_OFFSET]}.${msg[SENDER_OFFSET + 1]}.${msg[SENDER_OFFSET + 2]}.${msg[SENDER_OFFSET + 3]}`;
      if (claimed !== from) return this.drop('address-mismatch', from, `advert claiming sender ${claimed} arrived from ${from}: ignored (NAT or spoofing?)`);
      if (claimed === this.o.srcip) return;
    }
    const result = this.o.verifier.verify(msg);
    if (result.outcome === 'behind') this.drop('behind', from, result.detail);
    else if (result.outcome !== 'ok') return this.drop(result.outcome, from, result.detail);
    if (this.queue.length >= QUEUE_LIMIT) return this.drop('overflow', from, 'advert queue full: dropping adverts');
    this.queue.push({ advert: result.advert, behind: result.outcome === 'behind' });
    this.wake?.();
    this.wake = undefined;
  }

  private drop(reason: DropReason, from: string, detail: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    if (reason === 'bad-hmac' && this.o.onUnverified) return this.o.onUnverified(from);
    this.warn(`${reason}:${from}`, { drop: reason, from }, detail);
  }
}

// Binds the sockets for one vhid. Throws TransportError naming the flag at fault.
export async function openTransport(o: TransportOptions): Promise<Transport> {
  const d = o.destination;
  const iface = o.iface ?? '';
  const type = socketType(o.srcip);
  // IPV6_V6ONLY on udp6 (no IPv4-mapped traffic); on udp4 the option fails the bind.
  const rx = dgram.createSocket({ type, reuseAddr: true, ...(type === 'udp6' ? { ipv6Only: true } : {}) });
  const tx = dgram.createSocket({ type, ...(type === 'udp6' ? { ipv6Only: true } : {}) });
  try {
    // Unicast receives only what is sent to us. Multicast binds the group itself: on Linux a socket bound to
    // 0.0.0.0 gets every group any socket on the host joined (IP_MULTICAST_ALL), so two agents on one host
    // with different --mcast would hear, and with the same vhid and key elect across, each other's groups.
    // Broadcast needs the wildcard address.
    const [address, flag] = d.kind === 'unicast' ? [o.srcip, `--srcip ${o.srcip} with --port ${o.port}`] : d.kind === 'multicast' ? [scoped(d.group, iface), `--mcast ${d.group} with --port ${o.port}`] : ['0.0.0.0', `--port ${o.port}`];
    await bind(rx, address, o.port, flag);
    // Binding the sender to --srcip fixes the source address peers see and check.
    await bind(tx, o.srcip, 0, `--srcip ${o.srcip}`);
    if (d.kind === 'multicast') {
      try {
        rx.addMembership(d.group, multicastInterface(o.srcip, iface));
      } catch (err) {
        throw new TransportError(`cannot join multicast group --mcast ${d.group} via --srcip ${o.srcip}: ${(err as Error).message} (is MULTICAST enabled on the interface? use --peer for unicast)`);
      }
      tx.setMulticastInterface(multicastInterface(o.srcip, iface));
      tx.setMulticastTTL(1); // adverts never leave the link (RFC 5798 §5.1.1.3 sends VRRP with TTL 255 on-link only)
      // Our own adverts are not looped back to this host: receive() would skip them anyway, and each was a
      // wake-up of the master (two a second at -b 1 with two copies, docs/benchmarks.md). keepalived turns
      // IP_MULTICAST_LOOP off on its VRRP sockets too. Other hosts, and other namespaces, still hear them.
      tx.setMulticastLoopback(false);
    }
    if (d.kind === 'broadcast') tx.setBroadcast(true);
    return new Transport(o, rx, tx);
  } catch (err) {
    rx.close();
    tx.close();
    throw err;
  }
}

// The socket family of --srcip's.
export function socketType(srcip: string): 'udp4' | 'udp6' {
  return familyOf(srcip) === 6 ? 'udp6' : 'udp4';
}

// IPv4 names the multicast interface by its address; IPv6 by index, which Node takes as "::%IFACE".
export function multicastInterface(srcip: string, iface: string): string {
  return familyOf(srcip) === 6 ? `::%${iface}` : srcip;
}

// An IPv6 interface- or link-scope group (ff01::/16, ff02::/16 and their flagged forms) means nothing
// without the interface: bound and sent to as "ff02::12%IFACE" (RFC 4007 §11).
export function scoped(address: string, iface: string): string {
  return iface !== '' && /^ff[0-9a-f][12]:/i.test(address) ? `${address}%${iface}` : address;
}

async function bind(sock: Socket, address: string, port: number, flag: string): Promise<void> {
  const failed = once(sock, 'error');
  sock.bind({ address, port, exclusive: false });
  const outcome = await Promise.race([once(sock, 'listening').then(() => undefined), failed.then(([e]) => e as NodeJS.ErrnoException)]);
  if (!outcome) return;
  const hint =
    outcome.code === 'EADDRNOTAVAIL'
      ? `${address} is not an address of this host`
      : outcome.code === 'EADDRINUSE'
        ? `${address}:${port} is already in use (another floatd with the same --srcip/--port?)`
        : outcome.message;
  throw new TransportError(`cannot bind ${flag}: ${hint}`);
}
