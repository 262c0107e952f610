// Wire version 3 (an IPv6 sender) and the VIP field of an address set, pinned by golden vectors written out
// by hand from docs/protocol.md; MACs and tags computed apart from floatd (Python's hmac and hashlib).
import { describe, expect, it } from 'vitest';
import { DecodeError, HEADER_LENGTH_V3, MAC_LENGTH, PACKET_LENGTH_V3, PACKET_LENGTH_V3_PRESENCE, decode, encodeHeader, type Advert } from '../../src/protocol/advert.js';
import { Verifier, sign } from '../../src/protocol/auth.js';
import type { Presence } from '../../src/protocol/presence.js';
import { tagOf, vipField } from '../../src/protocol/vip-set.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const unsigned = (header: Buffer) => Buffer.concat([header, Buffer.alloc(MAC_LENGTH)]);
const key = Buffer.from('floatd-test-key');

describe('the VIP field of an address set', () => {
  it('is the address itself for one IPv4 VIP, byte for byte as version 1 always was', () => {
    expect(vipField(['192.168.1.100'])).toBe('192.168.1.100');
  });

  it('is the first 4 bytes of SHA-256 over the sorted set otherwise (pinned)', () => {
    expect(vipField(['2001:db8::64'])).toBe('48.24.168.145'); // 3018a891
    expect(vipField(['10.0.0.99', '10.0.0.98'])).toBe('142.39.107.63'); // 8e276b3f
    expect(vipField(['10.0.0.99', '2001:db8::99'])).toBe('125.198.55.239'); // 7dc637ef
  });

  it('does not depend on the order or the spelling of -a', () => {
    expect(tagOf(['2001:DB8:0:0::99', '10.0.0.99'])).toBe(tagOf(['10.0.0.99', '2001:db8::99']));
    expect(tagOf(['10.0.0.98', '10.0.0.99'])).not.toBe(tagOf(['10.0.0.98', '10.0.0.97']));
  });
});

// A resign from 2001:db8::2 for the VIP 2001:db8::64 (vhid 7, advskew 16, advbase 1 s, epoch 3, seq 42).
const resign: Advert = { type: 'resign', vhid: 7, advskew: 16, advbaseMs: 1000, epoch: 3, seq: 42n, sender: '2001:db8::2', vip: vipField(['2001:db8::64']) };
const resignHeader = hex('4644 03 02 07 10 0000 000003e8 00000003 000000000000002a 20010db8000000000000000000000002 3018a891 00000000');
const resignMac = 'b4ff0fef4cc611b65c31007d9f337693f4db9338bb1b332fe482a8a05b720f69';

const presence: Presence = { role: 'backup', eligible: true, voter: true, witness: false, preempt: false, released: false, deadratio: 3, incarnation: 0x01020304, beat: 123_456, dataVersion: 77n, versionFailing: false, supports: '2001:db8::1', supportIncarnation: 9, echo: 5000 };
const backup: Advert = { ...resign, type: 'presence', presence };
const backupHeader = hex(`
  4644 03 03 07 10 800b 000003e8 00000003 000000000000002a 20010db8000000000000000000000002 3018a891 00000000
  01 03 0000 01020304 000000000001e240 000000000000004d 20010db8000000000000000000000001 00000009 0000000000001388`);
const backupMac = '69d3d6513dc03e702a5ada4f1706706ac807e950a37de0f8042db2751ba843f6';

describe('wire version 3 (IPv6 sender)', () => {
  it('encodes a resign to the pinned 48-byte header and signs it to the pinned 80-byte packet', () => {
    expect(encodeHeader(resign).toString('hex')).toBe(resignHeader.toString('hex'));
    const packet = sign(resign, key);
    expect(packet).toHaveLength(PACKET_LENGTH_V3);
    expect(packet.subarray(HEADER_LENGTH_V3).toString('hex')).toBe(resignMac);
    expect(new Verifier({ key, vhid: 7, vip: vipField(['2001:db8::64']) }).verify(packet)).toEqual({ outcome: 'ok', advert: resign });
  });

  it('encodes a presence with flag bit 15 and a 16-byte supported node, pinned (132 bytes signed)', () => {
    expect(encodeHeader(backup).toString('hex')).toBe(backupHeader.toString('hex'));
    const packet = sign(backup, key);
    expect(packet).toHaveLength(PACKET_LENGTH_V3_PRESENCE);
    expect(packet.subarray(packet.length - MAC_LENGTH).toString('hex')).toBe(backupMac);
    expect(decode(packet).advert).toEqual(backup);
  });

  it('round-trips a master that supports nobody (:: on the wire)', () => {
    const a: Advert = { ...backup, type: 'advert', presence: { ...presence, role: 'master', supports: undefined, supportIncarnation: 0, echo: 0 } };
    expect(decode(unsigned(encodeHeader(a))).advert).toEqual(a);
  });

  it('rejects another VIP set as wrong-vip, naming our addresses', () => {
    const r = new Verifier({ key, vhid: 7, vip: vipField(['2001:db8::65']), vipLabel: '2001:db8::65' }).verify(sign(resign, key));
    expect(r.outcome).toBe('wrong-vip');
    expect('detail' in r && r.detail).toMatch(/ours is 2001:db8::65: check the virtual IP \(every -a\)/);
  });

  const at = (base: Buffer, offset: number, byte: number) => {
    const b = unsigned(Buffer.from(base));
    b[offset] = byte;
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['an 80-byte packet that says a presence block follows', at(resignHeader, 6, 0x80), /^bad length$/],
    ['a 132-byte packet without the presence flag', at(backupHeader, 6, 0), /^bad length$/],
    ['a presence (type 3) without the block', at(resignHeader, 3, 3), /^unknown type$/],
    ['a set reserved byte after the VIP field', at(resignHeader, 47, 1), /^reserved bits set$/],
    ['flags without the presence flag', at(resignHeader, 7, 1), /^reserved bits set$/],
    ['vhid 0', at(resignHeader, 4, 0), /^bad vhid$/],
  ];
  for (const [what, packet, message] of cases) {
    it(`${what} is rejected with DecodeError ${String(message)}`, () => {
      expect(() => decode(packet)).toThrow(DecodeError);
      expect(() => decode(packet)).toThrow(message);
    });
  }
});

describe('an IPv4 sender with an address set', () => {
  it('stays version 1 with the tag in the VIP field (pinned MAC)', () => {
    const a: Advert = { type: 'resign', vhid: 7, advskew: 16, advbaseMs: 1000, epoch: 3, seq: 42n, sender: '10.0.0.2', vip: vipField(['10.0.0.98', '10.0.0.99']) };
    expect(sign(a, key).toString('hex')).toBe(
      '4644010207100000000003e800000003000000000000002a0a0000028e276b3f' + '878f7a60e0d500264aeaaf9dad9511a44cb160967a00285cc83d81ea87148d5b',
    );
  });
});
