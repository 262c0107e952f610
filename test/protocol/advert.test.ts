import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  HEADER_LENGTH,
  MAC_LENGTH,
  PACKET_LENGTH,
  decode,
  encodeHeader,
  ipv4Bytes,
  isIPv4,
} from '../../src/protocol/advert.js';
import type { Advert } from '../../src/protocol/advert.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// A packet whose MAC is all zero: the codec does not look at the MAC, protocol/auth does.
const unsigned = (header: Buffer) => Buffer.concat([header, Buffer.alloc(MAC_LENGTH)]);

// encode → decode → encode must give the same advert and the same bytes.
function roundTrip(a: Advert): void {
  const header = encodeHeader(a);
  expect(header).toHaveLength(HEADER_LENGTH);
  const { advert, header: decodedHeader, mac } = decode(unsigned(header));
  expect(advert).toEqual(a);
  expect(decodedHeader.equals(header)).toBe(true);
  expect(mac.equals(Buffer.alloc(MAC_LENGTH))).toBe(true);
  expect(encodeHeader(advert).equals(header)).toBe(true);
}

// Golden vectors, written out by hand from the layout in docs/protocol.md.
const resign: Advert = {
  type: 'resign',
  vhid: 7,
  advskew: 16,
  advbaseMs: 1000,
  epoch: 3,
  seq: 42n,
  sender: '10.0.0.2',
  vip: '192.168.1.100',
};
const resignHeader = hex(
  '4644 01 02' + // magic "FD", version 1, type 2 = resign
    '07 10 0000' + // vhid 7, advskew 16, reserved
    '000003e8' + // advbaseMs 1000
    '00000003' + // epoch 3
    '000000000000002a' + // seq 42
    '0a000002' + // sender 10.0.0.2
    'c0a80164', // vip 192.168.1.100
);

const extreme: Advert = {
  type: 'advert',
  vhid: 255,
  advskew: 255,
  advbaseMs: 250,
  epoch: 0xffffffff,
  seq: 2n ** 63n + 5n,
  sender: '172.16.0.1',
  vip: '10.255.0.254',
};
const extremeHeader = hex(`
  4644 01 01
  ff ff 0000
  000000fa
  ffffffff
  8000000000000005
  ac100001
  0aff00fe
`);

// A realistic seq: wall-clock microseconds (2024-06-01T00:00:00Z) and the largest advbase.
const realistic: Advert = {
  type: 'advert',
  vhid: 1,
  advskew: 0,
  advbaseMs: 0xffffffff,
  epoch: 0,
  seq: 1_717_200_000_000_000n,
  sender: '255.255.255.255',
  vip: '0.0.0.0',
};
const realisticHeader = hex(`
  4644 01 01
  01 00 0000
  ffffffff
  00000000
  000619c8 c8022000
  ffffffff
  00000000
`);

describe('advert golden vectors', () => {
  it('a resign advert encodes to the hand-written bytes', () => {
    expect(resignHeader).toHaveLength(HEADER_LENGTH);
    expect(encodeHeader(resign).toString('hex')).toBe(resignHeader.toString('hex'));
    expect(decode(unsigned(resignHeader)).advert).toEqual(resign);
  });

  it('a u64 seq above 2^63 and epoch 0xFFFFFFFF are written big-endian without loss', () => {
    expect(encodeHeader(extreme).toString('hex')).toBe(extremeHeader.toString('hex'));
    expect(decode(unsigned(extremeHeader)).advert).toEqual(extreme);
  });

  it('a microsecond wall-clock seq and the largest advbase are written big-endian', () => {
    expect(encodeHeader(realistic).toString('hex')).toBe(realisticHeader.toString('hex'));
    expect(decode(unsigned(realisticHeader)).advert).toEqual(realistic);
  });

  it('a resign after a failed stop is type 4, the rest of the header as a resign; it decodes back with unclean set', () => {
    const unclean = { ...resign, unclean: true };
    const header = encodeHeader(unclean);
    expect(header[3]).toBe(4);
    expect(Buffer.concat([header.subarray(0, 3), header.subarray(4)]).toString('hex')).toBe(Buffer.concat([resignHeader.subarray(0, 3), resignHeader.subarray(4)]).toString('hex'));
    expect(decode(unsigned(header)).advert).toEqual(unclean);
    roundTrip(unclean);
    // The flag means nothing on another type: an advert stays type 1.
    expect(encodeHeader({ ...resign, type: 'advert', unclean: true })[3]).toBe(1);
  });

  it('every golden advert survives encode → decode → encode', () => {
    for (const a of [resign, extreme, realistic]) roundTrip(a);
  });

  it('decode returns the header and MAC exactly as received', () => {
    const mac = Buffer.alloc(MAC_LENGTH, 0xab);
    const { header, mac: got } = decode(Buffer.concat([resignHeader, mac]));
    expect(header.equals(resignHeader)).toBe(true);
    expect(got.equals(mac)).toBe(true);
  });

  it('decode reads a packet that sits at an offset inside a larger buffer', () => {
    const backing = new Uint8Array(PACKET_LENGTH + 5).fill(0xee);
    backing.set(unsigned(extremeHeader), 3);
    expect(decode(backing.subarray(3, 3 + PACKET_LENGTH)).advert).toEqual(extreme);
  });

  it('decode accepts a plain Uint8Array as well as a Buffer', () => {
    expect(decode(new Uint8Array(unsigned(resignHeader))).advert).toEqual(resign);
  });
});

