// -s, -a, --mcast and --peer, which decide the address family of a vhid: the adverts follow --srcip's
// family (IPv4: versions 1 and 2 on the wire; IPv6: version 3 over udp6), the VIPs may be of either
// (docs/cli.md: IPv6 and several addresses). Every problem names the flag and quotes the value.
import { canonicalAddress, familyOf, type Family } from '../protocol/address.js';
import { isIPv4 } from '../protocol/advert.js';
import { parseIPv6 } from '../protocol/ipv6.js';
import type { RawOptions } from './options.js';
import { defaultOf, type Reader } from './reader.js';

export interface Peer {
  address: string;
  port: number;
}

export interface Addresses {
  srcip: string; // canonical (RFC 5952 for IPv6)
  family: Family; // --srcip's: the family of the adverts
  vips: string[]; // every -a in the order given, canonical; vips[0] is ucarp's $2
  mcast: string;
  peers: Peer[];
}

// The IPv6 group of the adverts when --mcast is not given: VRRPv3's link-local group (RFC 5798 §5.1.2.2).
export const DEFAULT_MCAST6 = 'ff02::12';
const SOME_IP = 'an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1';

export function addressesOf(v: Reader, raw: RawOptions, o: { port: number; nomcast: boolean }, problems: string[]): Addresses {
  const srcip = oneAddress('srcip', v.text('srcip', true), problems);
  const family = familyOf(srcip) ?? 4;
  const vips = vipList(v.list('addr'), problems);
  for (const a of vips) if (a === srcip) problems.push(`--addr must differ from --srcip, both are "${a}"`);
  const mcast = family === 4 ? v.ipv4('mcast') : mcast6(raw.mcast, problems);
  if (family === 4 && isIPv4(mcast) && !isMulticast(mcast)) problems.push(`--mcast must be a multicast address (224.0.0.0–239.255.255.255), got "${mcast}"`);
  if (family === 6 && o.nomcast) problems.push(`--nomcast needs an IPv4 --srcip: IPv6 has no broadcast, got --srcip "${srcip}" (use multicast or --peer)`);
  const peers = v.list('peer').map((p) => parsePeer(p, o.port, family, problems));
  for (const p of peers) if (srcip !== '' && p.address === srcip) problems.push(`--peer must name other nodes, got this node's own --srcip "${p.address}"`);
  return { srcip, family, vips, mcast, peers };
}

// -a may be repeated and each may be a comma list; at least one, none twice (after RFC 5952 spelling).
function vipList(items: readonly string[], problems: string[]): string[] {
  if (items.length === 0) {
    problems.push('--addr is required');
    return [];
  }
  const out: string[] = [];
  for (const item of items) {
    for (const part of item.split(',')) {
      const a = oneAddress('addr', part, problems);
      if (a === '') continue;
      if (out.includes(a)) problems.push(`--addr gives ${a} twice, got "${item}"`);
      else out.push(a);
    }
  }
  return out;
}

// One unicast address of either family, canonical; '' after a problem. An IPv6 one must be routable on
// the link without a zone: link-local (fe80::/10), multicast, :: and ::1 are refused.
function oneAddress(flag: 'srcip' | 'addr', text: string | undefined, problems: string[]): string {
  if (text === undefined) return '';
  const family = familyOf(text);
  if (family === undefined) {
    problems.push(`--${flag} must be ${SOME_IP}, got "${text}"`);
    return '';
  }
  if (family === 6 && !usableIPv6(text)) {
    problems.push(`--${flag} must be a global or unique-local IPv6 address (not link-local, multicast, :: or ::1), got "${text}"`);
    return '';
  }
  return canonicalAddress(text);
}

function usableIPv6(text: string): boolean {
  const b = parseIPv6(text) ?? [];
  const first = (b[0] ?? 0) * 256 + (b[1] ?? 0);
  const zeroUpTo15 = b.slice(0, 15).every((x) => x === 0);
  return !(b[0] === 0xff || (first & 0xffc0) === 0xfe80 || (zeroUpTo15 && (b[15] === 0 || b[15] === 1)));
}

// An IPv6 --srcip takes an IPv6 group, ff02::12 when none is given (commander hands over the table's
// IPv4 default then, which means the same).
function mcast6(raw: RawOptions['mcast'], problems: string[]): string {
  const text = typeof raw === 'string' && raw !== defaultOf('mcast') ? raw : DEFAULT_MCAST6;
  const b = parseIPv6(text);
  if (b === undefined || b[0] !== 0xff) {
    problems.push(`--mcast must be an IPv6 multicast address (ff00::/8) with an IPv6 --srcip, got "${text}"`);
    return text;
  }
  return canonicalAddress(text);
}

// IPv4: ADDR or ADDR:PORT. IPv6: ADDR or [ADDR]:PORT. A peer without a port listens on our own --port.
function parsePeer(text: string, ownPort: number, family: Family, problems: string[]): Peer {
  const m = family === 4 ? /^([^:]+)(?::(\d{1,5}))?$/.exec(text) : (/^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^[\]]+)()$/.exec(text));
  const address = m?.[1] ?? '';
  const port = m?.[2] === undefined || m[2] === '' ? ownPort : Number(m[2]);
  if (!m || familyOf(address) !== family || (family === 6 && !usableIPv6(address)) || port < 1 || port > 65535) {
    problems.push(family === 4 ? `--peer must be an IPv4 address with an optional :port, got "${text}"` : `--peer must be an IPv6 address, or [address]:port, like --srcip, got "${text}"`);
    return { address: '', port: 0 };
  }
  return { address: canonicalAddress(address), port };
}

function isMulticast(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}
