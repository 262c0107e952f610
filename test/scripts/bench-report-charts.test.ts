// The bench's charts (scripts/bench/report-charts.ts, scripts/bench-mfs/report.ts) from hand-made results: a
// chart per timing table the run measured, one bar per agent and case that has a figure, and the markdown
// linking each chart right after its table.
import { describe, expect, it } from 'vitest';
import { mediansChart, mediansTable, medians, mfsMarkdown } from '../../scripts/bench-mfs/report.js';
import type { Figures } from '../../scripts/bench-mfs/trial.js';
import type { PartitionResult } from '../../scripts/bench/partition.js';
import { reportCharts } from '../../scripts/bench/report-charts.js';
import { markdown, type BenchResults } from '../../scripts/bench/report.js';
import type { TrialResult } from '../../scripts/bench/trial.js';
import { descendants, parseXml } from '../support/xml.js';

const barTitles = (svg: string) => descendants(parseXml(svg)).filter((e) => e.name === 'rect' && e.attrs.class === 'bar').map((b) => b.children[0]?.text);

const trial = (impl: TrialResult['impl'], advbaseS: number, fault: TrialResult['fault'], failoverMs: number, rep = 1): TrialResult => ({ impl, advbaseS, fault, rep, phase: 0.5, failoverMs, vipAddedMs: failoverMs - 3 });
const partition: PartitionResult = { impl: 'floatd', variant: '--nodes 3', advbaseS: 1, rep: 1, phase: 0.5, cutMs: 10_000, master: 'h1', twoHoldersMs: 0, twoHoldersCutMs: 0, letGoMs: 1500, majorityServesMs: 4000, finalHolder: 'h2' };

const results = (over: Partial<BenchResults>): BenchResults => ({
  startedAt: '2026-12-07T00:00:00.000Z', finishedAt: '', seconds: 60, quick: true, reps: 3, probeEveryMs: 2,
  machine: { cores: 2, cpu: 'cpu', kernel: '6', node: '20', ucarp: 'ucarp', keepalived: 'keepalived', loss: undefined, lossNote: 'none', floatd: 'abc' },
  starts: [], trials: [], partitions: [], idle: [], robustness: [], errors: [], ...over,
});

describe('bench report charts', () => {
  it('draws the failover tables: a bar per agent, interval and fault that has a figure, the median printed', () => {
    const trials = [trial('floatd', 1, 'kill', 2600), trial('floatd', 1, 'kill', 2700, 2), trial('floatd', 1, 'kill', 2800, 3), trial('ucarp', 1, 'kill', 2500), trial('keepalived', 0.1, 'stop', 8.7), { ...trial('ucarp', 0.1, 'stop', 1), error: 'no new master' }];
    const { charts, errors } = reportCharts(results({ trials }));
    expect(errors).toEqual([]);
    expect(charts.map((c) => c.name)).toEqual(['failover', 'vip-added']);
    expect(barTitles(charts[0]?.svg ?? '')).toEqual(['floatd, 1 s · SIGKILL: 2700 ms', 'ucarp, 1 s · SIGKILL: 2500 ms', 'keepalived, 0.1 s · graceful stop: 8.7 ms']);
    expect(barTitles(charts[1]?.svg ?? '')).toEqual(['floatd, 1 s · SIGKILL: 2697 ms', 'ucarp, 1 s · SIGKILL: 2497 ms', 'keepalived, 0.1 s · graceful stop: 5.7 ms']);
  });

  it('draws the partition table, and nothing for a case the run did not measure', () => {
    const { charts } = reportCharts(results({ partitions: [partition] }));
    expect(charts.map((c) => c.name)).toEqual(['partition']);
    expect(barTitles(charts[0]?.svg ?? '')).toEqual(['two VIP holders, 1 s · floatd --nodes 3: 0.0 ms', 'majority side serves, 1 s · floatd --nodes 3: 4000 ms']);
    expect(reportCharts(results({}))).toEqual({ charts: [], errors: [] });
  });

  it('turns a table it cannot draw into an error and still draws the others', () => {
    // A clock step can make a figure negative; the bench must still write its results.
    const { charts, errors } = reportCharts(results({ trials: [{ ...trial('floatd', 1, 'kill', 2600), vipAddedMs: -3 }] }));
    expect(charts.map((c) => c.name)).toEqual(['failover']);
    expect(errors).toEqual(['chart vip-added: chart "Fault → the new master has added the VIP", column "floatd": not a figure: "-3.0 / **-3.0** / -3.0"']);
  });

  it('links each chart right after its table in the markdown', () => {
    const r = results({ trials: [trial('floatd', 1, 'kill', 2600)], partitions: [partition] });
    const links = Object.fromEntries(reportCharts(r).charts.map((c) => [c.name, c.link(`latest-${c.name}.svg`)]));
    const md = markdown(r, links);
    for (const name of ['failover', 'vip-added', 'partition']) expect(md).toMatch(new RegExp(`\\|\\n\\n!\\[[^\\]]+\\]\\(latest-${name}\\.svg\\)\\n`));
    expect(markdown(r)).not.toContain('](latest-');
  });
});

describe('MooseFS bench chart', () => {
  const f = (kind: Figures['kind'], meta: number, read: number, over: Partial<Figures> = {}): Figures => ({ label: 'metalogger -b 0.3', kind, vip: 2300, meta, read, gateOpen: 4500, hooks: [], ...over });
  const spec = { label: 'metalogger -b 0.3', strategy: 'metalogger', advbase: 0.3 } as const;
  const summary = [medians(spec, 'crash', [f('crash', 5200, 5250), f('crash', 5300, 5300)]), medians(spec, 'graceful', [f('graceful', 5400, 5420, { oldStop: 2500, gateOpen: undefined })])];

  it('draws the medians, a bar a figure, the target as a mark', () => {
    const svg = mediansChart(mediansTable(summary));
    expect(barTitles(svg)).toEqual([
      'VIP on the new master, metalogger -b 0.3 (n=2) · crash: 2.30 s', 'gate open, metalogger -b 0.3 (n=2) · crash: 4.50 s', 'client metadata op, metalogger -b 0.3 (n=2) · crash: 5.25 s', 'client data read, metalogger -b 0.3 (n=2) · crash: 5.28 s',
      'VIP on the new master, metalogger -b 0.3 (n=1) · graceful: 2.30 s', 'client metadata op, metalogger -b 0.3 (n=1) · graceful: 5.40 s', 'client data read, metalogger -b 0.3 (n=1) · graceful: 5.42 s',
    ]);
    const marks = descendants(parseXml(svg)).filter((e) => e.name === 'path' && e.children[0]?.text?.startsWith('target'));
    expect(marks.map((m) => m.children[0]?.text)).toEqual(['target, metalogger -b 0.3 (n=2) · crash: 3.70 s', 'target, metalogger -b 0.3 (n=1) · graceful: 4.00 s']);
  });

  it('links the chart after the medians in the page, when there is one', () => {
    expect(mfsMarkdown('2026-12-07', [f('crash', 5200, 5250)], summary, 'mfs-latest-pauses.svg')).toMatch(/\| 0\.77× \|\n\n!\[MooseFS failover[^\]]*\]\(mfs-latest-pauses\.svg\)\n/);
    expect(mfsMarkdown('2026-12-07', [f('crash', 5200, 5250)], summary, undefined)).toMatch(/\| 0\.77× \|\n$/);
  });
});
