// The bench's results as markdown tables and as target verdicts; pure functions of the results.
import type { Impl } from './agents.js';
import type { Machine } from './preflight.js';
import type { PartitionResult } from './partition.js';
import { QUORUM_VARIANT } from './group.js';
import { partitionTable, partitionVerdict, samplerNote } from './partition-report.js';
import { failoverVerdicts } from './failover-verdicts.js';
import { stepTable } from './steps.js';
import { ms, ratio, summarize, type Summary } from './stats.js';
import type { StartResult } from './start.js';
import type { IdleResult, RobustResult } from './steady.js';
import type { Fault, TrialResult } from './trial.js';

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  quick: boolean;
  reps: number;
  probeEveryMs: number;
  machine: Machine;
  starts: StartResult[];
  trials: TrialResult[];
  partitions: PartitionResult[];
  idle: IdleResult[];
  robustness: RobustResult[];
  errors: string[];
}

export interface Verdict {
  target: string;
  measured: string;
  met: boolean | undefined; // undefined: not measured in this run
}

const IMPLS: readonly Impl[] = ['floatd', 'ucarp', 'keepalived'];
const FAULT_NAMES: Record<Fault, string> = { kill: 'SIGKILL', cut: 'link cut', stop: 'graceful stop' };


function cell(s: Summary | undefined, failed = 0): string {
  const f = failed > 0 ? ` (${failed} failed)` : '';
  return s ? `${ms(s.min)} / **${ms(s.median)}** / ${ms(s.max)}${f}` : failed > 0 ? `–${f}` : '';
}

// The ratio of medians, and in brackets the ratio of means.
function x(a: Summary | undefined, b: Summary | undefined): string {
  const m = ratio(a, b);
  const avg = ratio(a, b, 'mean');
  return m === undefined || avg === undefined ? '' : `${m.toFixed(2)}× (${avg.toFixed(2)}×)`;
}

const interval = (t: { advbaseS: number; variant?: string }) => `${t.advbaseS} s${t.variant ? ` (${t.variant})` : ''}`;

// Trials grouped by interval/variant, in the order they first appear.
function groups(trials: readonly TrialResult[]): { advbaseS: number; variant?: string; trials: TrialResult[] }[] {
  const out = new Map<string, { advbaseS: number; variant?: string; trials: TrialResult[] }>();
  for (const t of trials) {
    const key = interval(t);
    if (!out.has(key)) out.set(key, { advbaseS: t.advbaseS, ...(t.variant ? { variant: t.variant } : {}), trials: [] });
    out.get(key)?.trials.push(t);
  }
  return [...out.values()];
}

function pick(trials: readonly TrialResult[], impl: Impl, fault: Fault, field: 'failoverMs' | 'vipAddedMs'): { s: Summary | undefined; failed: number } {
  const mine = trials.filter((t) => t.impl === impl && t.fault === fault);
  const values = mine.filter((t) => t.error === undefined).flatMap((t) => (t[field] === undefined ? [] : [t[field]]));
  return { s: summarize(values), failed: mine.filter((t) => t.error !== undefined).length };
}

export function failoverTable(trials: readonly TrialResult[], field: 'failoverMs' | 'vipAddedMs' = 'failoverMs'): string {
  const rows = ['| interval | fault | floatd | ucarp | keepalived | floatd/ucarp | floatd/keepalived |', '|---|---|---|---|---|---|---|'];
  for (const g of groups(trials)) {
    for (const fault of Object.keys(FAULT_NAMES) as Fault[]) {
      const c = Object.fromEntries(IMPLS.map((i) => [i, pick(g.trials, i, fault, field)])) as Record<Impl, ReturnType<typeof pick>>;
      if (IMPLS.every((i) => !c[i].s && c[i].failed === 0)) continue;
      rows.push(`| ${interval(g)} | ${FAULT_NAMES[fault]} | ${IMPLS.map((i) => cell(c[i].s, c[i].failed)).join(' | ')} | ${x(c.floatd.s, c.ucarp.s)} | ${x(c.floatd.s, c.keepalived.s)} |`);
    }
  }
  return rows.join('\n');
}

