// A graceful handover goes to a prepared standby, stepped on the pure core: with -z and the cluster view the
// master keeps the VIP after its down hooks, names a standby (with --data-version: one that reports its final
// version), and removes the VIP and resigns once that standby's prepare hooks passed, or after a bounded wait.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { readyWaitMs, wantsFreshVersion } from '../../src/election/ready-standby.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const node = (i: number, advskew: number, quorum: number, freshness = true): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: 100, advskew, advertsPerInterval: 1, shutdownHooks: true, cluster: { incarnation: 10 + i, voters: 3, quorum, witness: false, freshness } });

// Node 0 (version 10) is master; the standbys report 8.
function cluster(quorum: number, freshness = true): Sim {
  const cfgs = [node(0, 0, quorum, freshness), node(1, 50, quorum, freshness), node(2, 100, quorum, freshness)];
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
  cfgs.forEach((_, i) => {
    sim.start(i);
    if (freshness) sim.dispatch(i, { type: 'data-version', version: i === 0 ? 10n : 8n });
  });
  sim.runUntil(3000);
  expect(sim.holders()).toEqual([0]);
  return sim;
}

// A -z stop of node 0 at 3000 ms: down hooks done at once (the VIP stays), then it reads `final`.
function stopMaster(sim: Sim, final: bigint | undefined): void {
  sim.dispatch(0, { type: 'shutdown' });
  expect(sim.nodes[0]?.state.view.handoff).toMatchObject({ since: 3000, final: undefined });
  expect(sim.holders()).toEqual([0]);
  sim.dispatch(0, final === undefined ? { type: 'data-version', problem: 'exit code 1' } : { type: 'data-version', version: final });
}

const prepares = (sim: Sim, i: number) => sim.hooks.filter((h) => h.node === i && h.phase === 'prepare');

describe('with -z and --data-version the master hands over to a standby prepared at its final version', () => {
  for (const quorum of [0, 2]) {
    it(`quorum ${quorum}: the VIP stays until the standby that caught up has prepared; then it moves to that standby in one round trip`, () => {
      const sim = cluster(quorum);
      stopMaster(sim, 12n);
      sim.runUntil(4000);
      // Nobody has 12 yet: still RELEASING, still holding the VIP, nobody prepares.
      expect(sim.nodes[0]?.state.role).toBe('releasing');
      expect(sim.holders()).toEqual([0]);
      expect([...prepares(sim, 1), ...prepares(sim, 2)]).toEqual([]);
      sim.dispatch(2, { type: 'data-version', version: 12n });
      sim.runUntil(6000);
      expect(sim.nodes[0]?.state.reason).toMatch(/^handing over to 10\.0\.0\.3: it reports the final data version 12 after [\d.]+ m?s and its prepare hooks passed$/);
      expect(sim.holders()).toEqual([2]);
      expect(sim.overlaps).toEqual([]);
      // Its prepare hooks ran once, while it was BACKUP and node 0 still held the VIP; its claim did not run them again.
      const ran = prepares(sim, 2);
      expect(ran.map((h) => h.role)).toEqual(['backup']);
      const removed = sim.vipEvents.find((e) => e.node === 0 && !e.held)!;
      expect(ran[0]!.at).toBeLessThan(removed.at);
      // The VIP moved in one round trip: the removal, the resign, the claim (with a quorum, and the voters'
      // support given to the claimant: presences at most an eighth of an interval apart).
      const added = sim.vipEvents.find((e) => e.node === 2 && e.held)!;
      expect(added.at - removed.at).toBeLessThan(quorum === 0 ? 5 : 100 / 2);
      expect(prepares(sim, 1)).toEqual([]);
    });
  }

  it('without --data-version the most preferred live standby is named and prepares', () => {
    const sim = cluster(0, false);
    sim.dispatch(0, { type: 'shutdown' });
    sim.runUntil(4000);
    expect(sim.nodes[0]?.state.reason).toMatch(/^handing over to 10\.0\.0\.2: its prepare hooks passed after [\d.]+ m?s$/);
    expect(sim.holders()).toEqual([1]);
    expect(prepares(sim, 1).map((h) => h.role)).toEqual(['backup']);
    expect(prepares(sim, 2)).toEqual([]);
  });

  it('resigns anyway once the wait is over, naming the lag', () => {
    const sim = cluster(0);
    stopMaster(sim, 12n);
    const wait = readyWaitMs(node(0, 0, 0));
    sim.runUntil(3000 + wait - 10);
    expect(sim.nodes[0]?.state.role).toBe('releasing');
    expect(sim.holders()).toEqual([0]);
    sim.runUntil(3000 + wait + 2000);
    expect(sim.nodes[0]?.state.reason).toBe('no standby prepared within 5.0 s (best 10.0.0.2 at 8, 4 behind the final 12): resigning anyway');
    expect(sim.holders()).toEqual([1]);
  });

  it('resigns at once when the final version cannot be read', () => {
    const sim = cluster(0);
    stopMaster(sim, undefined);
    expect(sim.nodes[0]?.state.role).toBe('stopped');
    expect(sim.nodes[0]?.state.reason).toMatch(/^the final data version cannot be read \(exit code 1\)/);
    expect(sim.holders()).toEqual([]);
  });

  it('a second stop signal moves the VIP and resigns at once', () => {
    const sim = cluster(0);
    stopMaster(sim, 12n);
    sim.dispatch(0, { type: 'shutdown' });
    expect(sim.nodes[0]?.state.role).toBe('stopped');
    expect(sim.nodes[0]?.state.reason).toBe('shutdown requested again: resigning without waiting for a standby');
    expect(sim.holders()).toEqual([]);
  });
});

describe('a standby re-reads its version', () => {
  it('when the master it follows, releasing, reports a newer version than its own', () => {
    const sim = cluster(0);
    const before = sim.nodes[1]!.state;
    stopMaster(sim, 12n);
    sim.runUntil(3300);
    const after = sim.nodes[1]!.state;
    expect(after.view.members['10.0.0.1']).toMatchObject({ role: 'releasing', dataVersion: 12n });
    expect(wantsFreshVersion(before, after)).toBe(true);
    // The same report, not heard again, asks nothing more.
    expect(wantsFreshVersion(after, after)).toBe(false);
  });
});
