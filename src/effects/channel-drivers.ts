// The VIP driver and announcer over the kernel channel (--vip-path channel, the default): no process is
// spawned on the failover path. Same contract as ipVipDriver and arpingAnnouncer, which stay as the
// fallback whenever the channel is down — each such use is logged. The crash path (removeNow) keeps ip(8)
// through spawnSync: it must finish before the process exits, with no event loop to wait on.
import { performance } from 'node:perf_hooks';
import { getSystemErrorName } from 'node:util';
import { ChannelDown, type KernelChannel } from '../net/kernel-channel.js';
import type { Ack } from '../net/netlink.js';
import type { Announcer } from './garp.js';
import { arpingAnnouncer } from './garp.js';
import { canonicalAddress, familyOf } from '../protocol/address.js';
import { eachVip, ipVipDriver, type IpVipOptions, type VipDriver, type VipResult } from './vip.js';

const EEXIST = 17;
const ENODEV = 19;
const EADDRNOTAVAIL = 99;
// As arpingAnnouncer: three announcements, the first at once, then one a second (keepalived repeats too).
const COUNT = 3;
const EVERY_MS = 1000;
// An announcement the helper sent with the address itself counts as the first round if this recent.
const FRESH_MS = 500;

// The kernel's refusal as the operator reads it: the errno's name and number, and its reason in words.
const errnoText = ({ errno, message }: Ack): string => {
  let name: string;
  try {
    name = `${getSystemErrorName(-errno)} (errno ${errno})`;
  } catch {
    name = `errno ${errno}`;
  }
  return message ? `${name}: ${message}` : name;
};

// The VIP's host prefix: /32 for IPv4, /128 for IPv6 (ucarp's documented `ip addr add $2 dev $1` for IPv4).
export const hostPrefix = (address: string): number => (familyOf(address) === 6 ? 128 : 32);

export type ChannelDriverOptions = IpVipOptions & { channel: KernelChannel };

// The VIP driver and its announcer, sharing one fact: the helper announced the VIPs as it added them (the
// frames leave within microseconds of the kernel's yes, no round trip through the agent), so the
// announcer's first round would only repeat it. keepalived's order: the VIPs, then the gratuitous ARP.
export function channelDrivers(o: ChannelDriverOptions): { vip: VipDriver; announcer: Announcer } {
  let announcedAt = -Infinity;
  const vip = channelVipDriver(o, () => (announcedAt = performance.now()));
  const announcer = channelAnnouncer(o, () => performance.now() - announcedAt < FRESH_MS);
  return { vip, announcer };
}

