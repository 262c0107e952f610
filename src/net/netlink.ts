// rtnetlink messages for the kernel channel (src/net/kernel-channel.ts), encoded and decoded here in pure
// code; the helper process only moves the bytes. Layouts are the kernel's uapi (linux/netlink.h,
// linux/rtnetlink.h, linux/if_addr.h, linux/if_link.h), host byte order (little-endian on every target
// Node's single binary is built for, x86-64 and arm64).
import { isIPv4, isIPv6 } from 'node:net';

// Message types: NLMSG_ERROR carries the answer to a request (the helper reads a dump up to NLMSG_DONE).
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
// Header flags: every request asks for an answer; an add must create a new address, never replace one.
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_DUMP = 0x300;
// On an NLMSG_ERROR: the request's payload is left out (NLM_F_CAPPED), attributes follow (NLM_F_ACK_TLVS,
// with NETLINK_EXT_ACK on the socket), among them the kernel's reason in words (NLMSGERR_ATTR_MSG).
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
// IPv6: no duplicate address detection for a VIP that must answer at once (as `ip addr add … nodad`).
const IFA_F_NODAD = 0x02;
const IFLA_IFNAME = 3;
const IFLA_OPERSTATE = 16;
const IFF_UP = 0x1;
// RFC 2863 operational states in which the link carries nothing (IF_OPER_NOTPRESENT, DOWN, LOWERLAYERDOWN).
const OPER_DOWN = new Set([2, 3, 5]);

const HEADER = 16; // struct nlmsghdr
const IFADDRMSG = 8;
const IFINFOMSG = 16;

export type AddressOp = 'add' | 'remove';

// One address on one interface: what RTM_NEWADDR / RTM_DELADDR carry.
export interface AddressRequest {
  op: AddressOp;
  ifindex: number;
  address: string; // IPv4 or IPv6, textual
  prefixLen: number;
}

// An address the kernel listed in a dump.
export interface ListedAddress {
  ifindex: number;
  address: string;
  prefixLen: number;
}

// A link change the kernel announced to RTMGRP_LINK listeners.
export interface LinkEvent {
  kind: 'new' | 'del';
  ifindex: number;
  name: string | undefined;
  up: boolean; // administratively up and not in an operational state that carries nothing
}

const align = (n: number): number => (n + 3) & ~3;

function addressBytes(address: string): { family: number; bytes: Buffer } {
  if (isIPv4(address)) return { family: AF_INET, bytes: Buffer.from(address.split('.').map(Number)) };
  if (isIPv6(address)) return { family: AF_INET6, bytes: ipv6Bytes(address) };
  throw new Error(`not an IP address: "${address}"`);
}

