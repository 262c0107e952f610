// The bench's timing tables as SVG bar charts (scripts/charts/), written beside its markdown in bench-results/:
// drawn from the very tables the report prints, so a chart shows what its table says.
import { barChart } from '../charts/bar-chart.js';
import { readTable, tableChart, type TableChart } from '../charts/table-chart.js';
import { partitionTable } from './partition-report.js';
import { failoverTable, type BenchResults } from './report.js';

export type ChartName = 'failover' | 'vip-added' | 'partition';

export interface ReportChart {
  name: ChartName;
  title: string;
  svg: string;
  link: (file: string) => string; // the markdown image line for the chart written to `file`
}

const AGENTS = [{ column: 'floatd' }, { column: 'ucarp' }, { column: 'keepalived' }];
const SPREAD = 'Bars: medians; whiskers: min–max. A log scale: the advert intervals span decades.';

// A chart per timing table this run measured; a table it cannot draw is an error beside the others, never
// the loss of the run (the bench writes its results whatever the charts do).
export function reportCharts(r: BenchResults): { charts: ReportChart[]; errors: string[] } {
  const out: ReportChart[] = [];
  const errors: string[] = [];
  const chart = (name: ChartName, table: string, spec: TableChart): void => {
    try {
      out.push({ name, title: spec.title, svg: barChart(tableChart(readTable(table.split('\n')), spec)), link: (file) => `![${spec.title}](${file})` });
    } catch (err) {
      errors.push(`chart ${name}: ${(err as Error).message}`);
    }
  };
  if (r.trials.length > 0) {
    const failover = { group: ['interval', 'fault'], series: AGENTS, unit: 'ms', scale: 'log', note: SPREAD } as const;
    chart('failover', failoverTable(r.trials), { ...failover, title: "Failover as the client sees it: fault → first answer from the new master's MAC" });
    chart('vip-added', failoverTable(r.trials, 'vipAddedMs'), { ...failover, title: 'Fault → the new master has added the VIP' });
  }
  if (r.partitions.length > 0) {
    chart('partition', partitionTable(r.partitions), {
      title: 'Partition: the master cut off from the other two, then healed',
      note: 'Bars: medians; whiskers: min–max.',
      group: ['interval', 'agent'],
      series: [{ column: 'two VIP holders, ms', name: 'two VIP holders' }, { column: 'majority side serves, ms', name: 'majority side serves' }],
      unit: 'ms',
    });
  }
  return { charts: out, errors };
}
