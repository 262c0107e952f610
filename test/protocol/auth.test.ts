import { describe, expect, it } from 'vitest';
import { PACKET_LENGTH } from '../../src/protocol/advert.js';
import type { Advert } from '../../src/protocol/advert.js';
import { MAX_SENDERS, Verifier, sign } from '../../src/protocol/auth.js';
import type { VerifyResult } from '../../src/protocol/auth.js';

const key = Buffer.from('floatd-test-key');
const vhid = 7;
const vip = '192.168.1.100';
const advert: Advert = {
  type: 'resign',
  vhid,
  advskew: 16,
  advbaseMs: 1000,
  epoch: 3,
  seq: 42n,
  sender: '10.0.0.2',
  vip,
};
const at = (seq: bigint, sender = advert.sender): Advert => ({ ...advert, type: 'advert', seq, sender });
const verifier = () => new Verifier({ key, vhid, vip });

// Pinned with: printf '%s' <header hex> | xxd -r -p | openssl dgst -sha256 -mac HMAC -macopt key:floatd-test-key
const golden =
  '4644010207100000000003e800000003000000000000002a0a000002c0a80164' +
  'c97e4c4c653d1361349084fbd0fdec0ee3fbf32360917ed69e749fe39a6017ba';

function expectOutcome(r: VerifyResult, outcome: VerifyResult['outcome']): void {
  expect(r.outcome, 'detail' in r ? r.detail : '').toBe(outcome);
}

describe('sign', () => {
  it('produces the pinned 64-byte packet for a fixed key and advert', () => {
    const packet = sign(advert, key);
    expect(packet).toHaveLength(PACKET_LENGTH);
    expect(packet.toString('hex')).toBe(golden);
  });

  it('the pinned packet verifies and decodes to the same advert', () => {
    const r = verifier().verify(Buffer.from(golden, 'hex'));
    expect(r).toEqual({ outcome: 'ok', advert });
  });
});