// The 16 bytes of an IPv6 address (with "::" and an embedded IPv4 tail expanded).
export function ipv6Bytes(address: string): Buffer {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function attribute(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(align(4 + value.length));
  out.writeUInt16LE(4 + value.length, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, 4);
  return out;
}

function message(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(HEADER + body.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt16LE(flags, 6);
  head.writeUInt32LE(seq >>> 0, 8);
  return Buffer.concat([head, body]);
}

// RTM_NEWADDR / RTM_DELADDR for one address, as `ip addr add|del ADDRESS/PREFIX dev IFACE` sends it.
export function encodeAddress(r: AddressRequest, seq: number): Buffer {
  const { family, bytes } = addressBytes(r.address);
  const max = family === AF_INET ? 32 : 128;
  if (!Number.isInteger(r.prefixLen) || r.prefixLen < 0 || r.prefixLen > max) throw new Error(`prefix length must be 0–${max}, got ${r.prefixLen}`);
  const ifa = Buffer.alloc(IFADDRMSG);
  ifa.writeUInt8(family, 0);
  ifa.writeUInt8(r.prefixLen, 1);
  ifa.writeUInt8(r.op === 'add' && family === AF_INET6 ? IFA_F_NODAD : 0, 2);
  ifa.writeUInt32LE(r.ifindex, 4);
  const body = Buffer.concat([ifa, attribute(IFA_LOCAL, bytes), attribute(IFA_ADDRESS, bytes)]);
  const flags = NLM_F_REQUEST | NLM_F_ACK | (r.op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0);
  return message(r.op === 'add' ? RTM_NEWADDR : RTM_DELADDR, flags, seq, body);
}

// RTM_GETADDR dump of every address of every interface (filtered by the caller: older kernels ignore filters).
export function encodeAddressDump(seq: number): Buffer {
  return message(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, Buffer.alloc(IFADDRMSG));
}

interface Raw {
  type: number;
  flags: number;
  seq: number;
  body: Buffer;
}

// Splits a buffer of netlink messages; a truncated or malformed tail is an error.
export function splitMessages(buf: Buffer): Raw[] {
  const out: Raw[] = [];
  let at = 0;
  while (at + HEADER <= buf.length) {
    const len = buf.readUInt32LE(at);
    if (len < HEADER || at + len > buf.length) throw new Error('malformed netlink message');
    out.push({ type: buf.readUInt16LE(at + 4), flags: buf.readUInt16LE(at + 6), seq: buf.readUInt32LE(at + 8), body: buf.subarray(at + HEADER, at + len) });
    at += align(len);
  }
  return out;
}

function attributes(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt16LE(at);
    if (len < 4 || at + len > buf.length) break;
    // The top two bits are NLA_F_NESTED and NLA_F_NET_BYTEORDER, not part of the type.
    out.set(buf.readUInt16LE(at + 2) & 0x3fff, buf.subarray(at + 4, at + len));
    at += align(len);
  }
  return out;
}

// Whether `buf` is the whole answer to request `seq`: well-formed messages, each with that sequence
// number, the last an acknowledgement or the end of a dump. The helper checks the same at its socket;
// here it guards against a helper out of step with the agent (an answer meant for another request).
export function checkAnswer(buf: Buffer, seq: number): void {
  const all = splitMessages(buf);
  const stray = all.find((m) => m.seq !== seq >>> 0);
  if (stray) throw new Error(`netlink answer for request ${stray.seq}, expected ${seq >>> 0}`);
  const last = all.at(-1);
  if (last?.type !== NLMSG_ERROR && last?.type !== NLMSG_DONE) throw new Error('netlink answer without its acknowledgement or end of dump');
}

// The kernel's answer to one request: errno 0 when it succeeded, else the errno it gave (EEXIST, ENODEV, …)
// and, from kernels that say why (Linux >= 4.12), its reason in words.
export interface Ack {
  errno: number;
  message?: string;
}

export function decodeAck(buf: Buffer): Ack {
  const err = splitMessages(buf).find((m) => m.type === NLMSG_ERROR);
  if (!err || err.body.length < 4) throw new Error('no netlink acknowledgement in the answer');
  const errno = -err.body.readInt32LE(0) || 0;
  if (!(err.flags & NLM_F_ACK_TLVS) || err.body.length < 4 + HEADER) return { errno };
  // struct nlmsgerr: the error, then the request's header (and its payload unless capped), then attributes.
  const tlvs = 4 + (err.flags & NLM_F_CAPPED ? HEADER : align(err.body.readUInt32LE(4)));
  const text = attributes(err.body.subarray(tlvs)).get(NLMSGERR_ATTR_MSG)?.toString('utf8').replace(/\0.*$/s, '');
  return text ? { errno, message: text } : { errno };
}

function textOf(family: number, b: Buffer): string {
  if (family === AF_INET) return [...b.subarray(0, 4)].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
  // The shortest form (RFC 5952): the longest run of two or more zero groups becomes "::".
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

// The addresses of a dump answer; an NLMSG_ERROR in it is thrown with its errno.
export function decodeAddressDump(buf: Buffer): ListedAddress[] {
  const out: ListedAddress[] = [];
  for (const m of splitMessages(buf)) {
    if (m.type === NLMSG_ERROR && m.body.length >= 4 && m.body.readInt32LE(0) !== 0) throw new Error(`address dump refused: errno ${-m.body.readInt32LE(0)}`);
    if (m.type !== RTM_NEWADDR || m.body.length < IFADDRMSG) continue;
    const family = m.body.readUInt8(0);
    if (family !== AF_INET && family !== AF_INET6) continue;
    const attrs = attributes(m.body.subarray(IFADDRMSG));
    const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
    if (!raw || raw.length < (family === AF_INET ? 4 : 16)) continue;
    out.push({ ifindex: m.body.readUInt32LE(4), address: textOf(family, raw), prefixLen: m.body.readUInt8(1) });
  }
  return out;
}

// The link changes in one multicast read (other message types are skipped).
export function decodeLinkEvents(buf: Buffer): LinkEvent[] {
  const out: LinkEvent[] = [];
  for (const m of splitMessages(buf)) {
    if ((m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) || m.body.length < IFINFOMSG) continue;
    const flags = m.body.readUInt32LE(8);
    const attrs = attributes(m.body.subarray(IFINFOMSG));
    const name = attrs.get(IFLA_IFNAME);
    const oper = attrs.get(IFLA_OPERSTATE)?.readUInt8(0);
    const kind = m.type === RTM_NEWLINK ? 'new' : 'del';
    out.push({ kind, ifindex: m.body.readInt32LE(4), name: name ? name.toString('latin1').replace(/\0.*$/s, '') : undefined, up: kind === 'new' && (flags & IFF_UP) !== 0 && !(oper !== undefined && OPER_DOWN.has(oper)) });
  }
  return out;
}