export function startTable(starts: readonly StartResult[], trials: readonly TrialResult[]): string {
  const rows = [
    '| agent | interval | election, all spawned at once, ms | two VIP holders then, ms (median / max) | target | preferred node won | two holders, staggered start, ms (max) | two holders after link cut / graceful stop, ms (max) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  // Pairs (and their failover trials) by agent and interval; three-node starts in rows of their own.
  const keyOf = (t: { impl: Impl; advbaseS: number; nodes?: number; variant?: string }) => `${t.impl}@${t.advbaseS}@${t.nodes ?? 2}@${t.variant ?? ''}`;
  const keys = [...new Set([...starts, ...trials].map(keyOf))];
  for (const key of keys) {
    const of = <T extends { impl: Impl; advbaseS: number; error?: string }>(list: readonly T[]) => list.filter((t) => keyOf(t) === key && t.error === undefined);
    const s = of(starts);
    const tr = of(trials).filter((t) => t.variant === undefined);
    const first = s[0] ?? tr[0];
    if (!first) continue;
    const nodes = s[0]?.nodes ?? 2;
    const agent = `${first.impl}${nodes === 2 ? '' : `, ${nodes} nodes`}${s[0]?.variant ? `, ${s[0].variant}` : ''}`;
    const max = (values: (number | undefined)[]) => summarize(values.filter((v): v is number => v !== undefined))?.max;
    const two = summarize(s.flatMap((r) => (r.twoHoldersMs === undefined ? [] : [r.twoHoldersMs])));
    const after = (f: Fault) => {
      const list = tr.filter((t) => t.fault === f);
      return list.length ? `${ms(max(list.map((t) => t.faultTwoHoldersMs)))}${list.some((t) => t.stillTwoHolders) ? ' (old master still held it at the end)' : ''}` : '–';
    };
    rows.push(
      `| ${agent} | ${first.advbaseS} s | ${cell(summarize(s.flatMap((r) => (r.electionMs === undefined ? [] : [r.electionMs]))))} | ${two ? `${ms(two.median)} / ${ms(two.max)}` : '–'} | ${s[0]?.variant === QUORUM_VARIANT ? '0' : ''} | ${s.length ? `${s.filter((r) => r.winner === 'h1').length}/${s.length}` : '–'} | ${nodes === 2 ? ms(max(tr.map((t) => t.startTwoHoldersMs))) : '–'} | ${nodes === 2 ? `${after('cut')} / ${after('stop')}` : '–'} |`,
    );
  }
  return rows.join('\n');
}

// One row per pair; floatd's RSS is split into the agent process (RSS, Pss and anonymous RSS: node's
// executable pages are shared between agents started from the same file) and its helper (RSS and Pss: its
// libc pages are shared); docs/benchmarks.md says how they are counted.
export function idleTable(idle: readonly IdleResult[]): string {
  const rows = [
    '| agent | interval | master CPU % | backup CPU % | master RSS MB | backup RSS MB | processes | floatd agent RSS / Pss / anon MB, master; backup | helper RSS / Pss MB, CPU % (master) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const keyOf = (r: IdleResult): string => `${r.impl}@${r.advbaseS}@${r.variant ?? ''}`;
  for (const key of new Set(idle.map(keyOf))) {
    const m = idle.find((r) => keyOf(r) === key && r.role === 'master');
    const b = idle.find((r) => keyOf(r) === key && r.role === 'backup');
    const any = (m ?? b) as IdleResult;
    const pct = (r: IdleResult | undefined) => (r ? `${r.cpuPct.toFixed(3)} (ticks ${r.cpuTicksPct.toFixed(2)})` : '–');
    const mb = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
    const h = m?.helper;
    const own = (r: IdleResult | undefined) => `${mb(r?.agentRssMB)} / ${mb(r?.agentPssMB)} / ${mb(r?.agentAnonMB)}`;
    const agent = any.impl === 'floatd' ? `${own(m)}; ${own(b)}` : '–';
    rows.push(`| ${any.impl}${any.variant ? ` (${any.variant})` : ''} | ${any.advbaseS} s | ${pct(m)} | ${pct(b)} | ${mb(m?.rssMB)} | ${mb(b?.rssMB)} | ${m?.processes ?? '–'} | ${agent} | ${h ? `${mb(h.rssMB)} / ${mb(h.pssMB)}, ${h.cpuPct.toFixed(3)}` : '–'} |`);
  }
  return rows.join('\n');
}

export function robustTable(robust: readonly RobustResult[]): string {
  const rows = ['| condition | agent | interval | seconds | false failovers | two VIP holders, ms | packets dropped |', '|---|---|---|---|---|---|---|'];
  for (const r of robust) {
    rows.push(`| ${r.scenario} | ${r.impl} | ${r.advbaseS} s | ${r.seconds.toFixed(0)} | ${r.error ? `error: ${r.error.split('\n')[0]}` : r.takeovers} | ${ms(r.twoHoldersMs)} | ${r.dropped ?? '–'} |`);
  }
  return rows.join('\n');
}

// The issue's targets, judged on this run's figures.
export function verdicts(r: BenchResults): Verdict[] {
  const ok = r.trials.filter((t) => t.error === undefined);
  const floatd = ok.filter((t) => t.impl === 'floatd' && t.variant === undefined);
  const out: Verdict[] = [];

  out.push(...failoverVerdicts(ok));

  for (const [scenario, b] of [['both cores busy', 0.1], ['20 % loss', 1]] as const) {
    const runs = r.robustness.filter((x) => x.impl === 'floatd' && x.advbaseS === b && x.scenario.startsWith(scenario));
    out.push({
      target: `no false failover: ${scenario} at -b ${b}`,
      measured: runs.map((x) => (x.error ? `error: ${x.error.split('\n')[0]}` : `${x.takeovers} in ${x.seconds.toFixed(0)} s`)).join('; ') || 'not measured',
      met: runs.length === 0 ? undefined : runs.every((x) => !x.error && x.takeovers === 0),
    });
  }

  const floatdStarts = r.starts.filter((t) => t.impl === 'floatd' && t.nodes === 2 && t.error === undefined);
  const startMax = Math.max(...floatd.map((t) => t.startTwoHoldersMs ?? 0), ...floatdStarts.map((t) => t.twoHoldersMs ?? 0));
  const faultMax = Math.max(...floatd.filter((t) => t.fault !== 'kill').map((t) => t.faultTwoHoldersMs ?? 0));
  out.push({
    target: 'zero time with two VIP holders at start and after every fault but SIGKILL',
    measured: floatd.length ? `max ${ms(startMax)} ms at start, ${ms(faultMax)} ms after link cut / graceful stop` : 'not measured',
    met: floatd.length ? startMax === 0 && faultMax === 0 : undefined,
  });

  const quorumStarts = r.starts.filter((t) => t.impl === 'floatd' && t.variant === QUORUM_VARIANT);
  const quorumOk = quorumStarts.filter((t) => t.error === undefined);
  const quorumMax = Math.max(...quorumOk.map((t) => t.twoHoldersMs ?? Infinity));
  const quorumFailed = quorumStarts.length - quorumOk.length;
  out.push({
    target: `3 nodes started together: zero time with two VIP holders (floatd ${QUORUM_VARIANT})`,
    measured: quorumStarts.length ? `max ${quorumOk.length ? ms(quorumMax) : '–'} ms over ${quorumOk.length} starts${quorumFailed ? `, ${quorumFailed} failed` : ''}` : 'not measured',
    met: quorumStarts.length ? quorumFailed === 0 && quorumMax === 0 : undefined,
  });
  out.push(partitionVerdict(r.partitions));

  // The RSS target is the single binary's, compared on the agent process; the helper, which the
  // target predates, is shown beside it and in the total.
  const idle = r.idle.filter((i) => i.impl === 'floatd');
  const bin = idle.filter((i) => i.variant === 'single binary' && i.agentRssMB !== undefined);
  const agentRss = Math.max(...bin.map((i) => i.agentRssMB ?? Infinity));
  const helper = Math.max(...bin.map((i) => i.helper?.rssMB ?? 0));
  const helperPss = Math.max(...bin.map((i) => i.helper?.pssMB ?? 0));
  const agentPss = Math.max(...bin.map((i) => i.agentPssMB ?? 0));
  const agentAnon = Math.max(...bin.map((i) => i.agentAnonMB ?? 0));
  const total = Math.max(...bin.map((i) => i.rssMB));
  out.push({
    target: 'idle RSS < 50 MB (single binary, the agent process)',
    measured: bin.length ? `max ${agentRss.toFixed(1)} MB (Pss ${agentPss.toFixed(1)}, anonymous ${agentAnon.toFixed(1)}); helper ${helper.toFixed(1)} MB RSS (Pss ${helperPss.toFixed(1)}); agent + helper ${total.toFixed(1)} MB` : 'not measured',
    met: bin.length ? agentRss < 50 : undefined,
  });
  for (const [b, limit] of [[1, 0.1], [0.1, 1]] as const) {
    const at = idle.filter((i) => i.advbaseS === b);
    const cpu = Math.max(...at.map((i) => i.cpuPct));
    out.push({ target: `idle CPU < ${limit} % of a core at -b ${b}`, measured: at.length ? `max ${cpu.toFixed(3)} %` : 'not measured', met: at.length ? cpu < limit : undefined });
  }
  return out;
}

export function verdictTable(v: readonly Verdict[]): string {
  const word = (m: boolean | undefined) => (m === undefined ? 'not measured' : m ? 'met' : '**missed**');
  return ['| target | measured | verdict |', '|---|---|---|', ...v.map((x) => `| ${x.target} | ${x.measured} | ${word(x.met)} |`)].join('\n');
}

const STEP_NOTE = [
  "floatd's steps come from both agents' JSON lines: their wall `time` (Date.now(), 1 ms resolution, taken as the middle of",
  "its ms) on the bench's clock; 'deadline' is the claim less the `timerLateMs` it logged. floatd's kernel channel sends the",
  "gratuitous ARP before it answers the add, so 'VIP added' includes it; with `--vip-path spawn` the arping comes after it.",
  "keepalived's (`-l`, no `-D`) are the times the bench read its console lines, and the VIP from the address monitor (both",
  'read by the bench, up to a few ms late). A step is the median over the trials of the time since the previous step that',
  'the same trial logged; the sum of the medians need not equal the median of the totals.',
].join('\n');

// `images`: the markdown image line of a table's chart (report-charts.ts), put right after the table.
export function markdown(r: BenchResults, images: Readonly<Partial<Record<'failover' | 'vip-added' | 'partition', string>>> = {}): string {
  const m = r.machine;
  const load = summarize(r.trials.flatMap((t) => (t.load1 === undefined ? [] : [t.load1])));
  const loadNote = load ? ` 1-minute load average during the trials ${load.min.toFixed(1)}–${load.max.toFixed(1)} (median ${load.median.toFixed(1)}).` : '';
  // A section only for the cases this run measured (BENCH_ONLY).
  const section = (has: boolean, title: string, ...body: (string | undefined)[]) => (has ? [`## ${title}`, '', ...body.flatMap((b) => (b === undefined ? [] : [b, '']))] : []);
  return [
    `# floatd bench — ${r.startedAt}`,
    '',
    `floatd ${m.floatd}; ${m.cores} cores (${m.cpu}), Linux ${m.kernel}, Node ${m.node}, ${m.ucarp}, ${m.keepalived}; ${r.reps} repetitions${r.quick ? ', quick mode' : ''}; probe every ${r.probeEveryMs} ms; packet loss: ${m.lossNote}. Run took ${Math.round(r.seconds)} s.${loadNote}`,
    '',
    ...section(r.trials.length > 0, "Failover as the client sees it: fault → first answer from the new master's MAC (ms, min / **median** / max; ratios of medians, of means in brackets)", failoverTable(r.trials), images.failover),
    ...section(r.trials.length > 0, 'Fault → the new master has added the VIP (address monitor; ms)', failoverTable(r.trials, 'vipAddedMs'), images['vip-added']),
    ...section(r.trials.length > 0, 'Where the failover time goes: per step, from the fault to the client answering on the new master', STEP_NOTE, stepTable(r.trials)),
    ...section(r.starts.length + r.trials.length > 0, 'Start and VIP holders', startTable(r.starts, r.trials)),
    ...section(r.partitions.length > 0, 'Partition: the master cut off from the other two, then healed (ms, min / **median** / max)', samplerNote(r.partitions), partitionTable(r.partitions), images.partition),
    ...section(r.idle.length > 0, 'Idle, settled pair (CPU: % of one core, on-CPU time of all threads; ticks: utime+stime)', idleTable(r.idle)),
    ...section(r.robustness.length > 0, 'False failovers', robustTable(r.robustness)),
    '## Targets',
    '',
    verdictTable(verdicts(r)),
    ...(r.errors.length ? ['', '## Errors', '', ...r.errors.map((e) => `- ${e.split('\n')[0]}`)] : []),
    '',
  ].join('\n');
}
