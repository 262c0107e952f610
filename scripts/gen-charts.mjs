#!/usr/bin/env node
// Writes docs/charts/NAME.svg from each table marked `<!-- chart:NAME:start -->` … `<!-- chart:NAME:end -->` in
// the docs (the list and how a table reads: scripts/charts/). `--check` writes nothing and exits 1 when a chart
// is out of date (for CI and tests). The charts code is TypeScript: esbuild (a dev dependency) bundles it in
// memory, as Node 20 runs no TypeScript.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

const bundle = await build({ entryPoints: [`${root}scripts/charts/doc-charts.ts`], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'error' });
const code = bundle.outputFiles[0]?.text ?? '';
const { DOC_CHARTS, docChartSvg, imageLink } = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);

await mkdir(`${root}docs/charts`, { recursive: true });
const stale = [];
for (const c of DOC_CHARTS) {
  const page = await readFile(`${root}docs/${c.page}`, 'utf8');
  let svg;
  try {
    svg = docChartSvg(page, c);
  } catch (err) {
    process.stderr.write(`gen-charts: docs/${c.page}: ${err.message}\n`);
    process.exit(1);
  }
  if (!page.includes(`<!-- chart:${c.name}:end -->\n\n${imageLink(c)}\n`)) process.stderr.write(`gen-charts: docs/${c.page} should carry, after <!-- chart:${c.name}:end --> and a blank line:\n${imageLink(c)}\n`);
  const file = `${root}docs/charts/${c.name}.svg`;
  const old = await readFile(file, 'utf8').catch(() => '');
  if (old === svg) continue;
  if (check) stale.push(`docs/charts/${c.name}.svg`);
  else await writeFile(file, svg);
}
if (stale.length) {
  process.stderr.write(`gen-charts: out of date: ${stale.join(', ')} (npm run docs:charts)\n`);
  process.exit(1);
}