describe('Verifier', () => {
  it('accepts an authentic advert for our vhid and VIP and records its seq as the mark', () => {
    const v = verifier();
    expect(v.mark(advert.sender)).toBeUndefined();
    expectOutcome(v.verify(sign(at(100n), key)), 'ok');
    expect(v.mark(advert.sender)).toBe(100n);
  });

  it('reports an undecodable packet as malformed with the codec message', () => {
    const r = verifier().verify(new Uint8Array(10));
    expect(r).toEqual({ outcome: 'malformed', detail: 'bad length' });
  });

  it('reports a packet with a bad magic as malformed without an advert', () => {
    const packet = sign(advert, key);
    packet[0] = 0;
    const r = verifier().verify(packet);
    expect(r).toEqual({ outcome: 'malformed', detail: 'bad magic' });
  });

  it('never throws on input that is not even a byte array', () => {
    const r = verifier().verify(null as unknown as Uint8Array);
    expectOutcome(r, 'malformed');
  });

  it('rejects a packet signed with another key as bad-hmac, telling the operator what to check', () => {
    const r = verifier().verify(sign(advert, Buffer.from('another-key')));
    expect(r).toEqual({
      outcome: 'bad-hmac',
      detail: 'bad HMAC from 10.0.0.2: check vhid, password and virtual IP on both nodes',
      advert,
    });
  });

  it('rejects a packet whose MAC was truncated to zeros as bad-hmac', () => {
    const packet = sign(advert, key);
    packet.fill(0, 32);
    expectOutcome(verifier().verify(packet), 'bad-hmac');
  });

  it('reports another virtual host as wrong-vhid before checking the HMAC', () => {
    // Signed with a different key too: the vhid check comes first, as in keepalived.
    const r = verifier().verify(sign({ ...advert, vhid: 8 }, Buffer.from('their key')));
    expectOutcome(r, 'wrong-vhid');
    expect(r).toMatchObject({ detail: expect.stringMatching(/vhid 8 from 10\.0\.0\.2, ours is 7/) });
    expect(r).toHaveProperty('advert.vhid', 8);
  });

  it('reports an authentic peer configured with another VIP as wrong-vip', () => {
    const v = verifier();
    const r = v.verify(sign({ ...advert, vip: '192.168.1.101' }, key));
    expectOutcome(r, 'wrong-vip');
    const detail = /virtual IP 192\.168\.1\.101 from 10\.0\.0\.2, ours is 192\.168\.1\.100/;
    expect(r).toMatchObject({ detail: expect.stringMatching(detail) });
    expect(v.mark(advert.sender)).toBeUndefined();
  });

  it('checks the HMAC before the VIP, so a forged packet with another VIP is bad-hmac', () => {
    const r = verifier().verify(sign({ ...advert, vip: '192.168.1.101' }, Buffer.from('forger')));
    expectOutcome(r, 'bad-hmac');
  });

  it('rejects every packet with any single bit flipped, in any of the 64 bytes', () => {
    const valid = sign(at(500n), key);
    for (let byte = 0; byte < PACKET_LENGTH; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const v = verifier();
        const packet = Buffer.from(valid);
        packet[byte] = (packet[byte] ?? 0) ^ (1 << bit);
        const r = v.verify(packet);
        expect(r.outcome, `byte ${byte} bit ${bit}`).not.toBe('ok');
        expect(v.mark(advert.sender)).toBeUndefined();
      }
    }
  });

  it('rejects the same packet received twice as replay', () => {
    const v = verifier();
    const packet = sign(at(7n), key);
    expectOutcome(v.verify(packet), 'ok');
    const r = v.verify(packet);
    expect(r).toMatchObject({ outcome: 'replay', detail: expect.stringMatching(/seq 7 from 10\.0\.0\.2/) });
    expect(v.mark(advert.sender)).toBe(7n);
  });

  it('passes the first lower seq after a higher one as behind, a repeat of it as stale, and keeps the higher mark', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(9n), key)), 'ok');
    const r = v.verify(sign(at(5n), key));
    expect(r).toMatchObject({ outcome: 'behind', advert: at(5n), detail: expect.stringMatching(/^seq 5 < last accepted 9 from 10\.0\.0\.2: .*never make it master$/) });
    expect(v.verify(sign(at(5n), key))).toEqual({
      outcome: 'stale',
      detail:
        'seq 5 < last accepted 9 from 10.0.0.2 (replayed packet, or that node restarted with its clock set back)',
      advert: at(5n),
    });
    expectOutcome(v.verify(sign(at(4n), key)), 'stale');
    expect(v.mark(advert.sender)).toBe(9n);
  });

  it('passes every rising seq of a sender restarted behind its mark as behind, and takes it as fresh once it passes the mark', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(1000n), key)), 'ok');
    for (const seq of [10n, 11n, 12n, 500n]) expectOutcome(v.verify(sign(at(seq), key)), 'behind');
    expectOutcome(v.verify(sign(at(1001n), key)), 'ok');
    expect(v.mark(advert.sender)).toBe(1001n);
    // Its behind-stream is over: a replay of one of those packets is only stale now.
    expectOutcome(v.verify(sign(at(12n), key)), 'stale');
  });

  it('moves the behind floor only after the HMAC passes', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(100n), key)), 'ok');
    expectOutcome(v.verify(sign(at(90n), Buffer.from('forger'))), 'bad-hmac');
    expectOutcome(v.verify(sign(at(50n), key)), 'behind');
  });

  it('accepts increasing seqs with gaps, as a node that lost packets would send', () => {
    const v = verifier();
    for (const seq of [1n, 2n, 10n, 2n ** 63n, 2n ** 64n - 1n]) {
      expectOutcome(v.verify(sign(at(seq), key)), 'ok');
      expect(v.mark(advert.sender)).toBe(seq);
    }
  });

  it('does not let a forged packet with a huge seq block later authentic ones', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(10n), key)), 'ok');
    expectOutcome(v.verify(sign(at(2n ** 64n - 1n), Buffer.from('forger'))), 'bad-hmac');
    expect(v.mark(advert.sender)).toBe(10n);
    expectOutcome(v.verify(sign(at(11n), key)), 'ok');
  });

  it('does not move the mark on wrong-vhid or wrong-vip packets, even authentic ones', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(10n), key)), 'ok');
    expectOutcome(v.verify(sign({ ...at(1000n), vhid: 9 }, key)), 'wrong-vhid');
    expectOutcome(v.verify(sign({ ...at(1000n), vip: '10.9.9.9' }, key)), 'wrong-vip');
    expect(v.mark(advert.sender)).toBe(10n);
    expectOutcome(v.verify(sign(at(11n), key)), 'ok');
  });

  it('keeps marks per signed sender, so one node’s high seq does not block another', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(1000n, '10.0.0.2'), key)), 'ok');
    expectOutcome(v.verify(sign(at(5n, '10.0.0.3'), key)), 'ok');
    expectOutcome(v.verify(sign(at(5n, '10.0.0.3'), key)), 'replay');
    expect(v.mark('10.0.0.2')).toBe(1000n);
    expect(v.mark('10.0.0.3')).toBe(5n);
    expect(v.mark('10.0.0.4')).toBeUndefined();
  });

  it('accepts a resign only when it is newer than the last advert from that sender', () => {
    const v = verifier();
    expectOutcome(v.verify(sign(at(50n), key)), 'ok');
    expectOutcome(v.verify(sign({ ...at(40n), type: 'resign' }, key)), 'behind');
    expectOutcome(v.verify(sign({ ...at(40n), type: 'resign' }, key)), 'stale');
    expectOutcome(v.verify(sign({ ...at(51n), type: 'resign' }, key)), 'ok');
  });

  it('copies the key, so changing the caller’s buffer later does not change verification', () => {
    const k = Buffer.from(key);
    const v = new Verifier({ key: k, vhid, vip });
    k.fill(0);
    expectOutcome(v.verify(sign(at(1n), key)), 'ok');
  });

  it('tracks at most MAX_SENDERS senders by default and forgets the one heard from least recently', () => {
    const v = verifier();
    const addr = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < MAX_SENDERS + 10; i++) expectOutcome(v.verify(sign(at(1n, addr(i)), key)), 'ok');
    for (let i = 0; i < 10; i++) expect(v.mark(addr(i))).toBeUndefined();
    for (let i = 10; i < MAX_SENDERS + 10; i++) expect(v.mark(addr(i))).toBe(1n);
  });

  it('keeps the mark of a sender that is still talking when the bound evicts', () => {
    const v = new Verifier({ key, vhid, vip, maxSenders: 2 });
    expectOutcome(v.verify(sign(at(1n, '10.0.0.1'), key)), 'ok');
    expectOutcome(v.verify(sign(at(1n, '10.0.0.2'), key)), 'ok');
    expectOutcome(v.verify(sign(at(2n, '10.0.0.1'), key)), 'ok'); // 10.0.0.1 is now the most recent
    expectOutcome(v.verify(sign(at(1n, '10.0.0.3'), key)), 'ok');
    expect(v.mark('10.0.0.1')).toBe(2n);
    expect(v.mark('10.0.0.2')).toBeUndefined();
    expect(v.mark('10.0.0.3')).toBe(1n);
  });

  it('creates no marks for unauthenticated packets, however many senders they claim', () => {
    const v = new Verifier({ key, vhid, vip, maxSenders: 4 });
    expectOutcome(v.verify(sign(at(1n, '10.0.0.1'), key)), 'ok');
    for (let i = 0; i < 100; i++) {
      expectOutcome(v.verify(sign(at(1n, `10.1.0.${i}`), Buffer.from('forger'))), 'bad-hmac');
    }
    expect(v.mark('10.0.0.1')).toBe(1n);
    expect(v.mark('10.1.0.0')).toBeUndefined();
  });
});
