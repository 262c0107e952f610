// A horizontal bar chart as a standalone SVG string, written by hand (no dependency): bars grouped by case,
// one colour per series, an axis with ticks in ms or s, a legend and each figure printed at its bar's end.
// Explicit fills on a white card, so the picture reads the same in GitHub's light and dark themes.

// One figure: its value in ms, an optional spread (min–max) drawn as a whisker, and the text printed beside it.
export interface Bar {
  series: string;
  ms: number;
  low?: number;
  high?: number;
  text: string;
}

export interface BarGroup {
  label: string;
  bars: readonly Bar[];
  mark?: { ms: number; text: string }; // a dashed line across the group's bars: a target to compare them with
}

export interface ChartSpec {
  title: string;
  note?: string; // one line under the title: how to read the bars
  series: readonly string[]; // legend order; colours go by position
  colours?: readonly string[]; // instead of the palette, by position
  markName?: string; // the legend's name for the groups' marks
  groups: readonly BarGroup[];
  scale?: 'linear' | 'log'; // log when the figures span decades (0.01 s to 1 s advert intervals)
  width?: number;
}

// Okabe–Ito colours: told apart with the common colour-vision deficiencies, dark enough on white.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#7F7F7F'];
const FONT = "font-family=\"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";
const INK = '#1f2328';
const FAINT = '#656d76';
const BAR_H = 14;
const BAR_GAP = 3;
const GROUP_GAP = 12;
const MARK = '#cf222e';

// A rough text width for a sans-serif face (no font metrics without a renderer); errs wide.
const textWidth = (s: string, px: number): number => s.length * px * 0.58;
// A group label cut to the label column (its bars' tooltips keep it whole).
const LABEL_MAX = 260;
const fit = (s: string): string => (textWidth(s, 12) <= LABEL_MAX ? s : `${s.slice(0, Math.floor(LABEL_MAX / (12 * 0.58)) - 1)}…`);
const num = (x: number): string => String(Math.round(x * 10) / 10);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// A tick as its figure reads best: "250 ms", "1.5 s".
export function tickText(ms: number, inSeconds: boolean): string {
  if (!inSeconds) return `${num(ms)} ms`;
  return `${String(Number((ms / 1000).toPrecision(6)))} s`;
}

interface Axis {
  x: (ms: number) => number; // px from the plot's left edge
  ticks: number[]; // labelled
  minor: number[]; // grid lines only
  tickText: (ms: number) => string;
}

// A linear axis from 0 to the first 1/2/5 × 10^k step at or above the largest figure.
function linearAxis(max: number, plotW: number): Axis {
  const rough = Math.max(max, 1) / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= rough) ?? 10) * mag;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { x: (v) => (Math.max(0, v) / top) * plotW, ticks, minor: [], tickText: (v) => tickText(v, top >= 2000) };
}

// A log axis from the decade at or below the smallest figure to the first 1/2/5 × 10^k at or above the
// largest; decades labelled, 2× and 5× as grid lines. A figure of 0 (or below the first decade) gets no length.
function logAxis(min: number, max: number, plotW: number): Axis {
  const lo = Math.floor(Math.log10(min));
  const mag = 10 ** Math.floor(Math.log10(max));
  const top = Math.max(10 ** (lo + 1), ([1, 2, 5, 10].find((m) => m * mag >= max) ?? 10) * mag);
  const span = Math.log10(top) - lo;
  const steps = Array.from({ length: Math.ceil(span) + 1 }, (_, i) => [1, 2, 5].map((m) => m * 10 ** (lo + i))).flat().filter((v) => v <= top * 1.0001);
  const ticks = steps.filter((v, i) => i % 3 === 0 || v === steps[steps.length - 1]);
  const x = (v: number) => (v <= 10 ** lo ? 0 : Math.min(1, (Math.log10(v) - lo) / span) * plotW);
  return { x, ticks, minor: steps.filter((v) => !ticks.includes(v)), tickText: (v) => tickText(v, v >= 1000) };
}

// Refuses a spec it would draw wrong, naming the field and quoting the bad value.
function check(spec: ChartSpec): void {
  for (const g of spec.groups) {
    if (g.mark && !(Number.isFinite(g.mark.ms) && g.mark.ms >= 0)) throw new Error(`group mark must be a finite figure ≥ 0, got "${g.mark.ms}" (group "${g.label}")`);
    for (const b of g.bars) {
      const where = `group "${g.label}", series "${b.series}"`;
      if (!spec.series.includes(b.series)) throw new Error(`bar series must be one of the chart's series (${spec.series.join(', ')}), got "${b.series}" in group "${g.label}"`);
      for (const [field, v] of [['ms', b.ms], ['low', b.low], ['high', b.high]] as const) {
        if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`bar ${field} must be a finite figure ≥ 0, got "${v}" (${where})`);
      }
    }
  }
}