// ipVipDriver's behaviour through the channel, address by address in the order given; ChannelDown at any
// point redoes the whole operation with ip(8) (both are idempotent).
export function channelVipDriver(o: ChannelDriverOptions, onAnnounced: () => void = () => undefined): VipDriver {
  const { iface, log, channel } = o;
  const vips = o.vips.map(canonicalAddress);
  const fallback = ipVipDriver(o);
  const what = (op: string, vip: string, p: number) => `netlink ${op} ${vip}/${p} dev ${iface}`;
  const prefixes = async (vip: string) => (await channel.list(iface)).filter((a) => canonicalAddress(a.address) === vip).map((a) => a.prefixLen);

  const addOne = async (vip: string): Promise<VipResult> => {
    if (o.lookFirst) {
      const have = await prefixes(vip);
      if (have.length > 0) {
        log.info({ vip, iface, prefixes: have }, 'VIP already on the interface (added by a hook)');
        return { ok: true, changed: false };
      }
    }
    const prefix = hostPrefix(vip);
    const announce = o.announcing?.() ?? true;
    const ack = await channel.add(iface, vip, prefix, { announce });
    if (ack.errno === 0) {
      if (announce) onAnnounced();
      return { ok: true, changed: true };
    }
    // Already there is what we want.
    if (ack.errno === EEXIST) return { ok: true, changed: false };
    return { ok: false, error: `${what('add', vip, prefix)}: ${ack.errno === ENODEV ? `no interface ${iface}` : errnoText(ack)}` };
  };

  const removeOne = async (vip: string): Promise<VipResult> => {
    const prefix = hostPrefix(vip);
    const ack = await channel.remove(iface, vip, prefix);
    // A deleted interface took its addresses with it.
    if (ack.errno === ENODEV) return { ok: true, changed: false };
    if (ack.errno !== 0 && ack.errno !== EADDRNOTAVAIL) return { ok: false, error: `${what('del', vip, prefix)}: ${errnoText(ack)}` };
    let changed = ack.errno === 0;
    // Only a ucarp-style script adds the VIP with another prefix; without one, the host prefix was all there was.
    if (changed && !o.lookFirst) return { ok: true, changed };
    for (const p of await prefixes(vip)) {
      const d = await channel.remove(iface, vip, p);
      if (d.errno !== 0 && d.errno !== EADDRNOTAVAIL) return { ok: false, error: `${what('del', vip, p)}: ${errnoText(d)}` };
      changed ||= d.errno === 0;
    }
    return { ok: true, changed };
  };

  const guarded = (op: 'add' | 'remove', run: () => Promise<VipResult>) => async (): Promise<VipResult> => {
    try {
      return await run();
    } catch (err) {
      const vip = vips.join(' ');
      if (!(err instanceof ChannelDown)) return { ok: false, error: `${op} ${vip} on ${iface}: ${(err as Error).message}` };
      // A helper that cannot run said so once, with what follows: each change is no news then.
      if (err.permanent) log.debug({ event: 'vip-path', path: 'spawn', op, vip, iface, why: err.message }, `VIP ${op} through ip(8): ${err.message}`);
      else log.warn({ event: 'vip-path', path: 'spawn', op, vip, iface, why: err.message }, `VIP ${op} through ip(8): ${err.message}`);
      return op === 'add' ? fallback.add() : fallback.remove();
    }
  };

  return {
    add: guarded('add', () => eachVip(vips, addOne, true)),
    remove: guarded('remove', () => eachVip(vips, removeOne, false)),
    removeNow: () => fallback.removeNow(),
  };
}

// Announcements from the channel's packet socket (ARP for IPv4, an unsolicited NA for IPv6, RFC 4861
// 7.2.6): the first leaves as soon as the VIPs are there, the rest one second apart; a channel that is
// down hands the whole announcement to arping (IPv4 only: the fallback's IPv6 adds are announced by the kernel).
// Nothing is sent while the link takes no announcements (`announcing`, a tun say).
export function channelAnnouncer(o: ChannelDriverOptions, justAnnounced: () => boolean = () => false): Announcer {
  const { iface, vips, log, channel } = o;
  const announcing = o.announcing ?? (() => true);
  const fallback = arpingAnnouncer(iface, vips, log, announcing);
  const timers = new Set<NodeJS.Timeout>();
  let handedOver = false;
  const send = (round: number): void => {
    if (!announcing()) return;
    for (const vip of vips) {
      channel.announce(iface, vip).then(
        () => log.debug({ vip, iface, round }, 'announced the VIP'),
        (err: Error) => {
          if (err instanceof ChannelDown) {
            stop();
            if (handedOver) return;
            handedOver = true;
            if (err.permanent) log.debug({ event: 'garp-path', path: 'spawn', vip, iface, why: err.message }, `gratuitous ARP through arping(8): ${err.message}`);
            else log.warn({ event: 'garp-path', path: 'spawn', vip, iface, why: err.message }, `gratuitous ARP through arping(8): ${err.message}`);
            fallback.announce();
          } else log.warn({ vip, iface, err: err.message }, `cannot announce the VIP: ${err.message}`);
        },
      );
    }
  };
  const stop = (): void => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  return {
    announce() {
      stop();
      handedOver = false;
      if (justAnnounced()) log.debug({ vips, iface, round: 1 }, 'announced the VIPs as they were added');
      else send(1);
      for (let round = 2; round <= COUNT; round++) {
        const t = setTimeout(() => {
          timers.delete(t);
          send(round);
        }, (round - 1) * EVERY_MS);
        t.unref();
        timers.add(t);
      }
    },
    stop() {
      stop();
      fallback.stop();
    },
  };
}
