// The freshest standby wins (issue 13 item 4), stepped on the pure core.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
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
