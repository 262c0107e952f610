// `npm run bench:mfs` (issue 7 §5): MooseFS master failovers driven by floatd in the namespace lab, from the fault
// to (a) the VIP on the new master, (b) mfsmaster serving, (c) the client's next metadata operation and (d) its
// next data read, with each hook's duration; for a host death and a graceful switchover (SIGTERM, -z), both
// strategies, -b 1 and -b 0.3, and two variants (VIP before mfsmaster; client mount options). Prints figures only.
import { it } from 'vitest';
import { unavailable } from '../../test/e2e/mfs-lab.js';
import { runTrial, type Figures, type TrialSpec } from './trial.js';

// The classic ucarp recipe's best reported failover (issue 7).
const CLASSIC_MS = 7000;
const QUICK = process.env.BENCH_QUICK === '1';

const SPECS: TrialSpec[] = [
  { label: 'metalogger -b 1', strategy: 'metalogger', advbase: 1 },
  { label: 'metalogger -b 0.3', strategy: 'metalogger', advbase: 0.3 },
  { label: 'shared -b 1', strategy: 'shared', advbase: 1 },
  { label: 'shared -b 0.3', strategy: 'shared', advbase: 0.3 },
  ...(QUICK ? [] : [
    { label: 'metalogger -b 1, VIP first', strategy: 'metalogger', advbase: 1, vipFirst: true },
    { label: 'metalogger -b 1, mfsioretries=5', strategy: 'metalogger', advbase: 1, mountOptions: ['mfsioretries=5'] },
  ] satisfies TrialSpec[]),
];

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / CLASSIC_MS).toFixed(2)}×`);

function table(rows: Figures[]): string {
  const head = ['trial', 'fault', 'check starts', '(a) VIP', '(b) serving', '(c) client meta', '(d) client read', '(d) / 7 s'];
  const body = rows.map((f) => [f.label, f.kind, s(f.checkStart), s(f.vip), s(f.serving), s(f.meta), s(f.read), ratio(Math.max(f.meta ?? 0, f.read ?? 0) || undefined)]);
  return [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

it.skipIf(unavailable !== undefined)(`MooseFS failover bench${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
  const all: Figures[] = [];
  for (const spec of SPECS) {
    const started = Date.now();
    try {
      const got = await runTrial(spec);
      all.push(...got);
      console.log(`\n## ${spec.label} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      for (const f of got) console.log(`### ${f.kind}\n${f.hooks.join('\n')}`);
      console.log(table(got));
    } catch (err) {
      console.log(`\n## ${spec.label}: could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  console.log(`\n# MooseFS failover, from the fault (host death: link cut + SIGKILL; graceful: SIGTERM with -z)\n${table(all)}`);
});
