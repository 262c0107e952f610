// The peers this node hears, for `floatd status`: per sender, its last advert's timing and epoch and
// when it was heard. Pure apart from the clocks the caller passes in.
import { advertIntervalMs } from '../election/timing.js';
import type { Advert } from '../protocol/advert.js';
import type { PeerStatus } from '../control/protocol.js';

// Only authenticated adverts get here, but a peer list is no reason to hold memory without bound
// (a leaked key, a misconfigured subnet of senders): beyond this, the sender heard longest ago goes.
export const MAX_PEERS = 64;

interface Entry {
  type: Advert['type'];
  advbaseMs: number;
  advskew: number;
  epoch: number;
  count: number;
  behind: number;
  lastSeen: number; // monotonic ms
}

// A bounded table keyed by sender address; `heard` is O(1) except when it evicts (O(MAX_PEERS)).
export class PeersHeard {
  private readonly max: number;
  private readonly entries = new Map<string, Entry>();

  constructor(max = MAX_PEERS) {
    this.max = max;
  }

  // An advert was accepted from `advert.sender` at monotonic time `now`.
  heard(advert: Advert, behind: boolean, now: number): void {
    const old = this.entries.get(advert.sender);
    if (!old && this.entries.size >= this.max) this.evictOldest();
    this.entries.set(advert.sender, {
      type: advert.type,
      advbaseMs: advert.advbaseMs,
      advskew: advert.advskew,
      epoch: advert.epoch,
      count: (old?.count ?? 0) + 1,
      behind: (old?.behind ?? 0) + (behind ? 1 : 0),
      lastSeen: now,
    });
  }

  // Every peer, most recently heard first, with times on the wall clock of `wallNow`.
  list(monotonicNow: number, wallNow: number): PeerStatus[] {
    return [...this.entries]
      .sort(([, a], [, b]) => b.lastSeen - a.lastSeen)
      .map(([address, e]) => {
        const ago = Math.max(0, monotonicNow - e.lastSeen);
        return {
          address,
          type: e.type,
          advbaseMs: e.advbaseMs,
          advskew: e.advskew,
          intervalMs: Math.round(advertIntervalMs(e) * 10) / 10,
          epoch: e.epoch,
          count: e.count,
          behind: e.behind,
          lastSeen: new Date(wallNow - ago).toISOString(),
          lastSeenAgoMs: Math.round(ago),
        };
      });
  }

  get size(): number {
    return this.entries.size;
  }

  private evictOldest(): void {
    let oldest: [string, number] | undefined;
    for (const [address, e] of this.entries) if (!oldest || e.lastSeen < oldest[1]) oldest = [address, e.lastSeen];
    if (oldest) this.entries.delete(oldest[0]);
  }
}
