// The figures of the docs: each chart is drawn from the table between `<!-- chart:NAME:start -->` and
// `<!-- chart:NAME:end -->` in its page and committed as docs/charts/NAME.svg, linked right after the table.
// `npm run docs:charts` (scripts/gen-charts.mjs) writes them; test/docs/charts.test.ts fails when one is stale.
import { barChart } from './bar-chart.js';
import { readTable, tableChart, type TableChart } from './table-chart.js';

export interface DocChart {
  name: string; // the marker's name and the SVG's: docs/charts/NAME.svg
  page: string; // under docs/
  chart: TableChart;
}

const MFS_GROUP = ['trial', 'fault'];

export const DOC_CHARTS: readonly DocChart[] = [
  {
    name: 'failover',
    page: 'benchmarks.md',
    chart: {
      title: 'Failover as the client sees it: fault → first answer from the new master',
      note: 'Bars: medians; whiskers: min–max. A log scale: the advert intervals (1 s to 0.01 s) span two decades.',
      group: ['interval', 'fault'],
      series: [{ column: 'floatd' }, { column: 'ucarp' }, { column: 'keepalived' }],
      unit: 'ms',
      scale: 'log',
    },
  },
  {
    name: 'partition',
    page: 'benchmarks.md',
    chart: {
      title: 'Partition: the master cut off from the other two for 10 s, then healed',
      note: 'Bars: medians; whiskers: min–max.',
      group: ['interval', 'agent'],
      series: [{ column: 'two VIP holders' }, { column: 'majority side serves' }],
      unit: 'ms',
    },
  },
  {
    name: 'mfs-pauses',
    page: 'mfs.md',
    chart: {
      title: 'MooseFS failover: from the fault to the client served again',
      note: 'Medians, from the fault. Target: crash ≤ 3.7 s at -b 0.3, ≤ 6.2 s at -b 1; graceful ≤ the old mfsmaster\'s stop + 1.5 s.',
      group: MFS_GROUP,
      series: [{ column: '(a) VIP', name: 'VIP on the new master' }, { column: '(c) client meta', name: 'client metadata op' }, { column: '(d) client read', name: 'client data read' }],
      mark: { column: 'target', name: 'target' },
      unit: 's',
    },
  },
  {
    name: 'mfs-gate',
    page: 'mfs.md',
    chart: {
      title: 'MooseFS client pauses without and with the client gate',
      note: 'From the fault; MFS_CLIENT_GATE=no, then the gate on.',
      group: MFS_GROUP,
      series: [
        { column: '(c) meta before → after', name: 'metadata op, no gate', side: 'before' },
        { column: '(c) meta before → after', name: 'metadata op, gate', side: 'after' },
        { column: '(d) read before → after', name: 'data read, no gate', side: 'before' },
        { column: '(d) read before → after', name: 'data read, gate', side: 'after' },
      ],
      // Without the gate light, with it dark: sky and blue for the metadata op, orange and vermilion for the read.
      colours: ['#56B4E9', '#0072B2', '#E69F00', '#D55E00'],
      unit: 's',
    },
  },
];

// The lines between a chart's markers in a page.
export function chartBlock(page: string, name: string): string[] {
  const lines = page.split('\n');
  const start = lines.indexOf(`<!-- chart:${name}:start -->`);
  const end = lines.indexOf(`<!-- chart:${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`no <!-- chart:${name}:start --> … <!-- chart:${name}:end --> block`);
  return lines.slice(start + 1, end);
}

// The SVG of one chart, from its page's text.
export function docChartSvg(page: string, c: DocChart): string {
  return barChart(tableChart(readTable(chartBlock(page, c.name)), c.chart));
}

// The image link the page carries after the chart's end marker.
export function imageLink(c: DocChart): string {
  return `![${c.chart.title}](charts/${c.name}.svg)`;
}
