// The rtnetlink codec of the kernel channel: requests byte for byte as the kernel's uapi lays them out,
// answers and events decoded from captured kernel bytes.
import { describe, expect, it } from 'vitest';
import { checkAnswer, decodeAck, decodeAddressDump, decodeLinkEvents, encodeAddress, encodeAddressDump, ipv6Bytes, splitMessages } from '../../src/net/netlink.js';

// A netlink message as the kernel would send it (host byte order, little-endian here).
function msg(type: number, seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32LE(16 + body.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt32LE(seq, 8);
  const pad = Buffer.alloc((4 - ((16 + body.length) % 4)) % 4);
  return Buffer.concat([head, body, pad]);
}
function attr(type: number, value: Buffer): Buffer {
  const a = Buffer.alloc(4);
  a.writeUInt16LE(4 + value.length, 0);
  a.writeUInt16LE(type, 2);
  return Buffer.concat([a, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

describe('netlink address requests', () => {
  it('encodes an IPv4 add as ip addr add 198.51.100.100/32 dev IFINDEX 7 does: create, exclusive, ack, local and address', () => {
    const m = encodeAddress({ op: 'add', ifindex: 7, address: '198.51.100.100', prefixLen: 32 }, 5);
    expect(m.toString('hex')).toBe(
      [
        '28000000', '1400', '0506', '05000000', '00000000', // len 40, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, seq 5, pid 0
        '02', '20', '00', '00', '07000000', // AF_INET, /32, no flags, scope global, ifindex 7
        '0800', '0200', 'c6336464', // IFA_LOCAL
        '0800', '0100', 'c6336464', // IFA_ADDRESS
      ].join(''),
    );
  });

  it('encodes an IPv6 add with IFA_F_NODAD (the VIP must answer at once) and a delete without create flags', () => {
    const add = encodeAddress({ op: 'add', ifindex: 3, address: '2001:db8::100', prefixLen: 128 }, 1);
    expect(add.readUInt16LE(4)).toBe(20);
    expect([add.readUInt8(16), add.readUInt8(17), add.readUInt8(18)]).toEqual([10, 128, 0x02]);
    expect(add.subarray(28, 44)).toEqual(ipv6Bytes('2001:db8::100'));
    const del = encodeAddress({ op: 'remove', ifindex: 3, address: '2001:db8::100', prefixLen: 128 }, 2);
    expect([del.readUInt16LE(4), del.readUInt16LE(6), del.readUInt8(18)]).toEqual([21, 0x05, 0]);
  });

  it('refuses what is not an address or a prefix that does not fit the family', () => {
    expect(() => encodeAddress({ op: 'add', ifindex: 1, address: 'nope', prefixLen: 32 }, 1)).toThrow(/not an IP address: "nope"/);
    expect(() => encodeAddress({ op: 'add', ifindex: 1, address: '198.51.100.1', prefixLen: 33 }, 1)).toThrow(/prefix length must be 0–32, got 33/);
  });

  it('asks for a dump of every address', () => {
    const m = encodeAddressDump(9);
    expect([m.length, m.readUInt16LE(4), m.readUInt16LE(6)]).toEqual([24, 22, 0x301]);
  });

  it('expands IPv6 text, with "::" anywhere and an IPv4 tail', () => {
    expect(ipv6Bytes('::1').toString('hex')).toBe(`${'0'.repeat(30)}01`);
    expect(ipv6Bytes('2001:db8::').toString('hex')).toBe(`20010db8${'0'.repeat(24)}`);
    expect(ipv6Bytes('::ffff:198.51.100.1').toString('hex')).toBe(`${'0'.repeat(20)}ffffc6336401`);
  });
});

describe('netlink answers', () => {
  const ack = (errno: number) => {
    const b = Buffer.alloc(20);
    b.writeInt32LE(-errno, 0);
    return msg(2, 1, b);
  };

  it('reads the errno of an acknowledgement: 0, EEXIST, EADDRNOTAVAIL', () => {
    expect(decodeAck(ack(0))).toEqual({ errno: 0 });
    expect(decodeAck(ack(17))).toEqual({ errno: 17 });
    expect(decodeAck(ack(99))).toEqual({ errno: 99 });
  });

  it("reads the kernel's reason in words after the capped or whole request (NLM_F_ACK_TLVS, NLMSGERR_ATTR_MSG)", () => {
    const withReason = (flags: number, request: Buffer) => {
      const err = Buffer.alloc(4);
      err.writeInt32LE(-19, 0);
      const b = msg(2, 1, Buffer.concat([err, request, attr(1, Buffer.from('ipv4: Device not found\0'))]));
      b.writeUInt16LE(flags, 6);
      return b;
    };
    const request = msg(20, 1, Buffer.alloc(8));
    expect(decodeAck(withReason(0x300, request.subarray(0, 16)))).toEqual({ errno: 19, message: 'ipv4: Device not found' });
    expect(decodeAck(withReason(0x200, request))).toEqual({ errno: 19, message: 'ipv4: Device not found' });
    // Without NLM_F_ACK_TLVS what follows is not read as attributes.
    expect(decodeAck(withReason(0, request))).toEqual({ errno: 19 });
  });

  it('an answer is whole and for its request: every sequence number that one, the last message an ack or the end of a dump', () => {
    expect(() => checkAnswer(ack(0), 1)).not.toThrow();
    expect(() => checkAnswer(Buffer.concat([msg(20, 1, Buffer.alloc(8)), msg(3, 1, Buffer.alloc(4))]), 1)).not.toThrow();
    expect(() => checkAnswer(ack(0), 2)).toThrow(/netlink answer for request 1, expected 2/);
    expect(() => checkAnswer(Buffer.concat([msg(20, 1, Buffer.alloc(8)), msg(3, 2, Buffer.alloc(4))]), 1)).toThrow(/for request 2, expected 1/);
    expect(() => checkAnswer(msg(20, 1, Buffer.alloc(8)), 1)).toThrow(/without its acknowledgement or end of dump/);
    expect(() => checkAnswer(Buffer.alloc(0), 1)).toThrow(/without its acknowledgement/);
    expect(() => checkAnswer(ack(0).subarray(0, 20), 1)).toThrow(/malformed netlink message/);
  });

  it('a buffer without an acknowledgement or with a truncated message is an error, not a success', () => {
    expect(() => decodeAck(Buffer.alloc(0))).toThrow(/no netlink acknowledgement/);
    expect(() => splitMessages(ack(0).subarray(0, 20))).toThrow(/malformed netlink message/);
  });

  it('lists the addresses of a dump, IPv4 and IPv6 in their shortest text, up to NLMSG_DONE', () => {
    const v4 = Buffer.concat([Buffer.from([2, 24, 0, 0, 7, 0, 0, 0]), attr(1, Buffer.from([198, 51, 100, 11])), attr(2, Buffer.from([198, 51, 100, 11]))]);
    const v6 = Buffer.concat([Buffer.from([10, 128, 2, 0, 7, 0, 0, 0]), attr(1, ipv6Bytes('2001:db8::100'))]);
    const dump = Buffer.concat([msg(20, 1, v4), msg(20, 1, v6), msg(3, 1, Buffer.alloc(4))]);
    expect(decodeAddressDump(dump)).toEqual([
      { ifindex: 7, address: '198.51.100.11', prefixLen: 24 },
      { ifindex: 7, address: '2001:db8::100', prefixLen: 128 },
    ]);
  });

  it('decodes link events: a port admin-down, a lower layer down, and a deleted interface are all down', () => {
    const link = (type: number, flags: number, oper: number | undefined) => {
      const info = Buffer.alloc(16);
      info.writeInt32LE(7, 4);
      info.writeUInt32LE(flags, 8);
      const attrs = [attr(3, Buffer.from('nl0\0')), ...(oper === undefined ? [] : [attr(16, Buffer.from([oper]))])];
      return msg(type, 0, Buffer.concat([info, ...attrs]));
    };
    const events = decodeLinkEvents(Buffer.concat([link(16, 0x1043, 6), link(16, 0x1002, 2), link(16, 0x1003, 5), link(16, 0x1043, undefined), link(17, 0x1043, 6)]));
    expect(events).toEqual([
      { kind: 'new', ifindex: 7, name: 'nl0', up: true },
      { kind: 'new', ifindex: 7, name: 'nl0', up: false },
      { kind: 'new', ifindex: 7, name: 'nl0', up: false },
      { kind: 'new', ifindex: 7, name: 'nl0', up: true },
      { kind: 'del', ifindex: 7, name: 'nl0', up: false },
    ]);
  });
});
