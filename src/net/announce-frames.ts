// The Ethernet frames that tell a segment an address has moved to this host, built in pure code and sent
// whole through the kernel channel's packet socket: gratuitous ARP for IPv4 (the requests and replies
// arping -U / -A send, which keepalived sends too) and unsolicited neighbour advertisements for IPv6
// (RFC 4861 §7.2.6).
import { isIPv4, isIPv6 } from 'node:net';
import { ipv6Bytes } from './netlink.js';

const ETH_P_ARP = 0x0806;
const ETH_P_IPV6 = 0x86dd;
const BROADCAST = Buffer.alloc(6, 0xff);
// ff02::1, all nodes on the link, and its Ethernet group address (RFC 2464 §7: 33:33 + the last 32 bits).
const ALL_NODES = ipv6Bytes('ff02::1');
const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
// Short frames are padded to Ethernet's minimum (without the FCS), as a NIC would.
const MIN_FRAME = 60;

export type ArpKind = 'request' | 'reply';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
// From <linux/if_arp.h> and <linux/if.h>: the link types these frames are for, and the flag that says a
// link resolves no neighbours (no ARP, no neighbour discovery: tun, WireGuard, GRE, PPP set it).
const ARPHRD_ETHER = 1;
const IFF_NOARP = 0x80;
// Link types seen under a VIP, named for the log line.
const LINK_TYPES: Readonly<Record<number, string>> = { 32: 'InfiniBand', 512: 'PPP', 768: 'IPIP tunnel', 769: 'IPv6 tunnel', 772: 'loopback', 776: 'SIT tunnel', 778: 'GRE tunnel', 823: 'IP6GRE tunnel', 65534: 'no link layer (tun, WireGuard)' };

// Whether a link takes the announcements below: an Ethernet frame to a link whose neighbours do not ask
// (a layer-3 link: tun, WireGuard, GRE, PPP) moves nothing, and a link without an Ethernet address cannot
// even be given one. There the VIP is added and not announced: traffic reaches it by routing alone.
export type Announcing = { announce: true; mac: string } | { announce: false; why: string };

export function announcingOn(link: { type: number; flags: number; address: string }): Announcing {
  if (link.type !== ARPHRD_ETHER) return { announce: false, why: `link type ${link.type} (${LINK_TYPES[link.type] ?? 'not Ethernet'}) carries no Ethernet frames` };
  if ((link.flags & IFF_NOARP) !== 0) return { announce: false, why: 'the link resolves no neighbours (NOARP)' };
  const mac = link.address.trim();
  if (!MAC.test(mac) || /^(00:){5}00$/.test(mac)) return { announce: false, why: `the link has no Ethernet address (${JSON.stringify(mac)})` };
  return { announce: true, mac };
}

// A MAC address as "aa:bb:cc:dd:ee:ff" → its 6 bytes; anything else is an error.
export function macBytes(mac: string): Buffer {
  if (!MAC.test(mac.trim())) throw new Error(`not a MAC address: "${mac.trim()}"`);
  return Buffer.from(mac.trim().split(':').map((h) => parseInt(h, 16)));
}

function ethernet(dst: Buffer, src: Buffer, type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(14);
  dst.copy(head, 0);
  src.copy(head, 6);
  head.writeUInt16BE(type, 12);
  const frame = Buffer.concat([head, payload]);
  return frame.length >= MIN_FRAME ? frame : Buffer.concat([frame, Buffer.alloc(MIN_FRAME - frame.length)]);
}

// Gratuitous ARP for `ipv4` from `mac`, broadcast: sender and target protocol address are both the VIP.
// A request leaves the target hardware address zero (RFC 5227 §2.3's announcement); a reply names the sender.
export function garpFrame(kind: ArpKind, mac: string, ipv4: string): Buffer {
  if (!isIPv4(ipv4)) throw new Error(`not an IPv4 address: "${ipv4}"`);
  const hw = macBytes(mac);
  const ip = Buffer.from(ipv4.split('.').map(Number));
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0); // Ethernet
  arp.writeUInt16BE(0x0800, 2); // IPv4
  arp.writeUInt8(6, 4);
  arp.writeUInt8(4, 5);
  arp.writeUInt16BE(kind === 'request' ? 1 : 2, 6);
  hw.copy(arp, 8);
  ip.copy(arp, 14);
  if (kind === 'reply') hw.copy(arp, 18);
  ip.copy(arp, 24);
  return ethernet(BROADCAST, hw, ETH_P_ARP, arp);
}

// The Internet checksum (RFC 1071) of an ICMPv6 message over the IPv6 pseudo-header (RFC 8200 §8.1).
export function icmpv6Checksum(src: Buffer, dst: Buffer, icmp: Buffer): number {
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo.writeUInt8(58, 39);
  const all = Buffer.concat([pseudo, icmp, Buffer.alloc(icmp.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// An unsolicited neighbour advertisement for `ipv6` from `mac` to all nodes: Override set, Solicited
// clear, with the target link-layer address option (RFC 4861 §4.4, §7.2.6), hop limit 255 (§7.1.2).
export function unsolicitedNaFrame(mac: string, ipv6: string): Buffer {
  if (!isIPv6(ipv6)) throw new Error(`not an IPv6 address: "${ipv6}"`);
  const hw = macBytes(mac);
  const target = ipv6Bytes(ipv6);
  const icmp = Buffer.alloc(32);
  icmp.writeUInt8(136, 0); // Neighbor Advertisement
  icmp.writeUInt32BE(0x20000000, 4); // O (override)
  target.copy(icmp, 8);
  icmp.writeUInt8(2, 24); // Target Link-Layer Address option
  icmp.writeUInt8(1, 25); // its length in units of 8 bytes
  hw.copy(icmp, 26);
  icmp.writeUInt16BE(icmpv6Checksum(target, ALL_NODES, icmp), 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(icmp.length, 4);
  ip.writeUInt8(58, 6); // ICMPv6
  ip.writeUInt8(255, 7);
  target.copy(ip, 8);
  ALL_NODES.copy(ip, 24);
  return ethernet(ALL_NODES_MAC, hw, ETH_P_IPV6, Buffer.concat([ip, icmp]));
}
