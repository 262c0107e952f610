// `npm run bench:mfs`: MooseFS master failovers driven by floatd in the namespace lab, from
// the fault to (a) the VIP on the new master, (b) mfsmaster serving, (c) the client's next metadata operation and
// (d) its next data read, and when the chunkserver was registered with the new master, with each hook's duration;
// for a host death and a graceful switchover (SIGTERM, -z), both strategies, -b 1 and -b 0.3, BENCH_REPEAT times
// each (default 3), and two variants (VIP before mfsmaster; client mount options). Prints figures, medians and
// each median beside its target, and writes them with a chart of the medians to bench-results/; asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { unavailable } from '../../test/e2e/mfs-lab.js';
import { medians, MEDIANS_TITLE, mediansChart, mediansTable, mfsMarkdown, table } from './report.js';
import { runTrial, type Figures, type TrialSpec } from './trial.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? '3') || 3);
// BENCH_MFS_GATE=no runs every trial with the pack's client gate off (MFS_CLIENT_GATE=no), for a before/after.
const GATE = process.env.BENCH_MFS_GATE !== 'no';
const RESULTS_DIR = fileURLToPath(new URL('../../bench-results/', import.meta.url));

const SPECS: TrialSpec[] = [
  { label: 'metalogger -b 1', strategy: 'metalogger', advbase: 1, gate: GATE },
  { label: 'metalogger -b 0.3', strategy: 'metalogger', advbase: 0.3, gate: GATE },
  { label: 'shared -b 1', strategy: 'shared', advbase: 1, gate: GATE },
  { label: 'shared -b 0.3', strategy: 'shared', advbase: 0.3, gate: GATE },
  ...(QUICK ? [] : [
    { label: 'metalogger -b 1, VIP first', strategy: 'metalogger', advbase: 1, vipFirst: true },
    { label: 'metalogger -b 1, mfsioretries=5', strategy: 'metalogger', advbase: 1, mountOptions: ['mfsioretries=5'] },
  ] satisfies TrialSpec[]),
];

it.skipIf(unavailable !== undefined)(`MooseFS failover bench${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
  const startedAt = new Date().toISOString();
  const all: Figures[] = [];
  const summary: string[][] = [];
  for (const spec of SPECS) {
    const got: Figures[] = [];
    for (let i = 1; i <= REPEAT; i++) {
      const started = Date.now();
      try {
        const run = await runTrial(spec);
        got.push(...run);
        console.log(`\n## ${spec.label}, run ${i}/${REPEAT} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        for (const f of run) console.log(`### ${f.kind}\n${f.hooks.join('\n')}`);
        console.log(table(run));
      } catch (err) {
        console.log(`\n## ${spec.label}, run ${i}/${REPEAT}: could not run: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    all.push(...got);
    for (const kind of ['crash', 'graceful'] as const) summary.push(medians(spec, kind, got.filter((f) => f.kind === kind)));
  }
  console.log(`\n# MooseFS failover, from the fault (host death: link cut + SIGKILL; graceful: SIGTERM with -z), every run\n${table(all)}`);
  console.log(`\n# ${MEDIANS_TITLE}\n${mediansTable(summary)}`);
  // The page and the chart of its medians in bench-results/, under the run's time and as mfs-latest.
  // A chart that cannot be drawn is said and skipped: the page is written regardless.
  mkdirSync(RESULTS_DIR, { recursive: true });
  let svg: string | undefined;
  try {
    svg = mediansChart(mediansTable(summary));
  } catch (err) {
    console.log(`no chart of the medians: ${(err as Error).message}`);
  }
  for (const name of [`mfs-${startedAt.replace(/[:.]/g, '-')}`, 'mfs-latest']) {
    writeFileSync(join(RESULTS_DIR, `${name}.md`), mfsMarkdown(startedAt, all, summary, svg === undefined ? undefined : `${name}-pauses.svg`));
    if (svg !== undefined) writeFileSync(join(RESULTS_DIR, `${name}-pauses.svg`), svg);
  }
  console.log(`written to ${join(RESULTS_DIR, 'mfs-latest')}{.md,-pauses.svg}`);
});
