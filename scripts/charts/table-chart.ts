// A markdown table of timings read into a bar chart: rows are the groups, chosen columns the series.
//
// How a cell reads (the figure the bar shows, and the spread its whisker shows):
//   "2245 / **2681** / 2985"  min / **median** / max: the bar is the bold median, the whisker min–max;
//   "2059–3039 ms"            a range: the bar goes to the upper end (the worst case), the whisker over the range;
//   "6.57 → 7.72 s"           before → after: the series says which side it shows;
//   "284 ms", "2.7 s", "18"   one figure; a bare number is in the table's unit.
// Notes in brackets ("(1 failed)") are dropped; an empty cell, "–" or "—" is no figure (no bar). Anything else
// in a charted column is an error naming the column and quoting the cell, so an edit cannot silently drop a bar.
import type { Bar, BarGroup, ChartSpec } from './bar-chart.js';

export interface SeriesColumn {
  column: string; // the header, as written without markup
  name?: string; // the legend's name; the header by default
  side?: 'before' | 'after'; // for "before → after" cells
}

export interface TableChart {
  title: string;
  note?: string;
  group: readonly string[]; // the columns whose cells, joined, label a row's group
  series: readonly SeriesColumn[];
  colours?: readonly string[]; // by series, instead of the palette
  mark?: { column: string; name: string }; // a figure drawn as a dashed line across its row's bars (a target)
  unit: 'ms' | 's'; // of a bare number
  scale?: 'linear' | 'log';
}

export interface Table {
  header: string[];
  rows: string[][];
}

export interface Figure {
  ms: number;
  low?: number;
  high?: number;
  text: string;
}

const plain = (cell: string): string => cell.replace(/\*\*|`/g, '').trim();

// The first table in `lines`: its header and its body rows, as trimmed cells (markup kept).
export function readTable(lines: readonly string[]): Table {
  const rows = lines
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, l.endsWith('|') ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.trim()));
  const [header, separator] = rows;
  if (!header || !separator || !separator.every((c) => /^:?-+:?$/.test(c))) throw new Error('no markdown table (a header row and a |---| row)');
  return { header: header.map(plain), rows: rows.slice(2) };
}

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const toMs = (value: string, unit: string): number => Number(value) * (unit === 's' ? 1000 : 1);

// One cell's figure, or undefined when it holds none.
export function parseFigure(cell: string, unit: 'ms' | 's', side?: 'before' | 'after'): Figure | undefined {
  let c = cell.replace(/\([^)]*\)/g, '').trim();
  if (c.includes('→')) {
    if (!side) throw new Error(`a "before → after" cell needs the series' side, got "${cell}"`);
    const [before, after, ...more] = c.split('→').map((p) => p.trim()) as [string, string, ...string[]];
    if (more.length) throw new Error(`expected one "→" in "${cell}"`);
    // "6.57 → 7.72 s": the unit written once, after both figures.
    const u = /\s(ms|s)$/.exec(after)?.[1];
    c = side === 'after' ? after : u && !/\s(ms|s)$/.test(before) ? `${before} ${u}` : before;
  }
  if (c === '' || c === '–' || c === '—' || c === '-') return undefined;
  const u = /\s(ms|s)$/.exec(c)?.[1] ?? unit;
  const body = c.replace(/\s(ms|s)$/, '').trim();
  const bold = new RegExp(`^(${NUMBER}) / \\*\\*(${NUMBER})\\*\\* / (${NUMBER})$`).exec(body);
  if (bold) {
    const [, lo, mid, hi] = bold as unknown as [string, string, string, string];
    return { ms: toMs(mid, u), low: toMs(lo, u), high: toMs(hi, u), text: `${mid} ${u}` };
  }
  const range = new RegExp(`^(${NUMBER})\\s*[–-]\\s*(${NUMBER})$`).exec(body);
  if (range) {
    const [, lo, hi] = range as unknown as [string, string, string];
    return { ms: toMs(hi, u), low: toMs(lo, u), high: toMs(hi, u), text: `${lo}–${hi} ${u}` };
  }
  const one = new RegExp(`^(?:\\*\\*)?(${NUMBER})(?:\\*\\*)?$`).exec(body);
  if (one) return { ms: toMs(one[1] as string, u), text: `${one[1]} ${u}` };
  throw new Error(`not a figure: "${cell}"`);
}

// The chart of a table: one group a row, one bar a figure (the legend shows only series with a figure).
export function tableChart(table: Table, chart: TableChart): ChartSpec {
  const col = (name: string): number => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new Error(`chart "${chart.title}": no column "${name}" in the table (columns: ${table.header.join(', ')})`);
    return i;
  };
  const groupCols = chart.group.map(col);
  const seriesCols = chart.series.map((s) => ({ ...s, name: s.name ?? s.column, at: col(s.column) }));
  const markCol = chart.mark ? col(chart.mark.column) : undefined;
  const figure = (cell: string, column: string, side?: 'before' | 'after'): Figure | undefined => {
    try {
      return parseFigure(cell, chart.unit, side);
    } catch (err) {
      throw new Error(`chart "${chart.title}", column "${column}": ${(err as Error).message}`);
    }
  };
  const groups: BarGroup[] = table.rows.map((row) => {
    const bars: Bar[] = [];
    for (const s of seriesCols) {
      const f = figure(row[s.at] ?? '', s.column, s.side);
      if (f) bars.push({ series: s.name, ...f });
    }
    const m = markCol === undefined ? undefined : figure(row[markCol] ?? '', chart.mark?.column ?? '');
    return { label: groupCols.map((i) => plain(row[i] ?? '')).join(' · '), bars, ...(m ? { mark: { ms: m.ms, text: m.text } } : {}) };
  });
  return {
    title: chart.title,
    ...(chart.note ? { note: chart.note } : {}),
    series: seriesCols.map((s) => s.name), // colours keep their places when a series has no figure
    groups,
    ...(chart.colours ? { colours: chart.colours } : {}),
    ...(chart.mark ? { markName: chart.mark.name } : {}),
    ...(chart.scale ? { scale: chart.scale } : {}),
  };
}
