// The quorum's promise, checked on the pure core: over random partitions, heals, one-way
// cuts, loss, delay, reordering, clock rates within the assumed difference, late timers and node deaths,
// with 2–5 nodes, no two nodes ever hold the VIP at the same instant when quorum is on — and once the
// network is whole again for long enough, exactly one node holds it (so the promise is not kept by
// never promoting anyone).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/election/machine.js';
import { CLOCK_RATE, guardMs } from '../../src/election/quorum.js';
import { Sim } from './cluster-sim.js';
import { settings } from './helpers.js';

const RUNS = Number(process.env.FLOATD_PROPERTY_RUNS ?? 150);
const ADVBASE = 100;

// One stretch of the schedule: which side of a partition each node is on, a one-way cut on top, how bad
// the network is meanwhile, and a node that dies at its start.
const phase = (n: number) =>
  fc.record({
    ms: fc.integer({ min: 50, max: 2500 }),
    groups: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    oneWay: fc.option(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { nil: undefined }),
    loss: fc.constantFrom(0, 0, 0.05, 0.3),
    maxDelayMs: fc.constantFrom(0, 5, 40, 150),
    kill: fc.option(fc.nat(n - 1), { freq: 8, nil: undefined }),
  });

const scenario = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    deadratio: fc.constantFrom(3, 4),
    skews: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: n, maxLength: n }),
    rates: fc.array(fc.double({ min: 1 / (1 + CLOCK_RATE), max: 1 + CLOCK_RATE, noNaN: true }), { minLength: n, maxLength: n }),
    starts: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: n, maxLength: n }),
    phases: fc.array(phase(n), { minLength: 1, maxLength: 8 }),
    seed: fc.integer(),
  }),
);

function configs(n: number, deadratio: number, skews: number[]): Settings[] {
  // Quorum on for every node count: 2 nodes need both (no witness), 3–5 a majority.
  const quorum = Math.floor(n / 2) + 1;
  return skews.map((advskew, i) => settings({ self: `10.0.0.${i + 1}`, advbaseMs: ADVBASE, advskew, deadratio, advertsPerInterval: 2, cluster: { incarnation: 1000 + i, voters: n, quorum, witness: false } }));
}

// A small deterministic generator, so a failing schedule replays exactly from fast-check's seed.
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('quorum: never two VIP holders (property)', () => {
  it(`over random partition/heal/loss/delay schedules and 2–5 nodes (${RUNS} runs)`, () => {
    // Not hollow: the schedules must actually move the VIP from node to node.
    const seen = { runs: 0, adds: 0, drops: 0, moved: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const cfgs = configs(s.n, s.deadratio, s.skews);
        // Timers fire late by up to half the guard: the other half is left for `ip addr del`.
        const lateMs = guardMs(cfgs[0]!) / 2;
        const current = { groups: new Array<number>(s.n).fill(0), oneWay: undefined as [number, number] | undefined };
        const sim = new Sim(cfgs, mulberry(s.seed), s.rates, {
          loss: 0,
          maxDelayMs: 0,
          lateMs,
          cut: (from, to) => current.groups[from] !== current.groups[to] || (current.oneWay?.[0] === from && current.oneWay[1] === to),
        });
        // Nodes start within 400 ms of each other, on a whole network.
        const order = s.starts.map((at, i) => [at, i] as const).sort((a, b) => a[0] - b[0]);
        for (const [at, i] of order) {
          sim.runUntil(at);
          sim.start(i);
        }
        let t = 400;
        const dead = new Set<number>();
        for (const p of s.phases) {
          current.groups = p.groups;
          current.oneWay = p.oneWay;
          sim.faults = { ...sim.faults, loss: p.loss, maxDelayMs: p.maxDelayMs };
          if (p.kill !== undefined && dead.size < s.n - Math.floor(s.n / 2) - 1 && !dead.has(p.kill)) {
            dead.add(p.kill);
            sim.kill(p.kill);
          }
          t += p.ms;
          sim.runUntil(t);
          expect(sim.overlaps).toEqual([]);
        }
        // Healed and quiet for long enough: one master, the VIP on it alone.
        current.groups = new Array<number>(s.n).fill(0);
        current.oneWay = undefined;
        sim.faults = { ...sim.faults, loss: 0, maxDelayMs: 5 };
        sim.runUntil(t + 40 * ADVBASE);
        expect(sim.overlaps).toEqual([]);
        const adds = sim.vipEvents.filter((e) => e.held);
        seen.runs++;
        seen.adds += adds.length;
        seen.drops += sim.vipEvents.length - adds.length;
        if (new Set(adds.map((e) => e.node)).size > 1) seen.moved++;
        if (process.env.FLOATD_PROPERTY_DEBUG && sim.holders().length !== 1) console.log(JSON.stringify(sim.nodes.map((x) => ({ self: x.cfg.self, alive: x.alive, role: x.state.role, reason: x.state.reason, support: x.state.view.support, seeking: x.state.view.seeking, mdown: x.state.masterDownAt, master: x.state.master?.address, members: Object.fromEntries(Object.entries(x.state.view.members).map(([a, m]) => [a, [m.role, m.supports, m.eligible, Math.round(sim.local(0) - m.heardAt)]])) })), (_, v) => (typeof v === 'bigint' ? String(v) : v), 1));
        expect(sim.holders(), `${s.n} nodes, ${dead.size} dead: one VIP holder after the heal`).toHaveLength(1);
      }),
      { numRuns: RUNS, ...(process.env.FLOATD_PROPERTY_SEED ? { seed: Number(process.env.FLOATD_PROPERTY_SEED), path: process.env.FLOATD_PROPERTY_PATH, endOnFailure: true } : {}) },
    );
    console.log(`quorum property: ${seen.runs} schedules, ${seen.adds} VIP adds, ${seen.drops} removals, the VIP moved between nodes in ${seen.moved}`);
    expect(seen.moved).toBeGreaterThan(seen.runs / 10);
  }, 300_000);
});
