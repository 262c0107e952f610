// The docs' charts (docs/charts/*.svg, written by `npm run docs:charts` from the tables marked
// <!-- chart:NAME:start --> … <!-- chart:NAME:end -->): each up to date with its table, linked right after it,
// well-formed XML with one bar per figure of the table, read here independently of the chart code.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DOC_CHARTS, docChartSvg, imageLink } from '../../scripts/charts/doc-charts.js';
import { descendants, parseXml } from '../support/xml.js';
import { markedBlock, tableRows } from './markdown.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFile(`${ROOT}${file}`, 'utf8');

describe.each(DOC_CHARTS.map((c) => [c.name, c] as const))('docs/charts/%s.svg', (name, chart) => {
  it(`is up to date with its table in docs/${chart.page} (npm run docs:charts)`, async () => {
    const committed = await read(`docs/charts/${name}.svg`);
    expect(committed === docChartSvg(await read(`docs/${chart.page}`), chart), `docs/charts/${name}.svg is out of date: run npm run docs:charts`).toBe(true);
  });

  it('is linked right after its table', async () => {
    const link = `<!-- chart:${name}:end -->\n\n${imageLink(chart)}\n`;
    expect((await read(`docs/${chart.page}`)).includes(link), `docs/${chart.page} should carry, after its table:\n${link}`).toBe(true);
  });

  it('is well-formed XML with one bar per figure of the table, each telling that figure', async () => {
    const block = markedBlock(await read(`docs/${chart.page}`), `chart:${name}`);
    const header = (block[0] ?? '').split('|').slice(1, -1).map((c) => c.trim().replace(/\*\*|`/g, ''));
    const figures = tableRows(block).flatMap((row) =>
      chart.chart.series.flatMap((s) => {
        const cell = (row[header.indexOf(s.column)] ?? '').replace(/\([^)]*\)/g, '').trim();
        const side = s.side === undefined ? cell : (cell.split('→')[s.side === 'before' ? 0 : 1] ?? '').trim();
        const figure = /\*\*([\d.]+)\*\*/.exec(side)?.[1] ?? /^[\d.–]+/.exec(side)?.[0];
        return figure === undefined ? [] : [`${s.name ?? s.column}, ${chart.chart.group.map((g) => row[header.indexOf(g)]).join(' · ').replace(/`/g, '')}: ${figure}`];
      }),
    );
    expect(figures.length).toBeGreaterThan(5);
    const bars = descendants(parseXml(await read(`docs/charts/${name}.svg`))).filter((e) => e.name === 'rect' && e.attrs.class === 'bar');
    expect(bars.map((b) => (b.children[0]?.text ?? '').replace(/ m?s$/, ''))).toEqual(figures);
  });
});

describe('npm run docs:charts', () => {
  it('finds every chart up to date (node scripts/gen-charts.mjs --check)', async () => {
    const r = await execa('node', [`${ROOT}scripts/gen-charts.mjs`, '--check'], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
