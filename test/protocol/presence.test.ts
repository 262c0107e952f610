// Wire version 2: the presence block after version 1's header, pinned by golden vectors, and the
// decode errors of its own fields.
import { describe, expect, it } from 'vitest';
import { DecodeError, HEADER_LENGTH_V2, MAC_LENGTH, PACKET_LENGTH_V2, decode, encodeHeader, type Advert } from '../../src/protocol/advert.js';
import { Verifier, WITNESS_VIP, sign } from '../../src/protocol/auth.js';
import type { Presence } from '../../src/protocol/presence.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const unsigned = (header: Buffer) => Buffer.concat([header, Buffer.alloc(MAC_LENGTH)]);
const key = Buffer.from('floatd-test-key');

const presence: Presence = {
  role: 'backup',
  eligible: true,
  voter: true,
  witness: false,
  preempt: false,
  released: false,
  deadratio: 3,
  incarnation: 0x01020304,
  beat: 123_456,
  dataVersion: 77n,
  versionFailing: false,
  supports: '10.0.0.1',
  supportIncarnation: 9,
  echo: 5000,
};
// A backup's presence: 10.0.0.2 supports 10.0.0.1 (incarnation 9, last beat heard 5000 ms).
const backup: Advert = { type: 'presence', vhid: 7, advskew: 16, advbaseMs: 1000, epoch: 3, seq: 42n, sender: '10.0.0.2', vip: '192.168.1.100', presence };

// Written out by hand from the layout in docs/protocol.md.
const backupHeader = hex(`
  4644 02 03 07 10 000b 000003e8 00000003 000000000000002a 0a000002 c0a80164
  01 03 0000 01020304 000000000001e240 000000000000004d 0a000001 00000009 0000000000001388`);
// HMAC-SHA256 with key floatd-test-key, pinned with:
// printf '%s' <header hex> | xxd -r -p | openssl dgst -sha256 -mac HMAC -macopt key:floatd-test-key
const backupMac = 'fe78cb56bcc17774f554015715f98f74475ec1ecb205c1bc684f4ce8b73d0963';

describe('wire version 2 (presence)', () => {
  it('encodes a backup presence to the pinned 72-byte header', () => {
    expect(encodeHeader(backup).toString('hex')).toBe(backupHeader.toString('hex'));
    expect(backupHeader).toHaveLength(HEADER_LENGTH_V2);
  });

  it('signs it to the pinned 104-byte packet, which verifies and decodes to the same advert', () => {
    const packet = sign(backup, key);
    expect(packet).toHaveLength(PACKET_LENGTH_V2);
    expect(packet.subarray(HEADER_LENGTH_V2).toString('hex')).toBe(backupMac);
    expect(new Verifier({ key, vhid: 7, vip: '192.168.1.100' }).verify(packet)).toEqual({ outcome: 'ok', advert: backup });
  });

  it('round-trips a master advert that supports nobody and has no data version', () => {
    const a: Advert = { ...backup, type: 'advert', presence: { ...presence, role: 'master', supports: undefined, supportIncarnation: 0, echo: 0, dataVersion: undefined, versionFailing: true, preempt: true } };
    const header = encodeHeader(a);
    expect(header.readUInt16BE(6)).toBe(1 | 2 | 16 | 32);
    expect(header.subarray(56, 60).toString('hex')).toBe('00000000');
    expect(decode(unsigned(header)).advert).toEqual(a);
  });

  it('round-trips a backup that heard its master resign: flag bit 6 (0x40)', () => {
    const a: Advert = { ...backup, presence: { ...presence, released: true } };
    const header = encodeHeader(a);
    expect(header.readUInt16BE(6)).toBe(1 | 2 | 8 | 64);
    expect(decode(unsigned(header)).advert).toEqual(a);
  });

  it("a witness's presence (VIP 0.0.0.0) is accepted for any VIP; a node's VIP 0.0.0.0 without the witness flag is not", () => {
    const witness: Advert = { ...backup, vip: WITNESS_VIP, presence: { ...presence, witness: true, eligible: false } };
    const v = new Verifier({ key, vhid: 7, vip: '192.168.1.100' });
    expect(v.verify(sign(witness, key)).outcome).toBe('ok');
    expect(v.verify(sign({ ...witness, seq: 43n, presence: { ...presence } }, key)).outcome).toBe('wrong-vip');
    // A witness's own verifier knows no VIP and takes every group member's adverts for its vhid.
    expect(new Verifier({ key, vhid: 7, vip: undefined }).verify(sign(backup, key)).outcome).toBe('ok');
  });

  it('a presence needs the block: encoding one without it is refused', () => {
    const { presence: _none, ...bare } = backup;
    expect(() => encodeHeader(bare)).toThrow(RangeError);
  });

  const at = (offset: number, byte: number) => {
    const b = unsigned(Buffer.from(backupHeader));
    b[offset] = byte;
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['a 104-byte packet that says version 1', at(2, 1), /^bad length$/],
    ['role 9', at(32, 9), /^unknown role$/],
    ['deadratio 0', at(33, 0), /^bad deadratio$/],
    ['a set reserved byte in the block', at(35, 1), /^reserved bits set$/],
    ['an unknown flag', at(6, 0x80), /^reserved bits set$/],
    ['a beat beyond 2^53', at(40, 0xff), /^bad beat$/],
  ];
  for (const [what, packet, message] of cases) {
    it(`${what} is rejected with DecodeError ${String(message)}`, () => {
      expect(() => decode(packet)).toThrow(DecodeError);
      expect(() => decode(packet)).toThrow(message);
    });
  }

  it('version 1 packets cannot say presence (type 3)', () => {
    const v1 = unsigned(encodeHeader({ ...backup, type: 'advert', presence: undefined }));
    v1[3] = 3;
    expect(() => decode(v1)).toThrow(/^unknown type$/);
  });
});