// The chart as an SVG document.
export function barChart(spec: ChartSpec): string {
  check(spec);
  const width = spec.width ?? 760;
  const groups = spec.groups.filter((g) => g.bars.length > 0);
  const bars = groups.flatMap((g) => g.bars);
  const colours = spec.colours ?? PALETTE;
  const colour = (series: string) => colours[spec.series.indexOf(series) % colours.length] as string;
  const reach = (b: Bar) => Math.max(b.ms, b.high ?? 0);

  // Horizontal layout: group labels, the plot, room for the longest figure text.
  const labelW = Math.max(60, ...groups.map((g) => textWidth(fit(g.label), 12))) + 16;
  const valueW = Math.max(40, ...bars.map((b) => textWidth(b.text, 11))) + 12;
  const left = labelW;
  const plotW = Math.max(120, width - left - valueW - 10);
  const marks = groups.flatMap((g) => (g.mark ? [g.mark.ms] : []));
  const max = Math.max(1, ...bars.map(reach), ...marks);
  const positive = bars.flatMap((b) => [b.ms, b.low ?? b.ms]).filter((v) => v > 0);
  const axis = spec.scale === 'log' ? logAxis(Math.min(max, ...positive), max, plotW) : linearAxis(max, plotW);

  // Vertical layout: title, note, legend rows, groups, axis.
  const out: string[] = [];
  let y = 24;
  out.push(`<text x="12" y="${y}" font-size="15" font-weight="600" fill="${INK}">${esc(spec.title)}</text>`);
  if (spec.note) {
    y += 18;
    out.push(`<text x="12" y="${y}" font-size="12" fill="${FAINT}">${esc(spec.note)}</text>`);
  }
  // The legend: the series with a figure, then the marks' name; wrapped at the right edge.
  const shown = spec.series.filter((s) => bars.some((b) => b.series === s));
  const entries = [...shown, ...(spec.markName && marks.length ? [spec.markName] : [])];
  y += 22;
  let lx = left;
  entries.forEach((s, i) => {
    const w = 18 + textWidth(s, 12) + 18;
    if (lx + w > width - 10 && lx > left) {
      lx = left;
      y += 18;
    }
    if (i < shown.length) out.push(`<rect x="${num(lx)}" y="${y - 10}" width="12" height="12" fill="${colour(s)}"/>`);
    else out.push(`<path d="M${num(lx + 6)} ${y - 11}v14" stroke="${MARK}" stroke-width="2" stroke-dasharray="3 2"/>`);
    out.push(`<text x="${num(lx + 17)}" y="${y}" font-size="12" fill="${INK}">${esc(s)}</text>`);
    lx += w;
  });
  const plotTop = y + 14;
  y = plotTop;
  // Bars and whiskers, then the marks over them, then the texts.
  const body: string[] = [];
  const over: string[] = [];
  const texts: string[] = [];
  groups.forEach((g, gi) => {
    if (gi > 0) body.push(`<line x1="12" x2="${width - 12}" y1="${num(y - GROUP_GAP / 2)}" y2="${num(y - GROUP_GAP / 2)}" stroke="#eaeef2"/>`);
    const h = g.bars.length * (BAR_H + BAR_GAP) - BAR_GAP;
    const markX = g.mark ? left + axis.x(g.mark.ms) : undefined;
    texts.push(`<text x="${left - 8}" y="${num(y + h / 2 + 4)}" font-size="12" text-anchor="end" fill="${INK}">${esc(fit(g.label))}</text>`);
    for (const b of g.bars) {
      const mid = y + BAR_H / 2;
      const w = axis.x(b.ms);
      const tip = `${b.series}, ${g.label}: ${b.text}`;
      body.push(`<rect class="bar" x="${left}" y="${num(y)}" width="${num(w)}" height="${BAR_H}" fill="${colour(b.series)}"><title>${esc(tip)}</title></rect>`);
      if (b.low !== undefined && b.high !== undefined && b.high > b.low) {
        const [x1, x2] = [left + axis.x(b.low), left + axis.x(b.high)];
        body.push(`<path d="M${num(x1)} ${num(mid - 4)}v8M${num(x1)} ${num(mid)}H${num(x2)}M${num(x2)} ${num(mid - 4)}v8" stroke="${INK}" stroke-width="1.2" fill="none"/>`);
      }
      // The figure after the bar (and its whisker), moved past the group's mark when that would cross it.
      let tx = left + axis.x(reach(b)) + 5;
      if (markX !== undefined && markX > tx - 6 && markX < tx + textWidth(b.text, 11) + 2) tx = markX + 5;
      texts.push(`<text x="${num(tx)}" y="${num(mid + 4)}" font-size="11" fill="${INK}">${esc(b.text)}</text>`);
      y += BAR_H + BAR_GAP;
    }
    if (g.mark && markX !== undefined) {
      over.push(`<path d="M${num(markX)} ${num(y - h - BAR_GAP - 3)}V${num(y)}" stroke="${MARK}" stroke-width="2" stroke-dasharray="3 2"><title>${esc(`${spec.markName ?? 'mark'}, ${g.label}: ${g.mark.text}`)}</title></path>`);
    }
    y += GROUP_GAP - BAR_GAP;
  });
  const plotBottom = y - GROUP_GAP / 2;

  // Grid lines under the bars, the axis and its ticks below them.
  const grid: string[] = [];
  for (const t of axis.minor) {
    const x = num(left + axis.x(t));
    grid.push(`<line x1="${x}" x2="${x}" y1="${plotTop - 4}" y2="${num(plotBottom)}" stroke="#eef1f4" stroke-width="1"/>`);
  }
  for (const t of axis.ticks) {
    const x = num(left + axis.x(t));
    grid.push(`<line x1="${x}" x2="${x}" y1="${plotTop - 4}" y2="${num(plotBottom)}" stroke="#d8dee4" stroke-width="1"/>`);
    grid.push(`<text x="${x}" y="${num(plotBottom + 16)}" font-size="11" text-anchor="middle" fill="${FAINT}">${esc(axis.tickText(t))}</text>`);
  }
  grid.push(`<line x1="${left}" x2="${left}" y1="${plotTop - 4}" y2="${num(plotBottom)}" stroke="${FAINT}" stroke-width="1"/>`);
  const height = Math.ceil(plotBottom + 28);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}" ${FONT}>`,
    `<title>${esc(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...out,
    ...grid,
    ...body,
    ...over,
    ...texts,
    '</svg>',
    '',
  ].join('\n');
}
