// floatd advertisement wire format, version 1 (see docs/protocol.md).
// Pure: no sockets, no clocks. Every multi-byte field is big-endian (network order).

// Two ASCII bytes "FD" so a stray datagram on the port is recognised as foreign at once.
export const MAGIC = 0x4644;
export const VERSION = 1;
// Header (signed part) and the HMAC-SHA256 that follows it.
export const HEADER_LENGTH = 32;
export const MAC_LENGTH = 32;
export const PACKET_LENGTH = HEADER_LENGTH + MAC_LENGTH;
// Where the sender address sits, for the transport's cheap source check before any HMAC.
export const SENDER_OFFSET = 24;

// 'advert' is a master's periodic announcement; 'resign' is sent once by a master that gives up
// the VIP, so backups take over at once (RFC 5798 §6.4.3 "priority 0" advert, in CARP/ucarp terms).
export type AdvertType = 'advert' | 'resign';
const TYPE_CODES = { advert: 1, resign: 2 } as const satisfies Record<AdvertType, number>;

export interface Advert {
  type: AdvertType;
  vhid: number; // 1–255, as ucarp
  advskew: number; // 0–255, in 1/256 s as ucarp
  advbaseMs: number; // advert base interval in milliseconds (ucarp's advbase in seconds × 1000)
  epoch: number; // promotion epoch of the sender's current mastership (u32)
  seq: bigint; // per-sender sequence number, increasing across restarts (u64)
  sender: string; // dotted-quad IPv4 source address (ucarp's --srcip)
  vip: string; // dotted-quad IPv4 virtual address
}

// Fixed messages so callers and tests can match them.
export class DecodeError extends Error {
  override name = 'DecodeError';
}

// Serialises the signed header (bytes 0–31); the MAC is appended by protocol/auth.
export function encodeHeader(a: Advert): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  b.writeUInt16BE(MAGIC, 0);
  b.writeUInt8(VERSION, 2);
  b.writeUInt8(TYPE_CODES[a.type], 3);
  b.writeUInt8(a.vhid, 4);
  b.writeUInt8(a.advskew, 5);
  b.writeUInt16BE(0, 6); // reserved, must be zero
  b.writeUInt32BE(a.advbaseMs, 8);
  b.writeUInt32BE(a.epoch, 12);
  b.writeBigUInt64BE(a.seq, 16);
  writeIPv4(b, SENDER_OFFSET, a.sender);
  writeIPv4(b, 28, a.vip);
  return b;
}

// Parses a whole packet (header + MAC). Throws DecodeError with a fixed message on anything malformed.
export function decode(packet: Uint8Array): { advert: Advert; header: Buffer; mac: Buffer } {
  if (packet.length !== PACKET_LENGTH) throw new DecodeError('bad length');
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  const r = reader(b);
  if (r.u16() !== MAGIC) throw new DecodeError('bad magic');
  if (r.u8() !== VERSION) throw new DecodeError('unsupported version');
  const typeCode = r.u8();
  const type = (Object.keys(TYPE_CODES) as AdvertType[]).find((t) => TYPE_CODES[t] === typeCode);
  if (type === undefined) throw new DecodeError('unknown type');
  const vhid = r.u8();
  if (vhid === 0) throw new DecodeError('bad vhid');
  const advskew = r.u8();
  if (r.u16() !== 0) throw new DecodeError('reserved bits set');
  const advbaseMs = r.u32();
  if (advbaseMs === 0) throw new DecodeError('bad advbase');
  const epoch = r.u32();
  const seq = r.u64();
  const sender = r.ipv4();
  const vip = r.ipv4();
  return {
    advert: { type, vhid, advskew, advbaseMs, epoch, seq, sender, vip },
    header: b.subarray(0, HEADER_LENGTH),
    mac: b.subarray(HEADER_LENGTH, PACKET_LENGTH),
  };
}

// A small cursor instead of offset bookkeeping (after pg-protocol's reader).
function reader(b: Buffer) {
  let at = 0;
  const take = (n: number) => {
    const start = at;
    at += n;
    return start;
  };
  return {
    u8: () => b.readUInt8(take(1)),
    u16: () => b.readUInt16BE(take(2)),
    u32: () => b.readUInt32BE(take(4)),
    u64: () => b.readBigUInt64BE(take(8)),
    ipv4: () => {
      const i = take(4);
      return `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
    },
  };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

// True for a dotted-quad IPv4 address without leading zeros.
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

// The four bytes of an IPv4 address in network order.
export function ipv4Bytes(s: string): number[] {
  if (!isIPv4(s)) throw new RangeError(`not an IPv4 address: "${s}"`);
  return s.split('.').map(Number);
}

function writeIPv4(b: Buffer, at: number, s: string): void {
  ipv4Bytes(s).forEach((byte, i) => b.writeUInt8(byte, at + i));
}
