// The freshest standby wins, stepped on the pure core.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { versionsSeen } from '../../src/election/freshness.js';
import { presenceOf } from '../../src/election/presence.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const node = (i: number, advskew: number, quorum: number): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: 100, advskew, advertsPerInterval: 1, cluster: { incarnation: 10 + i, voters: 3, quorum, witness: false, freshness: true } });

function start(cfgs: Settings[], versions: (bigint | undefined)[]): Sim {
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
  cfgs.forEach((_, i) => {
    sim.start(i);
    const v = versions[i];
    sim.dispatch(i, v === undefined ? { type: 'data-version', problem: 'exit code 1' } : { type: 'data-version', version: v });
  });
  return sim;
}

describe('a backup does not claim while a live eligible peer reports a strictly newer version', () => {
  for (const quorum of [0, 2]) {
    it(`quorum ${quorum}: the freshest of three promotes though its skew is the worst`, () => {
      const sim = start([node(0, 0, quorum), node(1, 50, quorum), node(2, 200, quorum)], [3n, 5n, 9n]);
      sim.runUntil(3000);
      expect(sim.holders()).toEqual([2]);
      expect(sim.overlaps).toEqual([]);
    });
  }

  it('equal versions go by skew: the lowest skew promotes', () => {
    const sim = start([node(0, 100, 2), node(1, 0, 2), node(2, 50, 2)], [7n, 7n, 7n]);
    sim.runUntil(3000);
    expect(sim.holders()).toEqual([1]);
  });

  it('a failing --data-version makes a node the least preferred, never more', () => {
    const sim = start([node(0, 0, 2), node(1, 50, 2), node(2, 100, 2)], [undefined, 1n, undefined]);
    sim.runUntil(3000);
    expect(sim.holders()).toEqual([1]);
  });
});

describe("the last master's version outlives its silence", () => {
  const witness = settings({ self: '10.0.0.9', advbaseMs: 100, advskew: 0, advertsPerInterval: 1, cluster: { incarnation: 99, voters: 3, quorum: 2, witness: true } });

  it('a backup remembers it and hooks see it once the master is silent; a witness relays it in its presence', () => {
    // The standby has a takeover check (never answered here): it claims, and stays BACKUP while its hooks look.
    const cfgs = [node(0, 0, 2), { ...node(1, 50, 2), takeoverCheck: true }, witness];
    const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
    sim.start(0);
    sim.start(1);
    sim.start(2);
    sim.dispatch(0, { type: 'data-version', version: 40n });
    sim.dispatch(1, { type: 'data-version', version: 40n });
    sim.runUntil(3000);
    expect(sim.holders()).toEqual([0]);
    // The master moves on while the standby's own copy stays behind (its stream was cut, say).
    sim.dispatch(0, { type: 'data-version', version: 55n });
    sim.runUntil(3500);
    expect(presenceOf(witness, sim.nodes[2]!.state, sim.local(2)).dataVersion).toBe(55n);
    sim.kill(0);
    sim.runUntil(4000);
    const b = sim.nodes[1]!;
    expect(b.state.view.lastMaster).toEqual({ address: '10.0.0.1', epoch: expect.any(Number), version: 55n });
    sim.runUntil(4500);
    expect(b.state.checking).toBeDefined();
    // The dead master is no longer a live member, but its last version is listed, and the witness relays it.
    expect(versionsSeen(b.cfg, b.state, sim.local(1))).toBe('10.0.0.2=40 10.0.0.1=55 10.0.0.9=55');
  });
});
