// The quorum rules stepped on the pure core, each named after the behaviour it pins.
import { describe, expect, it } from 'vitest';
import { step, type Settings } from '../../src/election/machine.js';
import { guardMs, leaseMs } from '../../src/election/quorum.js';
import { Sim } from './cluster-sim.js';
import { release, sendAdvert, settings } from './helpers.js';

const ADVBASE = 100;
const node = (i: number, over: Partial<Settings> = {}, voters = 3, quorum = 2): Settings =>
  settings({ self: `10.0.0.${i + 1}`, advbaseMs: ADVBASE, advskew: i * 20, advertsPerInterval: 2, ...over, cluster: { incarnation: 100 + i, voters, quorum, witness: false, ...over.cluster } });
const whole = { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false };

function cluster(cfgs: Settings[], cut: (from: number, to: number) => boolean = () => false): Sim {
  const sim = new Sim(cfgs, () => 0.5, cfgs.map(() => 1), { ...whole, cut });
  cfgs.forEach((_, i) => sim.start(i));
  return sim;
}

describe('the timing rule', () => {
  it('the lease is the hold shrunk by the clock-rate difference (1 % each way) less the guard of (deadratio − 2) × advbase / 2', () => {
    const cfg = { deadratio: 3, advbaseMs: 1000 };
    expect(guardMs(cfg)).toBe(500);
    expect(leaseMs(cfg)).toBeCloseTo(3000 / 1.0201 - 500, 6);
  });
});

describe('a master promotes and stays master only while a majority supports it', () => {
  it('three nodes that start together elect one master, supported by all three', () => {
    const sim = cluster([node(0), node(1), node(2)]);
    sim.runUntil(2000);
    expect(sim.holders()).toEqual([0]);
    expect(sim.nodes.map((n) => n.state.view.support?.address)).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.1']);
    expect(sim.overlaps).toEqual([]);
  });

  it('a node cut off from both others never promotes, and the majority keeps its master without a transition', () => {
    const sim = cluster([node(0), node(1), node(2)]);
    sim.runUntil(1000);
    let isolated = false;
    sim.faults = { ...whole, cut: (a, b) => isolated && (a === 2 || b === 2) };
    isolated = true;
    sim.runUntil(5000);
    expect(sim.nodes[2]?.state.role).toBe('backup');
    expect(sim.nodes[2]?.state.view.seeking).toBeDefined();
    isolated = false;
    sim.runUntil(7000);
    expect(sim.holders()).toEqual([0]);
    expect(sim.vipEvents).toEqual([expect.objectContaining({ node: 0, held: true })]);
  });

  it('a master cut off from the majority drops the VIP at once (before its down hooks), and only then a node of the majority adds it', () => {
    const sim = cluster([node(0), node(1), node(2)]);
    sim.runUntil(1000);
    let cut = false;
    sim.faults = { ...whole, cut: (a, b) => cut && (a === 0 || b === 0) };
    cut = true;
    sim.runUntil(3000);
    const [dropped, added] = sim.vipEvents.slice(1);
    expect(dropped).toMatchObject({ node: 0, held: false });
    expect(added).toMatchObject({ node: 1, held: true });
    expect(added!.at).toBeGreaterThan(dropped!.at);
    expect(sim.nodes[0]?.state.reason).toMatch(/^lost the quorum: fewer than 2 voters support this node \(1 now\)$/);
  });

  it("losing the quorum emits the VIP drop first, then the usual ordered release (down hooks, VIP removal, 'released')", () => {
    const sim = cluster([node(0), node(1), node(2)]);
    sim.runUntil(1000);
    const m = sim.nodes[0]!;
    const r = step(m.cfg, m.state, { type: 'tick' }, m.state.since + 60_000);
    const reason = 'lost the quorum: fewer than 2 voters support this node (1 now)';
    // The advert due at this tick still goes out; then the VIP, then the ordered release.
    expect(r.effects).toEqual([sendAdvert(1, 0), { kind: 'drop-vip', epoch: 1 }, ...release(1, reason)]);
  });

  it('support, not hearing: with the link between two candidates cut, the witness supports only the master it already supports', () => {
    const witness = node(2, { cluster: { incarnation: 102, voters: 3, quorum: 2, witness: true } });
    const sim = cluster([node(0), node(1), witness]);
    sim.runUntil(1000);
    expect(sim.holders()).toEqual([0]);
    let cut = false;
    sim.faults = { ...whole, cut: (a, b) => cut && ((a === 0 && b === 1) || (a === 1 && b === 0)) };
    cut = true;
    sim.runUntil(6000);
    // b hears nobody claim for it; a keeps the witness's support: still exactly one master.
    expect(sim.holders()).toEqual([0]);
    expect(sim.nodes[1]?.state.role).toBe('backup');
    expect(sim.nodes[2]?.state.view.support?.address).toBe('10.0.0.1');
    expect(sim.overlaps).toEqual([]);
  });

  it('a witness never claims: with both candidates dead it stays a backup without the VIP', () => {
    const witness = node(2, { cluster: { incarnation: 102, voters: 3, quorum: 2, witness: true } });
    const sim = cluster([node(0), node(1), witness]);
    sim.runUntil(1000);
    sim.kill(0);
    sim.runUntil(3000);
    expect(sim.holders()).toEqual([1]);
    sim.kill(1);
    sim.runUntil(6000);
    expect(sim.holders()).toEqual([]);
    expect(sim.nodes[2]?.state.role).toBe('backup');
  });

  it('a node that hears nobody (one-way deaf) never claims, so the voters that still hear it elect another when the master dies', () => {
    const five = [0, 1, 2, 3, 4].map((i) => node(i, {}, 5, 3));
    const sim = cluster(five);
    sim.runUntil(1000);
    expect(sim.holders()).toEqual([0]);
    // h2, the preferred backup, goes deaf: it still sends (its presence reaches everyone), hears nothing.
    sim.faults = { ...whole, cut: (_from, to) => to === 1 };
    sim.runUntil(3000);
    sim.kill(0);
    sim.runUntil(6000);
    expect(sim.holders()).toEqual([2]);
    expect(sim.nodes[1]?.state.view.support).toBeUndefined();
    expect(sim.overlaps).toEqual([]);
  });

  it('two nodes with quorum 2 of 2 (no witness): the survivor of a death does not promote (why 2 nodes default to quorum off)', () => {
    const sim = cluster([node(0, {}, 2, 2), node(1, {}, 2, 2)]);
    sim.runUntil(1000);
    sim.kill(0);
    sim.runUntil(5000);
    expect(sim.holders()).toEqual([]);
  });
});
