// `npm run bench:mfs`: MooseFS master failovers driven by floatd in the namespace lab, from
// the fault to (a) the VIP on the new master, (b) mfsmaster serving, (c) the client's next metadata operation and
// (d) its next data read, and when the chunkserver was registered with the new master, with each hook's duration;
// for a host death and a graceful switchover (SIGTERM, -z), both strategies, -b 1 and -b 0.3, BENCH_REPEAT times
// each (default 3), and two variants (VIP before mfsmaster; client mount options). Prints figures, medians and
// each median beside its target; asserts nothing.
import { it } from 'vitest';
import { unavailable } from '../../test/e2e/mfs-lab.js';
import { summarize } from '../bench/stats.js';
import { runTrial, type Figures, type TrialSpec } from './trial.js';

// The best failover reported for the classic ucarp recipe (docs/mfs.md).
const CLASSIC_MS = 7000;
const QUICK = process.env.BENCH_QUICK === '1';
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? '3') || 3);
// BENCH_MFS_GATE=no runs every trial with the pack's client gate off (MFS_CLIENT_GATE=no), for a before/after.
const GATE = process.env.BENCH_MFS_GATE !== 'no';

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

// The targets (docs/mfs.md): after a host death the client's operations come back at mfsmount's first retry step after
// the new master listens that the detection time allows (3.2 s at -b 0.3 → ≤ 3.7 s; 6.2 s at -b 1); after a
// graceful -z handover the client pauses at most the old mfsmaster's own stop time + 1.5 s.
function targetMs(f: Pick<Figures, 'kind' | 'oldStop'>, advbase: number): number | undefined {
  if (f.kind === 'crash') return advbase <= 0.3 ? 3700 : 6200;
  return f.oldStop === undefined ? undefined : f.oldStop + 1500;
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / CLASSIC_MS).toFixed(2)}×`);
const verdict = (ms: number | undefined, target: number | undefined) => (ms === undefined || target === undefined ? '—' : ms <= target ? 'met' : `missed by ${s(ms - target)}`);

function table(rows: Figures[]): string {
  const head = ['trial', 'fault', 'check starts', '(a) VIP', '(b) serving', 'mfscli via VIP', 'gate open', '(c) client meta', '(d) client read', '(d) − (c)', 'old stop', '(d) / 7 s'];
  const body = rows.map((f) => [f.label, f.kind, s(f.checkStart), s(f.vip), s(f.serving), s(f.cs), s(f.gateOpen), s(f.meta), s(f.read), f.meta === undefined || f.read === undefined ? '—' : s(f.read - f.meta), s(f.oldStop), ratio(Math.max(f.meta ?? 0, f.read ?? 0) || undefined)]);
  return [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

// Medians over the repetitions of one spec and fault, each client figure beside its target.
function medians(spec: TrialSpec, kind: Figures['kind'], runs: Figures[]): string[] {
  const med = (k: keyof Figures) => summarize(runs.map((f) => f[k]).filter((v): v is number => typeof v === 'number'))?.median;
  const oldStop = med('oldStop');
  const target = targetMs({ kind, oldStop }, spec.advbase);
  const [meta, read] = [med('meta'), med('read')];
  return [`${spec.label}${spec.gate === false ? ', gate off' : ''} (n=${runs.length})`, kind, s(med('vip')), s(med('gateOpen')), s(meta), s(read), s(target), `${verdict(meta, target)} / ${verdict(read, target)}`, ratio(Math.max(meta ?? 0, read ?? 0) || undefined)];
}

it.skipIf(unavailable !== undefined)(`MooseFS failover bench${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
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
  const head = ['trial', 'fault', '(a) VIP', 'gate open', '(c) client meta', '(d) client read', 'target', 'meta / read', 'worst / 7 s'];
  console.log(`\n# Medians beside the targets (crash: ≤ 3.7 s at -b 0.3, ≤ 6.2 s at -b 1; graceful: ≤ old mfsmaster stop + 1.5 s)\n${[head, head.map(() => '---'), ...summary].map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
});
