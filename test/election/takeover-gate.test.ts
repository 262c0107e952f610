// The takeover gate under the cluster view: a refused claim is tried again on the backoff (1, 2, 4 … 60 s),
// with a quorum, with a witness and with --data-version, as it is without them.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { checkBackoffMs } from '../../src/election/takeover-gate.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const ADVBASE = 100;
const whole = { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false };
const node = (i: number, over: Partial<Settings> = {}, cluster: Partial<NonNullable<Settings['cluster']>> = {}): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: ADVBASE, advskew: i * 20, advertsPerInterval: 2, takeoverCheck: true, ...over, cluster: { incarnation: 100 + i, voters: 3, quorum: 2, witness: false, ...cluster } });

// Node 0 is master (its own gate passed), then dies; returns the sim with node 1's first check asked for.
function afterMasterDeath(cfgs: Settings[]): Sim {
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), whole);
  cfgs.forEach((_, i) => sim.start(i));
  sim.runUntil(600);
  const first = sim.checks.find((c) => c.node === 0);
  if (first === undefined) throw new Error('node 0 asked no check');
  sim.dispatch(0, { type: 'checked', epoch: first.epoch, ok: true, detail: 'passed' });
  sim.runUntil(1500);
  expect(sim.holders()).toEqual([0]);
  sim.kill(0);
  sim.runUntil(3000);
  return sim;
}

const checksOf = (sim: Sim, i: number, since: number) => sim.checks.filter((c) => c.node === i && c.at >= since);

describe('a refused claim is tried again on the backoff', () => {
  it('with a quorum: refused twice, the third check passes and the node promotes; each retry comes when its backoff ends', () => {
    const sim = afterMasterDeath([node(0), node(1), node(2, { takeoverCheck: false }, { witness: true })]);
    const [first] = checksOf(sim, 1, 1500);
    expect(first).toBeDefined();
    let asked = first!;
    for (const failures of [1, 2]) {
      sim.dispatch(1, { type: 'checked', epoch: asked.epoch, ok: false, detail: '/x/check exited 1' });
      const refusedAt = sim.now;
      expect(sim.nodes[1]!.state.reason).toContain(`next try in ${checkBackoffMs(failures) / 1000}.0 s`);
      sim.runUntil(refusedAt + checkBackoffMs(failures) + 3 * ADVBASE);
      const retries = checksOf(sim, 1, refusedAt + 1);
      expect(retries).toHaveLength(1);
      // Not before the backoff, and not much after it (support is gathered again within an interval or two).
      expect(retries[0]!.at).toBeGreaterThanOrEqual(refusedAt + checkBackoffMs(failures));
      expect(retries[0]!.at).toBeLessThanOrEqual(refusedAt + checkBackoffMs(failures) + 2 * ADVBASE);
      asked = retries[0]!;
    }
    sim.dispatch(1, { type: 'checked', epoch: asked.epoch, ok: true, detail: 'passed' });
    sim.runUntil(sim.now + 500);
    expect(sim.holders()).toEqual([1]);
    expect(sim.nodes[1]!.state.role).toBe('master');
    expect(sim.overlaps).toEqual([]);
  });

  it('during the backoff the refused node does not hold the witness: it withdraws its support of itself', () => {
    const sim = afterMasterDeath([node(0), node(1), node(2, { takeoverCheck: false }, { witness: true })]);
    const [asked] = checksOf(sim, 1, 1500);
    sim.dispatch(1, { type: 'checked', epoch: asked!.epoch, ok: false, detail: '/x/check exited 1' });
    sim.runUntil(sim.now + 500);
    expect(sim.nodes[1]!.state.view.support).toBeUndefined();
    expect(sim.nodes[2]!.state.view.support).toBeUndefined();
    expect(sim.nodes[1]!.state.view.seeking).toBeDefined();
  });

  it('with --data-version and no quorum: a refusal parks the claim and it is tried again', () => {
    const fresh = { quorum: 0, voters: 2, freshness: true };
    const sim = new Sim([node(0, {}, fresh), node(1, {}, fresh)], () => 0.5, [1, 1], whole);
    sim.start(0);
    sim.start(1);
    sim.runUntil(600);
    const first = sim.checks.find((c) => c.node === 0)!;
    sim.dispatch(0, { type: 'checked', epoch: first.epoch, ok: true, detail: 'passed' });
    sim.runUntil(1500);
    sim.kill(0);
    sim.runUntil(3000);
    const [asked] = checksOf(sim, 1, 1500);
    expect(asked).toBeDefined();
    sim.dispatch(1, { type: 'checked', epoch: asked!.epoch, ok: false, detail: '/x/check exited 1' });
    const refusedAt = sim.now;
    sim.runUntil(refusedAt + 1500);
    expect(checksOf(sim, 1, refusedAt + 1)).toHaveLength(1);
  });
});
