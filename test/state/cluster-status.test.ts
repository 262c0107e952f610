// `floatd status`'s cluster lines and JSON: the members heard, whom this node supports, the quorum.
import { describe, expect, it } from 'vitest';
import { clusterStatus, describeCluster } from '../../src/state/cluster-status.js';
import { Sim } from '../election/cluster-sim.js';
import { settings } from '../election/helpers.js';

describe('cluster status', () => {
  // A backup's epoch is that of the master it follows (its presence speaks of that mastership).
  it('lists the members heard with their role, epoch, skew and support, and this node as master with its lease', () => {
    const cfgs = [0, 1, 2].map((i) => settings({ self: `10.0.0.${i + 1}`, advbaseMs: 100, advskew: i * 20, cluster: { incarnation: i + 1, voters: 3, quorum: 2, witness: false } }));
    const sim = new Sim(cfgs, () => 0.5, [1, 1, 1], { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
    cfgs.forEach((_, i) => sim.start(i));
    sim.runUntil(1000);
    const master = sim.nodes[0]!;
    const s = clusterStatus(master.cfg, master.state, 1000)!;
    expect(s).toMatchObject({ voters: 3, quorum: 2, supports: '10.0.0.1', supportedBy: 3, dataVersion: null });
    expect(s.leaseLeftMs).toBeGreaterThan(0);
    expect(s.members.map((m) => [m.address, m.role, m.supports])).toEqual([
      ['10.0.0.2', 'BACKUP', '10.0.0.1'],
      ['10.0.0.3', 'BACKUP', '10.0.0.1'],
    ]);
    const lines = describeCluster(s);
    expect(lines[0]).toMatch(/^ {2}cluster: quorum 2 of 3 voters, supports 10\.0\.0\.1, supported by 3, lease \d+ ms left$/);
    expect(lines[1]).toMatch(/^ {4}10\.0\.0\.2 BACKUP, epoch 1, advskew 20, supports 10\.0\.0\.1, last seen \d+ ms ago$/);
  });

  it('says when quorum is off and nobody is heard', () => {
    const cfg = settings({ cluster: { incarnation: 1, voters: 2, quorum: 0, witness: false } });
    const sim = new Sim([cfg], () => 0.5, [1], { loss: 0, maxDelayMs: 1, lateMs: 0, cut: () => false });
    sim.start(0);
    expect(describeCluster(clusterStatus(cfg, sim.nodes[0]!.state, 0)!)).toEqual(['  cluster: quorum off (2 voters), supports nobody, supported by 0', '    no member heard']);
  });
});
