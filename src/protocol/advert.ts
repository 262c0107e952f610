// floatd advertisement wire format, versions 1, 2 and 3 (see docs/protocol.md).
// Pure: no sockets, no clocks. Every multi-byte field is big-endian (network order).
import { familyOf } from './address.js';
import { isIPv4, ipv4Bytes, writeIPv4 } from './ipv4.js';
import { formatIPv6, writeIPv6 } from './ipv6.js';
import { PRESENCE_LENGTH, PRESENCE_LENGTH_WIDE, PRESENCE_OFFSET, presenceFlags, readPresence, writePresence, type Presence } from './presence.js';
import { reader } from './reader.js';

export { isIPv4, ipv4Bytes };
export type { Presence };

// Two ASCII bytes "FD" so a stray datagram on the port is recognised as foreign at once.
export const MAGIC = 0x4644;
// Version 2 adds the presence block; version 1 (no block) is still decoded, so an upgraded node follows
// a master that is not upgraded yet (docs/protocol.md: rolling upgrade).
export const VERSION = 1;
export const VERSION_PRESENCE = 2;
// Version 3 is a node whose -s is IPv6: 16-byte sender (and supported node); the presence block, when a
// flag says it follows, has the same fields. IPv4 senders keep versions 1 and 2, byte for byte.
export const VERSION_WIDE = 3;
// Header (signed part) and the HMAC-SHA256 that follows it.
export const HEADER_LENGTH = 32;
export const MAC_LENGTH = 32;
export const PACKET_LENGTH = HEADER_LENGTH + MAC_LENGTH;
export const HEADER_LENGTH_V2 = PRESENCE_OFFSET + PRESENCE_LENGTH;
export const PACKET_LENGTH_V2 = HEADER_LENGTH_V2 + MAC_LENGTH;
// Version 3: sender 24–39, VIP field 40–43, reserved 44–47, then the presence block when flagged.
export const HEADER_LENGTH_V3 = 48;
export const PACKET_LENGTH_V3 = HEADER_LENGTH_V3 + MAC_LENGTH;
export const PACKET_LENGTH_V3_PRESENCE = HEADER_LENGTH_V3 + PRESENCE_LENGTH_WIDE + MAC_LENGTH;
// Flag bit 15 of a version-3 header: a presence block follows (versions 1 and 2 say it by their number).
const WIDE_PRESENCE_FLAG = 0x8000;
// Where the sender address sits (every version), for the transport's cheap source check before any HMAC.
export const SENDER_OFFSET = 24;
const LENGTHS = [PACKET_LENGTH, PACKET_LENGTH_V2, PACKET_LENGTH_V3, PACKET_LENGTH_V3_PRESENCE];

// 'advert' is a master's periodic announcement; 'resign' is sent once by a master that gives up
// the VIP, so backups take over at once (RFC 5798 §6.4.3 "priority 0" advert, in CARP/ucarp terms).
// 'presence' (version 2 only) is what a node that is not master sends every advert interval.
export type AdvertType = 'advert' | 'resign' | 'presence';
const TYPE_CODES = { advert: 1, resign: 2, presence: 3 } as const satisfies Record<AdvertType, number>;
// A resign after a failed stop (a down hook or the VIP removal failed): the sender may still hold its
// service, so the next master probes and fences it. A node that does not know the code rejects the packet
// and waits for the sender's silence, which is the safe reading.
const UNCLEAN_RESIGN = 4;

// The wire's type code of `a`, and back.
function typeCode(a: Pick<Advert, 'type' | 'unclean'>): number {
  return a.type === 'resign' && a.unclean === true ? UNCLEAN_RESIGN : TYPE_CODES[a.type];
}
function typeOf(code: number): { type: AdvertType; unclean?: true } | undefined {
  if (code === UNCLEAN_RESIGN) return { type: 'resign', unclean: true };
  const type = (Object.keys(TYPE_CODES) as AdvertType[]).find((t) => TYPE_CODES[t] === code);
  return type === undefined ? undefined : { type };
}

export interface Advert {
  type: AdvertType;
  vhid: number; // 1–255, as ucarp
  advskew: number; // 0–255, in 1/256 s as ucarp
  advbaseMs: number; // advert base interval in milliseconds (ucarp's advbase in seconds × 1000)
  epoch: number; // promotion epoch of the sender's current mastership (u32)
  seq: bigint; // per-sender sequence number, increasing across restarts (u64)
  sender: string; // the source address (ucarp's --srcip): dotted quad, or IPv6 in RFC 5952 form (version 3)
  vip: string; // the VIP field as a dotted quad: one IPv4 VIP, else the address set's tag (vip-set.ts); 0.0.0.0 from a witness
  presence?: Presence; // version 2; absent: a version-1 packet
  unclean?: boolean; // a resign only: the sender's stop failed (type code 4)
}

// Fixed messages so callers and tests can match them.
export class DecodeError extends Error {
  override name = 'DecodeError';
}

