// The docs' charts (docs/charts/*.svg, written by `npm run docs:charts` from the tables marked
// <!-- chart:NAME:start --> … <!-- chart:NAME:end -->): each up to date with its table, linked right after it,
// well-formed XML with one bar per figure of the table, read here independently of the chart code.
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('--check fails on a stale chart, a plain run brings it up to date, and a cell it cannot read is named', async () => {
    // A copy of the layout the script expects, so the real docs are never touched.
    const copy = await mkdtemp(join(tmpdir(), 'floatd-charts-'));
    try {
      for (const part of ['docs/benchmarks.md', 'docs/mfs.md', 'docs/charts', 'scripts/charts', 'scripts/gen-charts.mjs']) await cp(join(ROOT, part), join(copy, part), { recursive: true });
      await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      const script = join(copy, 'scripts/gen-charts.mjs');
      const page = join(copy, 'docs/benchmarks.md');
      const text = await readFile(page, 'utf8');
      const row = /^\| 1 s \| SIGKILL \| [\d.]+ \/ \*\*([\d.]+)\*\*/m.exec(text);
      expect(row).not.toBeNull();
      await writeFile(page, text.replace(row?.[0] ?? '', (row?.[0] ?? '').replace(`**${row?.[1]}**`, '**1234**')));

      const stale = await execa('node', [script, '--check'], { reject: false });
      expect(stale.exitCode).toBe(1);
      expect(stale.stderr).toBe('gen-charts: out of date: docs/charts/failover.svg (npm run docs:charts)');

      expect((await execa('node', [script], { reject: false })).exitCode).toBe(0);
      expect(await readFile(join(copy, 'docs/charts/failover.svg'), 'utf8')).toContain('floatd, 1 s · SIGKILL: 1234 ms');
      expect((await execa('node', [script, '--check'], { reject: false })).exitCode).toBe(0);

      await writeFile(page, text.replace(row?.[0] ?? '', (row?.[0] ?? '').replace(`**${row?.[1]}**`, '**soon**')));
      const bad = await execa('node', [script], { reject: false });
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/^gen-charts: docs\/benchmarks\.md: chart "[^"]+", column "floatd": not a figure: "\d+ \/ \*\*soon\*\* \/ \d+"$/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
