// A graceful handover goes to a ready standby, stepped on the pure core: with -z and
// --data-version the master resigns once a standby reports its final version, or after a bounded wait.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { readyWaitMs, wantsFreshVersion } from '../../src/election/ready-standby.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const node = (i: number, advskew: number, quorum: number): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: 100, advskew, advertsPerInterval: 1, shutdownHooks: true, cluster: { incarnation: 10 + i, voters: 3, quorum, witness: false, freshness: true } });

// Node 0 (version 10) is master; the standbys report 8.
function cluster(quorum: number): Sim {
  const cfgs = [node(0, 0, quorum), node(1, 50, quorum), node(2, 100, quorum)];
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
  cfgs.forEach((_, i) => {
    sim.start(i);
    sim.dispatch(i, { type: 'data-version', version: i === 0 ? 10n : 8n });
  });
  sim.runUntil(3000);
  expect(sim.holders()).toEqual([0]);
  return sim;
}

// A -z stop of node 0 at 3000 ms: down hooks done at once, then it reads `final`.
function stopMaster(sim: Sim, final: bigint | undefined): void {
  sim.dispatch(0, { type: 'shutdown' });
  expect(sim.nodes[0]?.state.view.handoff).toMatchObject({ since: 3000, final: undefined });
  sim.dispatch(0, final === undefined ? { type: 'data-version', problem: 'exit code 1' } : { type: 'data-version', version: final });
}

describe('with -z and --data-version the master waits for a standby to report its final version', () => {
  for (const quorum of [0, 2]) {
    it(`quorum ${quorum}: it resigns once the standby that caught up says so, and that standby takes over`, () => {
      const sim = cluster(quorum);
      stopMaster(sim, 12n);
      sim.runUntil(4000);
      // Nobody has 12 yet: still RELEASING, VIP gone, nobody else holds it.
      expect(sim.nodes[0]?.state.role).toBe('releasing');
      expect(sim.holders()).toEqual([]);
      sim.dispatch(2, { type: 'data-version', version: 12n });
      sim.runUntil(6000);
      expect(sim.nodes[0]?.state.reason).toMatch(/^handing over to 10\.0\.0\.3: it reports the final data version 12 after \d/);
      expect(sim.holders()).toEqual([2]);
      expect(sim.overlaps).toEqual([]);
    });
  }

  it('resigns anyway once the wait is over, naming the lag', () => {
    const sim = cluster(0);
    stopMaster(sim, 12n);
    const wait = readyWaitMs(node(0, 0, 0));
    sim.runUntil(3000 + wait - 10);
    expect(sim.nodes[0]?.state.role).toBe('releasing');
    sim.runUntil(3000 + wait + 2000);
    expect(sim.nodes[0]?.state.reason).toBe('no standby caught up within 5.0 s (best 10.0.0.2 at 8, 4 behind the final 12): resigning anyway');
    expect(sim.holders()).toEqual([1]);
  });

  it('resigns at once when the final version cannot be read', () => {
    const sim = cluster(0);
    stopMaster(sim, undefined);
    expect(sim.nodes[0]?.state.role).toBe('stopped');
    expect(sim.nodes[0]?.state.reason).toMatch(/^the final data version cannot be read \(exit code 1\)/);
  });

  it('a second stop signal resigns at once', () => {
    const sim = cluster(0);
    stopMaster(sim, 12n);
    sim.dispatch(0, { type: 'shutdown' });
    expect(sim.nodes[0]?.state.role).toBe('stopped');
    expect(sim.nodes[0]?.state.reason).toBe('shutdown requested again: resigning without waiting for a standby');
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
