// The standby's side of a prepared handover, stepped on the pure core: the named standby asks its gate and
// prepares while BACKUP; a failed preparation is undone and another standby is named; the others wait for the
// named one after the resign.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const node = (i: number, advskew: number, over: Partial<Settings> = {}): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: 100, advskew, advertsPerInterval: 1, shutdownHooks: true, cooldownMs: 10_000, ...over, cluster: { incarnation: 10 + i, voters: 3, quorum: 0, witness: false } });

function cluster(cfgs: Settings[]): Sim {
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
  cfgs.forEach((_, i) => sim.start(i));
  sim.runUntil(3000);
  expect(sim.holders()).toEqual([0]);
  return sim;
}

const hooksOf = (sim: Sim, i: number) => sim.hooks.filter((h) => h.node === i && h.at >= 3000).map((h) => `${h.role} ${h.phase}`);

describe('a standby named in a prepared handover', () => {
  it('asks its takeover gate first (told "resigned", no fencing), and prepares only once it passes', () => {
    const sim = cluster([node(0, 0), node(1, 50, { takeoverCheck: true, fence: true }), node(2, 100)]);
    sim.dispatch(0, { type: 'shutdown' });
    sim.runUntil(3300);
    const [asked] = sim.checks.filter((c) => c.node === 1);
    expect(asked).toMatchObject({ claim: 'resigned' });
    expect(hooksOf(sim, 1)).toEqual([]);
    expect(sim.holders()).toEqual([0]);
    sim.dispatch(1, { type: 'checked', epoch: asked!.epoch, ok: true, detail: 'passed', prepare: true });
    sim.runUntil(3600);
    expect(hooksOf(sim, 1)).toEqual(['backup prepare', 'master up']);
    expect(sim.holders()).toEqual([1]);
    // The claim after the resign did not ask the gate again.
    expect(sim.checks.filter((c) => c.node === 1)).toHaveLength(1);
  });

  it('whose gate refuses does not prepare; the master resigns after its wait and the claim asks the gate again', () => {
    const sim = cluster([node(0, 0), node(1, 50, { takeoverCheck: true }), node(2, 100, { takeoverCheck: true })]);
    sim.dispatch(0, { type: 'shutdown' });
    sim.runUntil(3300);
    const [asked] = sim.checks.filter((c) => c.node === 1);
    sim.dispatch(1, { type: 'checked', epoch: asked!.epoch, ok: false, detail: '/x/check exited 1', prepare: true });
    sim.runUntil(9000);
    expect(hooksOf(sim, 1)).toEqual([]);
    expect(sim.nodes[0]!.state.reason).toMatch(/^no standby prepared within 5\.0 s \(10\.0\.0\.2 did not say its prepare hooks passed\): resigning anyway$/);
    expect(sim.checks.filter((c) => c.node === 1).length).toBeGreaterThanOrEqual(2);
    expect(sim.overlaps).toEqual([]);
  });

  it('whose prepare hooks fail undoes them (down, then released hooks), stays out, and the master names the next standby', () => {
    const sim = cluster([node(0, 0), node(1, 50), node(2, 100)]);
    sim.failPrepare.add(1);
    sim.dispatch(0, { type: 'shutdown' });
    sim.runUntil(4000);
    expect(hooksOf(sim, 1)).toEqual(['backup prepare', 'backup down', 'backup released']);
    expect(sim.nodes[0]!.state.reason).toMatch(/^handing over to 10\.0\.0\.3: its prepare hooks passed/);
    expect(sim.holders()).toEqual([2]);
    expect(hooksOf(sim, 2)).toEqual(['backup prepare', 'master up']);
    expect(sim.overlaps).toEqual([]);
  });

  it('the others do not claim on the resign: they wait a master-down interval for the named standby', () => {
    const sim = cluster([node(0, 0), node(1, 50), node(2, 100)]);
    sim.dispatch(0, { type: 'shutdown' });
    sim.runUntil(4000);
    expect(sim.holders()).toEqual([1]);
    expect(sim.nodes[2]!.state.role).toBe('backup');
    expect(hooksOf(sim, 2)).toEqual([]);
  });
});
