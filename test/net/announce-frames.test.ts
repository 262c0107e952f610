// The announcement frames the kernel channel sends: gratuitous ARP (as arping -U / -A) and the unsolicited
// neighbour advertisement of RFC 4861 §7.2.6, pinned byte for byte.
import { describe, expect, it } from 'vitest';
import { announcingOn, garpFrame, icmpv6Checksum, macBytes, unsolicitedNaFrame } from '../../src/net/announce-frames.js';
import { ipv6Bytes } from '../../src/net/netlink.js';

const MAC = '02:00:5e:00:01:0a';

describe('gratuitous ARP frames', () => {
  it('a request is broadcast with the VIP as sender and target and a zero target MAC, padded to 60 bytes', () => {
    const f = garpFrame('request', MAC, '198.51.100.100');
    expect(f.length).toBe(60);
    expect(f.subarray(0, 42).toString('hex')).toBe(
      ['ffffffffffff', '02005e00010a', '0806', '0001', '0800', '06', '04', '0001', '02005e00010a', 'c6336464', '000000000000', 'c6336464'].join(''),
    );
    expect(f.subarray(42).equals(Buffer.alloc(18))).toBe(true);
  });

  it('a reply names this host as the target too', () => {
    const f = garpFrame('reply', MAC, '198.51.100.100');
    expect(f.subarray(20, 22).toString('hex')).toBe('0002');
    expect(f.subarray(32, 38).toString('hex')).toBe('02005e00010a');
  });

  it('refuses a malformed MAC or a non-IPv4 address, naming the value', () => {
    expect(() => macBytes('02:00:5e')).toThrow(/not a MAC address: "02:00:5e"/);
    expect(() => garpFrame('request', MAC, '2001:db8::1')).toThrow(/not an IPv4 address: "2001:db8::1"/);
  });
});

describe('unsolicited neighbour advertisements', () => {
  const f = unsolicitedNaFrame(MAC, '2001:db8::100');

  it('goes to all nodes (33:33:00:00:00:01, ff02::1) from the VIP with hop limit 255 (RFC 4861 §7.1.2)', () => {
    expect(f.subarray(0, 14).toString('hex')).toBe('33330000000102005e00010a86dd');
    expect(f.readUInt16BE(18)).toBe(32); // payload: the 24-byte NA and one 8-byte option
    expect([f.readUInt8(20), f.readUInt8(21)]).toEqual([58, 255]);
    expect(f.subarray(22, 38)).toEqual(ipv6Bytes('2001:db8::100'));
    expect(f.subarray(38, 54)).toEqual(ipv6Bytes('ff02::1'));
  });

  it('is type 136 with only the override flag, the target, and the target link-layer option', () => {
    const icmp = f.subarray(54);
    expect([icmp.readUInt8(0), icmp.readUInt8(1), icmp.readUInt32BE(4)]).toEqual([136, 0, 0x20000000]);
    expect(icmp.subarray(8, 24)).toEqual(ipv6Bytes('2001:db8::100'));
    expect(icmp.subarray(24, 32).toString('hex')).toBe('020102005e00010a');
  });

  it('carries a checksum that verifies: summing the message with it over the pseudo-header gives zero', () => {
    const icmp = Buffer.from(f.subarray(54));
    expect(icmp.readUInt16BE(2)).not.toBe(0);
    // A correct checksum makes the recomputed sum 0xffff, i.e. a "checksum" of zero.
    expect(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), icmp)).toBe(0);
  });
});

// What sysfs shows for the links a VIP may sit on (type, flags as /sys/class/net/IFACE/flags, address).
const ETHERNET = { type: 1, flags: 0x1003, address: '02:00:5e:00:01:0a' };
const TUN = { type: 65534, flags: 0x1091, address: '' };

describe('which links take announcements', () => {
  it('an Ethernet link (veth, bridge, VLAN, bond) is announced from its MAC address', () => {
    expect(announcingOn(ETHERNET)).toEqual({ announce: true, mac: '02:00:5e:00:01:0a' });
    expect(announcingOn({ ...ETHERNET, address: '02:00:5E:00:01:0A\n' })).toEqual({ announce: true, mac: '02:00:5E:00:01:0A' });
  });

  it('a tun or WireGuard link (no link layer, no address) is not, and says why', () => {
    expect(announcingOn(TUN)).toEqual({ announce: false, why: 'link type 65534 (no link layer (tun, WireGuard)) carries no Ethernet frames' });
  });

  it('GRE, PPP, InfiniBand and loopback links are not: their frames are not Ethernet frames', () => {
    expect(announcingOn({ type: 778, flags: 0x91, address: '0.0.0.0' })).toMatchObject({ announce: false, why: expect.stringMatching(/^link type 778 \(GRE tunnel\)/) });
    expect(announcingOn({ type: 512, flags: 0x10d1, address: '' })).toMatchObject({ announce: false, why: expect.stringMatching(/\(PPP\)/) });
    expect(announcingOn({ type: 32, flags: 0x1003, address: '80:00:00:48:fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01' })).toMatchObject({ announce: false, why: expect.stringMatching(/\(InfiniBand\)/) });
    expect(announcingOn({ type: 772, flags: 0x9, address: '00:00:00:00:00:00' })).toMatchObject({ announce: false, why: expect.stringMatching(/\(loopback\)/) });
    expect(announcingOn({ type: 999, flags: 0, address: '' })).toMatchObject({ announce: false, why: 'link type 999 (not Ethernet) carries no Ethernet frames' });
  });

  it('an Ethernet link with ARP off (NOARP) is not: its neighbours are not resolved', () => {
    expect(announcingOn({ ...ETHERNET, flags: 0x1083 })).toEqual({ announce: false, why: 'the link resolves no neighbours (NOARP)' });
  });

  it('an Ethernet link without a usable address is not, and the value is quoted', () => {
    expect(announcingOn({ ...ETHERNET, address: '' })).toEqual({ announce: false, why: 'the link has no Ethernet address ("")' });
    expect(announcingOn({ ...ETHERNET, address: '00:00:00:00:00:00' })).toEqual({ announce: false, why: 'the link has no Ethernet address ("00:00:00:00:00:00")' });
  });
});
