// The bench's partition table and verdict (scripts/bench/partition-report.ts), from hand-made results: the
// cut-off master's fate is told apart correctly, and the target holds only for floatd with its quorum.
import { describe, expect, it } from 'vitest';
import { partitionTable, partitionVerdict } from '../../scripts/bench/partition-report.js';
import type { PartitionResult } from '../../scripts/bench/partition.js';

const base = { advbaseS: 1, rep: 1, phase: 0.5, cutMs: 10_000, master: 'h1' };
const quorum: PartitionResult = { ...base, impl: 'floatd', variant: '--nodes 3', twoHoldersMs: 0, twoHoldersCutMs: 0, letGoMs: 1500, majorityServesMs: 4000, finalHolder: 'h2' };
const ucarp: PartitionResult = { ...base, impl: 'ucarp', twoHoldersMs: 7900, twoHoldersCutMs: 7050, majorityServesMs: 2950, finalHolder: 'h1' };
const noQuorum: PartitionResult = { ...base, impl: 'floatd', variant: 'quorum off (no --nodes)', twoHoldersMs: 7300, twoHoldersCutMs: 7000, letGoMs: 10_300, majorityServesMs: 3000, finalHolder: 'h2' };

describe('bench partition report', () => {
  it('tells a master that let go during the cut from one that let go at the heal and one that never did', () => {
    const rows = partitionTable([quorum, noQuorum, ucarp]).split('\n').slice(2);
    expect(rows[0]).toContain('| 1 s | floatd --nodes 3 | 0.0 / **0.0** / 0.0 | 0 | 0.0 | 4000 / **4000** / 4000 | during the cut 1/1, after 1500 / **1500** / 1500 ms | majority side |');
    expect(rows[1]).toContain('after the heal 1/1, 300 / **300** / 300 ms later');
    expect(rows[2]).toContain('| 7900 / **7900** / 7900 |  | 850 |');
    expect(rows[2]).toContain('never 1/1 (kept the VIP) | cut-off master |');
  });

  it('meets the target only when every quorum round ran and none had two holders', () => {
    expect(partitionVerdict([quorum, ucarp]).met).toBe(true);
    expect(partitionVerdict([quorum, { ...quorum, twoHoldersMs: 0.4 }]).met).toBe(false);
    expect(partitionVerdict([quorum, { ...quorum, error: 'no single VIP holder' }]).met).toBe(false);
    expect(partitionVerdict([ucarp, noQuorum]).met).toBeUndefined();
  });
});