describe('advert decode errors', () => {
  // Each case corrupts one field of a valid packet.
  const valid = () => unsigned(resignHeader);
  const withByte = (at: number, value: number) => {
    const b = valid();
    b[at] = value;
    return b;
  };
  const withU32 = (at: number, value: number) => {
    const b = valid();
    b.writeUInt32BE(value, at);
    return b;
  };

  const cases: [string, Uint8Array, RegExp][] = [
    ['an empty datagram', new Uint8Array(0), /^bad length$/],
    ['a header without its MAC', resignHeader, /^bad length$/],
    ['a packet one byte short', valid().subarray(0, PACKET_LENGTH - 1), /^bad length$/],
    ['a packet one byte long', Buffer.concat([valid(), Buffer.of(0)]), /^bad length$/],
    ['a foreign datagram', withByte(0, 0x47), /^bad magic$/],
    ['a byte-swapped magic', Buffer.concat([hex('4446'), valid().subarray(2)]), /^bad magic$/],
    ['version 0', withByte(2, 0), /^unsupported version$/],
    ['version 4', withByte(2, 4), /^unsupported version$/],
    ['a 64-byte packet that says version 3', withByte(2, 3), /^bad length$/],
    ['a 64-byte packet that says version 2 (presence needs 104)', withByte(2, 2), /^bad length$/],
    ['type 0', withByte(3, 0), /^unknown type$/],
    ['type 3', withByte(3, 3), /^unknown type$/],
    ['vhid 0', withByte(4, 0), /^bad vhid$/],
    ['a set high reserved bit', withByte(6, 0x80), /^reserved bits set$/],
    ['a set low reserved bit', withByte(7, 0x01), /^reserved bits set$/],
    ['advbase 0', withU32(8, 0), /^bad advbase$/],
  ];

  for (const [what, packet, message] of cases) {
    it(`${what} is rejected with DecodeError ${String(message)}`, () => {
      expect(() => decode(packet)).toThrow(DecodeError);
      expect(() => decode(packet)).toThrow(message);
    });
  }

  it('DecodeError is an Error named DecodeError', () => {
    const err = new DecodeError('bad magic');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DecodeError');
  });

  it('length is checked before magic, so a short foreign datagram says "bad length"', () => {
    expect(() => decode(Buffer.alloc(10))).toThrow(/^bad length$/);
  });
});

describe('isIPv4 and ipv4Bytes', () => {
  it.each(['0.0.0.0', '255.255.255.255', '10.0.0.2', '192.168.1.100', '1.10.100.249', '200.250.199.9'])(
    '%s is a dotted-quad IPv4 address',
    (s) => expect(isIPv4(s)).toBe(true),
  );

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.260',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.00',
    '1..3.4',
    '-1.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4\n',
    '1.2.3.4/24',
    '0x7f.0.0.1',
    '::1',
    '\u0661.2.3.4', // ARABIC-INDIC DIGIT ONE
  ])('%j is not accepted as an IPv4 address', (s) => expect(isIPv4(s)).toBe(false));

  it('ipv4Bytes gives the four bytes in network order', () => {
    expect(ipv4Bytes('10.0.0.2')).toEqual([10, 0, 0, 2]);
    expect(ipv4Bytes('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(ipv4Bytes('255.254.1.0')).toEqual([255, 254, 1, 0]);
  });

  it('ipv4Bytes rejects a bad address with a RangeError that quotes it', () => {
    expect(() => ipv4Bytes('10.0.0.256')).toThrow(RangeError);
    expect(() => ipv4Bytes('10.0.0.256')).toThrow('not an IPv4 address: "10.0.0.256"');
  });

  it('encodeHeader refuses an advert whose address is not IPv4', () => {
    expect(() => encodeHeader({ ...resign, vip: 'fe80::1' })).toThrow(/not an IPv4 address: "fe80::1"/);
  });
});
