// The MooseFS bench's figures as markdown tables and the chart of its medians; pure functions of the runs.
import { barChart } from '../charts/bar-chart.js';
import { readTable, tableChart } from '../charts/table-chart.js';
import { summarize } from '../bench/stats.js';
import type { Figures, TrialSpec } from './trial.js';

// The best failover reported for the classic ucarp recipe (docs/mfs.md).
const CLASSIC_MS = 7000;

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
const markdownTable = (rows: string[][]) => rows.map((r) => `| ${r.join(' | ')} |`).join('\n');

// Every run's figures, one row a run and fault.
export function table(rows: Figures[]): string {
  const head = ['trial', 'fault', 'check starts', '(a) VIP', '(b) serving', 'mfscli via VIP', 'gate open', '(c) client meta', '(d) client read', '(d) − (c)', 'old stop', '(d) / 7 s'];
  const body = rows.map((f) => [f.label, f.kind, s(f.checkStart), s(f.vip), s(f.serving), s(f.cs), s(f.gateOpen), s(f.meta), s(f.read), f.meta === undefined || f.read === undefined ? '—' : s(f.read - f.meta), s(f.oldStop), ratio(Math.max(f.meta ?? 0, f.read ?? 0) || undefined)]);
  return markdownTable([head, head.map(() => '---'), ...body]);
}

// Medians over the repetitions of one spec and fault, each client figure beside its target.
export function medians(spec: TrialSpec, kind: Figures['kind'], runs: Figures[]): string[] {
  const med = (k: keyof Figures) => summarize(runs.map((f) => f[k]).filter((v): v is number => typeof v === 'number'))?.median;
  const oldStop = med('oldStop');
  const target = targetMs({ kind, oldStop }, spec.advbase);
  const [meta, read] = [med('meta'), med('read')];
  return [`${spec.label}${spec.gate === false ? ', gate off' : ''} (n=${runs.length})`, kind, s(med('vip')), s(med('gateOpen')), s(meta), s(read), s(target), `${verdict(meta, target)} / ${verdict(read, target)}`, ratio(Math.max(meta ?? 0, read ?? 0) || undefined)];
}

export const MEDIANS_TITLE = 'Medians beside the targets (crash: ≤ 3.7 s at -b 0.3, ≤ 6.2 s at -b 1; graceful: ≤ old mfsmaster stop + 1.5 s)';

export function mediansTable(summary: string[][]): string {
  const head = ['trial', 'fault', '(a) VIP', 'gate open', '(c) client meta', '(d) client read', 'target', 'meta / read', 'worst / 7 s'];
  return markdownTable([head, head.map(() => '---'), ...summary]);
}

// The medians as bars: the VIP, the gate, the client's metadata operation and data read; the target as a mark.
const CHART_TITLE = 'MooseFS failover: from the fault to the client served again';
export function mediansChart(medians: string): string {
  return barChart(tableChart(readTable(medians.split('\n')), {
    title: CHART_TITLE,
    note: 'Medians, from the fault. Target: crash ≤ 3.7 s at -b 0.3, ≤ 6.2 s at -b 1; graceful ≤ the old mfsmaster\'s stop + 1.5 s.',
    group: ['trial', 'fault'],
    series: [{ column: '(a) VIP', name: 'VIP on the new master' }, { column: 'gate open' }, { column: '(c) client meta', name: 'client metadata op' }, { column: '(d) client read', name: 'client data read' }],
    mark: { column: 'target', name: 'target' },
    unit: 's',
  }));
}

// The run as a page: every run, then the medians and their chart (`chartFile`, written beside the page).
export function mfsMarkdown(startedAt: string, all: Figures[], summary: string[][], chartFile: string | undefined): string {
  return [
    `# MooseFS failover bench — ${startedAt}`,
    '',
    '## Every run, from the fault (host death: link cut + SIGKILL; graceful: SIGTERM with -z)',
    '',
    table(all),
    '',
    `## ${MEDIANS_TITLE}`,
    '',
    mediansTable(summary),
    '',
    ...(chartFile === undefined ? [] : [`![${CHART_TITLE}](${chartFile})`, '']),
  ].join('\n');
}