// Serialises the signed header: an IPv6 sender is version 3; else version 2 when the advert carries
// presence, version 1 (bytes 0–31) when not.
export function encodeHeader(a: Advert): Buffer {
  const p = a.presence;
  if (p === undefined && a.type === 'presence') throw new RangeError('a presence advert needs its presence block');
  if (familyOf(a.sender) === 6) return encodeWide(a, p);
  const b = Buffer.alloc(p === undefined ? HEADER_LENGTH : HEADER_LENGTH_V2);
  b.writeUInt16BE(MAGIC, 0);
  b.writeUInt8(p === undefined ? VERSION : VERSION_PRESENCE, 2);
  b.writeUInt8(typeCode(a), 3);
  b.writeUInt8(a.vhid, 4);
  b.writeUInt8(a.advskew, 5);
  b.writeUInt16BE(p === undefined ? 0 : presenceFlags(p), 6); // version 1: reserved, zero
  b.writeUInt32BE(a.advbaseMs, 8);
  b.writeUInt32BE(a.epoch, 12);
  b.writeBigUInt64BE(a.seq, 16);
  writeIPv4(b, SENDER_OFFSET, a.sender);
  writeIPv4(b, 28, a.vip);
  if (p !== undefined) writePresence(b, p);
  return b;
}

function encodeWide(a: Advert, p: Presence | undefined): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH_V3 + (p === undefined ? 0 : PRESENCE_LENGTH_WIDE));
  b.writeUInt16BE(MAGIC, 0);
  b.writeUInt8(VERSION_WIDE, 2);
  b.writeUInt8(typeCode(a), 3);
  b.writeUInt8(a.vhid, 4);
  b.writeUInt8(a.advskew, 5);
  b.writeUInt16BE(p === undefined ? 0 : presenceFlags(p) | WIDE_PRESENCE_FLAG, 6);
  b.writeUInt32BE(a.advbaseMs, 8);
  b.writeUInt32BE(a.epoch, 12);
  b.writeBigUInt64BE(a.seq, 16);
  writeIPv6(b, SENDER_OFFSET, a.sender);
  writeIPv4(b, 40, a.vip);
  if (p !== undefined) writePresence(b, p, HEADER_LENGTH_V3, true);
  return b;
}

const fail = (msg: string): never => {
  throw new DecodeError(msg);
};

// Parses a whole packet (header + MAC). Throws DecodeError with a fixed message on anything malformed.
export function decode(packet: Uint8Array): { advert: Advert; header: Buffer; mac: Buffer } {
  if (!LENGTHS.includes(packet.length)) fail('bad length');
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  const r = reader(b);
  if (r.u16() !== MAGIC) fail('bad magic');
  const version = r.u8();
  if (version !== VERSION && version !== VERSION_PRESENCE && version !== VERSION_WIDE) fail('unsupported version');
  if (version === VERSION_WIDE) return decodeWide(packet, b);
  // Each version has one length: a version-1 packet extended to version 2's length is not one.
  if (packet.length !== (version === VERSION ? PACKET_LENGTH : PACKET_LENGTH_V2)) fail('bad length');
  const kind = typeOf(r.u8());
  if (kind === undefined || (kind.type === 'presence' && version === VERSION)) fail('unknown type');
  const vhid = r.u8();
  if (vhid === 0) fail('bad vhid');
  const advskew = r.u8();
  const flags = r.u16();
  if (version === VERSION && flags !== 0) fail('reserved bits set');
  const advbaseMs = r.u32();
  if (advbaseMs === 0) fail('bad advbase');
  const epoch = r.u32();
  const seq = r.u64();
  const sender = r.ipv4();
  const vip = r.ipv4();
  const advert: Advert = { ...kind!, vhid, advskew, advbaseMs, epoch, seq, sender, vip };
  if (version === VERSION_PRESENCE) advert.presence = readPresence(b, flags, fail);
  const headerLength = packet.length - MAC_LENGTH;
  return { advert, header: b.subarray(0, headerLength), mac: b.subarray(headerLength) };
}

// Version 3: the length must be the one its presence flag announces.
function decodeWide(packet: Uint8Array, b: Buffer): { advert: Advert; header: Buffer; mac: Buffer } {
  const r = reader(b, 3);
  const kind = typeOf(r.u8());
  const vhid = r.u8();
  const advskew = r.u8();
  const flags = r.u16();
  const withPresence = (flags & WIDE_PRESENCE_FLAG) !== 0;
  if (packet.length !== (withPresence ? PACKET_LENGTH_V3_PRESENCE : PACKET_LENGTH_V3)) fail('bad length');
  if (kind === undefined || (kind.type === 'presence' && !withPresence)) fail('unknown type');
  if (vhid === 0) fail('bad vhid');
  if (!withPresence && flags !== 0) fail('reserved bits set');
  const advbaseMs = r.u32();
  if (advbaseMs === 0) fail('bad advbase');
  const epoch = r.u32();
  const seq = r.u64();
  const sender = formatIPv6([...b.subarray(SENDER_OFFSET, SENDER_OFFSET + 16)]);
  r.skip(16);
  const vip = r.ipv4();
  if (r.u32() !== 0) fail('reserved bits set');
  const advert: Advert = { ...kind!, vhid, advskew, advbaseMs, epoch, seq, sender, vip };
  if (withPresence) advert.presence = readPresence(b, flags & ~WIDE_PRESENCE_FLAG, fail, HEADER_LENGTH_V3, true);
  const headerLength = packet.length - MAC_LENGTH;
  return { advert, header: b.subarray(0, headerLength), mac: b.subarray(headerLength) };
}
