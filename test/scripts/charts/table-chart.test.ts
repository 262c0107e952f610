// A markdown table of timings read into a chart (scripts/charts/table-chart.ts): how each kind of cell reads,
// and that a cell it cannot read in a charted column is an error naming the column and quoting the cell.
import { describe, expect, it } from 'vitest';
import { parseFigure, readTable, tableChart, type TableChart } from '../../../scripts/charts/table-chart.js';

describe('parseFigure', () => {
  it('reads min / **median** / max as the median with a min–max spread', () => {
    expect(parseFigure('2245 / **2681** / 2985', 'ms')).toEqual({ ms: 2681, low: 2245, high: 2985, text: '2681 ms' });
    expect(parseFigure('6.8 / **8.7** / 9.8', 'ms')).toEqual({ ms: 8.7, low: 6.8, high: 9.8, text: '8.7 ms' });
    expect(parseFigure('0 / **0** / 0', 'ms')).toEqual({ ms: 0, low: 0, high: 0, text: '0 ms' });
  });

  it('reads one figure with its own unit, or the table\'s', () => {
    expect(parseFigure('2.7 s', 'ms')).toEqual({ ms: 2700, text: '2.7 s' });
    expect(parseFigure('284 ms', 's')).toEqual({ ms: 284, text: '284 ms' });
    expect(parseFigure('18', 'ms')).toEqual({ ms: 18, text: '18 ms' });
    expect(parseFigure('13.2', 's')).toEqual({ ms: 13_200, text: '13.2 s' });
    expect(parseFigure('**864**', 'ms')).toEqual({ ms: 864, text: '864 ms' });
  });

  it('reads a range as its upper end (the worst case), with the range as the spread and the text', () => {
    expect(parseFigure('2059–3039 ms', 's')).toEqual({ ms: 3039, low: 2059, high: 3039, text: '2059–3039 ms' });
    expect(parseFigure('25.4–30.4', 'ms')).toEqual({ ms: 30.4, low: 25.4, high: 30.4, text: '25.4–30.4 ms' });
  });

  it('reads a before → after cell on the side asked for, the unit written once for both', () => {
    expect(parseFigure('16.57 → 7.72 s', 'ms', 'before')).toEqual({ ms: 16_570, text: '16.57 s' });
    expect(parseFigure('16.57 → 7.72 s', 'ms', 'after')).toEqual({ ms: 7720, text: '7.72 s' });
    expect(parseFigure('900 ms → 1.2 s', 'ms', 'before')).toEqual({ ms: 900, text: '900 ms' });
    expect(() => parseFigure('16.57 → 7.72 s', 'ms')).toThrow('a "before → after" cell needs the series\' side, got "16.57 → 7.72 s"');
    expect(() => parseFigure('1 → 2 → 3 s', 'ms', 'after')).toThrow('expected one "→" in "1 → 2 → 3 s"');
  });

  it('drops notes in brackets, and reads no figure from an empty cell or a dash', () => {
    expect(parseFigure('2245 / **2681** / 2985 (1 failed)', 'ms')?.ms).toBe(2681);
    for (const none of ['', '–', '—', '-', '– (2 failed)']) expect(parseFigure(none, 'ms'), none).toBeUndefined();
  });

  it('refuses anything else, quoting it', () => {
    expect(() => parseFigure('met', 'ms')).toThrow('not a figure: "met"');
    expect(() => parseFigure('4.57 / 4.70 s', 'ms')).toThrow('not a figure: "4.57 / 4.70 s"');
  });
});

const TABLE = [
  'Some text before.',
  '',
  '| interval | fault | floatd | ucarp | keepalived | floatd/ucarp |',
  '|---|---|---|---|---|---|',
  '| 1 s | SIGKILL | 2245 / **2681** / 2985 | 2218 / **2581** / 2966 | | 1.04× (1.03×) |',
  '| 0.1 s, `--advert-copies 1` | SIGKILL | 244 / **286** / 302 | | | |',
];
const CHART: TableChart = { title: 'Failover', group: ['interval', 'fault'], series: [{ column: 'floatd' }, { column: 'ucarp' }, { column: 'keepalived' }], unit: 'ms', scale: 'log' };

describe('tableChart', () => {
  it('makes a group of each row, labelled by its group columns without markup, and a bar of each figure', () => {
    const spec = tableChart(readTable(TABLE), CHART);
    expect(spec.groups.map((g) => g.label)).toEqual(['1 s · SIGKILL', '0.1 s, --advert-copies 1 · SIGKILL']);
    expect(spec.groups.map((g) => g.bars.map((b) => `${b.series} ${b.text}`))).toEqual([['floatd 2681 ms', 'ucarp 2581 ms'], ['floatd 286 ms']]);
    // Every configured series keeps its place (and colour), figure or not.
    expect(spec.series).toEqual(['floatd', 'ucarp', 'keepalived']);
    expect(spec.scale).toBe('log');
  });

  it('takes a row\'s mark from its column', () => {
    const table = readTable(['| trial | meta | target |', '|---|---|---|', '| a | 3.16 s | 3.70 s |', '| b | 5.47 s | — |']);
    const spec = tableChart(table, { title: 'MooseFS', group: ['trial'], series: [{ column: 'meta' }], mark: { column: 'target', name: 'target' }, unit: 's' });
    expect(spec.groups.map((g) => g.mark)).toEqual([{ ms: 3700, text: '3.70 s' }, undefined]);
    expect(spec.markName).toBe('target');
  });

  it('names a missing column and lists those there are', () => {
    expect(() => tableChart(readTable(TABLE), { ...CHART, series: [{ column: 'vrrpd' }] })).toThrow('chart "Failover": no column "vrrpd" in the table (columns: interval, fault, floatd, ucarp, keepalived, floatd/ucarp)');
  });

  it('names the column of a cell it cannot read, quoting the cell', () => {
    const edited = [...TABLE.slice(0, 5), '| 0.1 s | SIGKILL | about 300 | | | |'];
    expect(() => tableChart(readTable(edited), CHART)).toThrow('chart "Failover", column "floatd": not a figure: "about 300"');
  });

  it('needs a header and a separator row', () => {
    expect(() => readTable(['no table here'])).toThrow('no markdown table');
    expect(() => readTable(['| a | b |', '| 1 | 2 |'])).toThrow('no markdown table');
  });
});
