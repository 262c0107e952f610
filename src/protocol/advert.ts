// floatd advertisement wire format, versions 1 and 2 (see docs/protocol.md).
// Pure: no sockets, no clocks. Every multi-byte field is big-endian (network order).
import { isIPv4, ipv4Bytes, writeIPv4 } from './ipv4.js';
import { PRESENCE_LENGTH, PRESENCE_OFFSET, presenceFlags, readPresence, writePresence, type Presence } from './presence.js';
import { reader } from './reader.js';

export { isIPv4, ipv4Bytes };
export type { Presence };

// Two ASCII bytes "FD" so a stray datagram on the port is recognised as foreign at once.
export const MAGIC = 0x4644;
// Version 2 adds the presence block; version 1 (no block) is still decoded, so an upgraded node follows
// a master that is not upgraded yet (docs/protocol.md: rolling upgrade).
export const VERSION = 1;
export const VERSION_PRESENCE = 2;
// Header (signed part) and the HMAC-SHA256 that follows it.
export const HEADER_LENGTH = 32;
export const MAC_LENGTH = 32;
export const PACKET_LENGTH = HEADER_LENGTH + MAC_LENGTH;
export const HEADER_LENGTH_V2 = PRESENCE_OFFSET + PRESENCE_LENGTH;
export const PACKET_LENGTH_V2 = HEADER_LENGTH_V2 + MAC_LENGTH;
// Where the sender address sits (both versions), for the transport's cheap source check before any HMAC.
export const SENDER_OFFSET = 24;

// 'advert' is a master's periodic announcement; 'resign' is sent once by a master that gives up
// the VIP, so backups take over at once (RFC 5798 §6.4.3 "priority 0" advert, in CARP/ucarp terms).
// 'presence' (version 2 only) is what a node that is not master sends every advert interval.
export type AdvertType = 'advert' | 'resign' | 'presence';
const TYPE_CODES = { advert: 1, resign: 2, presence: 3 } as const satisfies Record<AdvertType, number>;

export interface Advert {
  type: AdvertType;
  vhid: number; // 1–255, as ucarp
  advskew: number; // 0–255, in 1/256 s as ucarp
  advbaseMs: number; // advert base interval in milliseconds (ucarp's advbase in seconds × 1000)
  epoch: number; // promotion epoch of the sender's current mastership (u32)
  seq: bigint; // per-sender sequence number, increasing across restarts (u64)
  sender: string; // dotted-quad IPv4 source address (ucarp's --srcip)
  vip: string; // dotted-quad IPv4 virtual address (0.0.0.0 from a witness, which holds none)
  presence?: Presence; // version 2; absent: a version-1 packet
}

// Fixed messages so callers and tests can match them.
export class DecodeError extends Error {
  override name = 'DecodeError';
}

// Serialises the signed header: version 2 when the advert carries presence, else version 1 (bytes 0–31).
export function encodeHeader(a: Advert): Buffer {
  const p = a.presence;
  if (p === undefined && a.type === 'presence') throw new RangeError('a presence advert needs its presence block');
  const b = Buffer.alloc(p === undefined ? HEADER_LENGTH : HEADER_LENGTH_V2);
  b.writeUInt16BE(MAGIC, 0);
  b.writeUInt8(p === undefined ? VERSION : VERSION_PRESENCE, 2);
  b.writeUInt8(TYPE_CODES[a.type], 3);
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

const fail = (msg: string): never => {
  throw new DecodeError(msg);
};

// Parses a whole packet (header + MAC). Throws DecodeError with a fixed message on anything malformed.
export function decode(packet: Uint8Array): { advert: Advert; header: Buffer; mac: Buffer } {
  if (packet.length !== PACKET_LENGTH && packet.length !== PACKET_LENGTH_V2) fail('bad length');
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  const r = reader(b);
  if (r.u16() !== MAGIC) fail('bad magic');
  const version = r.u8();
  if (version !== VERSION && version !== VERSION_PRESENCE) fail('unsupported version');
  // Each version has one length: a version-1 packet extended to version 2's length is not one.
  if (packet.length !== (version === VERSION ? PACKET_LENGTH : PACKET_LENGTH_V2)) fail('bad length');
  const typeCode = r.u8();
  const type = (Object.keys(TYPE_CODES) as AdvertType[]).find((t) => TYPE_CODES[t] === typeCode);
  if (type === undefined || (type === 'presence' && version === VERSION)) fail('unknown type');
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
  const advert: Advert = { type: type as AdvertType, vhid, advskew, advbaseMs, epoch, seq, sender, vip };
  if (version === VERSION_PRESENCE) advert.presence = readPresence(b, flags, fail);
  const headerLength = packet.length - MAC_LENGTH;
  return { advert, header: b.subarray(0, headerLength), mac: b.subarray(headerLength) };
}
