// The peers table is pure: adverts and a monotonic clock in, a bounded list for `floatd status` out.
import { describe, expect, it } from 'vitest';
import { MAX_PEERS, PeersHeard } from '../../src/agent/peers.js';
import type { Advert } from '../../src/protocol/advert.js';

const advert = (sender: string, over: Partial<Advert> = {}): Advert => ({ type: 'advert', vhid: 10, advskew: 0, advbaseMs: 1000, epoch: 3, seq: 1n, sender, vip: '10.0.0.99', ...over });
const WALL = Date.parse('2025-01-02T03:04:05.000Z');

describe('PeersHeard', () => {
  it("keeps each sender's last advert: its interval (advbase + advskew/256 s), epoch, type and when it was heard", () => {
    const p = new PeersHeard();
    p.heard(advert('10.0.0.2', { advskew: 128, epoch: 3 }), false, 1000);
    p.heard(advert('10.0.0.2', { advskew: 128, epoch: 4, type: 'resign' }), false, 2500);
    expect(p.list(3000, WALL)).toEqual([
      { address: '10.0.0.2', type: 'resign', advbaseMs: 1000, advskew: 128, intervalMs: 1500, epoch: 4, count: 2, behind: 0, lastSeen: '2025-01-02T03:04:04.500Z', lastSeenAgoMs: 500 },
    ]);
  });

  it('a sub-second advbase scales the skew with it, as the election does', () => {
    const p = new PeersHeard();
    p.heard(advert('10.0.0.3', { advbaseMs: 200, advskew: 64 }), false, 0);
    expect(p.list(0, WALL)[0]?.intervalMs).toBe(250);
  });

  it('counts adverts that were behind separately, and lists the most recently heard first', () => {
    const p = new PeersHeard();
    p.heard(advert('10.0.0.2'), false, 10);
    p.heard(advert('10.0.0.3'), true, 20);
    p.heard(advert('10.0.0.3'), false, 30);
    expect(p.list(40, WALL).map((x) => [x.address, x.count, x.behind])).toEqual([
      ['10.0.0.3', 2, 1],
      ['10.0.0.2', 1, 0],
    ]);
  });

  it(`holds at most ${MAX_PEERS} senders: a new one evicts the one heard longest ago`, () => {
    const p = new PeersHeard();
    for (let i = 0; i < 1000; i++) p.heard(advert(`10.1.${i >> 8}.${i & 255}`), false, i);
    expect(p.size).toBe(MAX_PEERS);
    const listed = p.list(1000, WALL).map((x) => x.address);
    expect(listed[0]).toBe('10.1.3.231'); // i = 999
    expect(listed).not.toContain('10.1.0.0');
  });

  it('a sender heard again is refreshed, not evicted, when the table is full', () => {
    const p = new PeersHeard(2);
    p.heard(advert('10.0.0.2'), false, 1);
    p.heard(advert('10.0.0.3'), false, 2);
    p.heard(advert('10.0.0.2'), false, 3); // now 10.0.0.3 is the oldest
    p.heard(advert('10.0.0.4'), false, 4);
    expect(p.list(5, WALL).map((x) => x.address)).toEqual(['10.0.0.4', '10.0.0.2']);
  });
});
