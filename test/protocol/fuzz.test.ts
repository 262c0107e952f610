import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, PACKET_LENGTH, decode } from '../../src/protocol/advert.js';
import type { Advert } from '../../src/protocol/advert.js';
import { Verifier, sign } from '../../src/protocol/auth.js';

const key = Buffer.from('floatd-fuzz-key');
const vhid = 42;
const vip = '10.0.0.100';
const senders = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));

// Adverts this node would accept: our vhid and VIP, everything else free.
const ourAdvert: fc.Arbitrary<Advert> = fc.record({
  type: fc.constantFrom('advert' as const, 'resign' as const),
  vhid: fc.constant(vhid),
  advskew: fc.nat(255),
  advbaseMs: fc.integer({ min: 1, max: 0xffffffff }),
  epoch: fc.nat(0xffffffff),
  seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  sender: fc.oneof(fc.constantFrom(...senders), ipv4),
  vip: fc.constant(vip),
});

// decode may return or throw DecodeError, nothing else.
function decodeOnlyThrowsDecodeError(bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
  }
}

function marks(v: Verifier, extra: string[] = []): (bigint | undefined)[] {
  return [...senders, ...extra].map((s) => v.mark(s));
}

describe('fuzzing the codec and the verifier', () => {
  it('random byte arrays of any length only ever raise DecodeError and are never ok', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
        decodeOnlyThrowsDecodeError(bytes);
        const v = new Verifier({ key, vhid, vip });
        expect(v.verify(bytes).outcome).not.toBe('ok');
        expect(marks(v)).toEqual([undefined, undefined, undefined]);
      }),
      { numRuns: 500 },
    );
  });

  it('random 64-byte packets with a valid-looking header are never ok', () => {
    const header = fc.uint8Array({ minLength: PACKET_LENGTH, maxLength: PACKET_LENGTH }).map((b) => {
      const p = Buffer.from(b);
      p.writeUInt16BE(0x4644, 0);
      p[2] = 1;
      p[3] = 1 + (p[3]! % 2);
      p[4] = vhid;
      p.writeUInt16BE(0, 6);
      return p;
    });
    fc.assert(
      fc.property(header, (packet) => {
        decodeOnlyThrowsDecodeError(packet);
        expect(new Verifier({ key, vhid, vip }).verify(packet).outcome).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('a valid packet truncated or extended by any amount is malformed', () => {
    const resized = fc.tuple(ourAdvert, fc.nat(PACKET_LENGTH - 1), fc.uint8Array({ minLength: 1, maxLength: 136 }));
    fc.assert(
      fc.property(resized, fc.boolean(), ([a, cut, tail], extend) => {
        const valid = sign(a, key);
        const packet = extend ? Buffer.concat([valid, tail]) : valid.subarray(0, cut);
        decodeOnlyThrowsDecodeError(packet);
        expect(() => decode(packet)).toThrow(/^bad length$/);
        expect(new Verifier({ key, vhid, vip }).verify(packet)).toEqual({ outcome: 'malformed', detail: 'bad length' });
      }),
      { numRuns: 300 },
    );
  });

  it('a valid packet with any non-empty set of bits flipped is never ok and moves no mark', () => {
    const flips = fc.uniqueArray(fc.nat(PACKET_LENGTH * 8 - 1), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(ourAdvert, flips, (a, bits) => {
        const packet = sign(a, key);
        const v = new Verifier({ key, vhid, vip });
        expect(v.verify(Buffer.from(packet)).outcome).toBe('ok');
        const before = marks(v, [a.sender]);
        for (const bit of bits) packet[bit >> 3] = packet[bit >> 3]! ^ (1 << (bit & 7));
        decodeOnlyThrowsDecodeError(packet);
        expect(v.verify(packet).outcome).not.toBe('ok');
        expect(marks(v, [a.sender])).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('over any mix of packets, marks change only on ok, and then rise to that packet’s seq', () => {
    const seq = fc.bigInt({ min: 0n, max: 50n });
    const fromSender = fc.constantFrom(...senders);
    const packet = fc.oneof(
      // authentic, with seqs from a small range so replays and stale packets are common
      fc.tuple(ourAdvert, seq, fromSender).map(([a, s, from]) => sign({ ...a, seq: s, sender: from }, key)),
      // forged, with a huge seq that would block the sender if it moved the mark
      fc
        .tuple(ourAdvert, fromSender)
        .map(([a, from]) => sign({ ...a, seq: 2n ** 64n - 1n, sender: from }, Buffer.from('forger'))),
      // authentic but for another VIP or vhid
      fc.tuple(ourAdvert, fromSender).map(([a, from]) => sign({ ...a, sender: from, vip: '10.9.9.9' }, key)),
      fc.tuple(ourAdvert, fromSender).map(([a, from]) => sign({ ...a, sender: from, vhid: vhid + 1 }, key)),
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
    );
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 40 }), (packets) => {
        const v = new Verifier({ key, vhid, vip });
        for (const p of packets) {
          const before = marks(v);
          const r = v.verify(p);
          if (r.outcome !== 'ok') {
            expect(marks(v)).toEqual(before);
            continue;
          }
          const i = senders.indexOf(r.advert.sender);
          const prior = before[i];
          if (prior !== undefined) expect(r.advert.seq > prior).toBe(true);
          expect(v.mark(r.advert.sender)).toBe(r.advert.seq);
        }
      }),
      { numRuns: 200 },
    );
  });
});
