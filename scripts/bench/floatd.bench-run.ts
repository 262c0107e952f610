// `npm run bench`: floatd side by side with ucarp and keepalived in the same network-namespace lab, under
// the same faults and timers; prints the figures and writes them to bench-results/. A benchmark, not a
// test: it passes whatever the figures are, and fails only when it cannot run. See docs/benchmarks.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { createLab, type Lab, type LabOptions } from '../../test/support/netns.js';
import { NO_HOOKS_DIR, UCARP_DOWN, UCARP_UP, VIP, writeAgentFiles, type AgentFiles, type Impl } from './agents.js';
import { bridgePort, ClientProbe, PROBE_EVERY_MS } from './lab-tools.js';
import { preflight } from './preflight.js';
import { atExit, installHandlers, stopAll } from './processes.js';
import { group, QUORUM_VARIANT, type GroupConfig } from './group.js';
import { partitionRound, type PartitionResult } from './partition.js';
import { markdown, type BenchResults } from './report.js';
import { reportCharts } from './report-charts.js';
import { ms } from './stats.js';
import { buildBinary, falseFailovers, measureIdle, type IdleConfig } from './steady.js';
import { runStart, type StartResult } from './start.js';
import { FAULTS, pairAsGroup, runTrial, type Fault, type PairConfig, type TrialLab, type TrialResult } from './trial.js';

// Before the first lab: the harness's 'disconnect' handler ends the process, so ours must run first.
installHandlers();

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = positive('BENCH_REPS', QUICK ? 3 : 5);
// How long the false-failover runs last (the issue asks for 60 s).
const SOAK_S = positive('BENCH_SOAK_S', QUICK ? 10 : 60);
// How long idle CPU is measured: schedstat resolves ns, but at 0.1 % of a core the noise of a shared
// machine needs a minute or more (docs/benchmarks.md).
const IDLE_S = positive('BENCH_IDLE_S', 10);
const IDLE_WARM_S = QUICK ? 5 : 10;
const START_REPS = QUICK ? Math.min(REPS, 2) : REPS;
const PARTITION_REPS = QUICK ? Math.min(REPS, 2) : REPS;
// How long the partition lasts (the issue: 10 s).
const CUT_MS = 10_000;
const CASES = ['start', 'failover', 'partition', 'idle', 'false-failover'] as const;
type Case = (typeof CASES)[number];
const ONLY = only('BENCH_ONLY');
const RESULTS_DIR = fileURLToPath(new URL('../../bench-results/', import.meta.url));

// The preferred node has -k 0, the backup -k 10 (as the issue asks); keepalived's priorities are derived
// from floatd's own timing code so that both backups wait exactly as long (agents.ts).
const pair = (impl: Impl, advbaseS: number, backupSkew: number, variant?: string, floatdArgs?: string[]): PairConfig => ({
  impl,
  advbaseS,
  master: { advbaseS, advskew: 0 },
  backup: { advbaseS, advskew: backupSkew },
  ...(variant ? { variant } : {}),
  ...(floatdArgs ? { floatdArgs } : {}),
});

interface Step {
  configs: PairConfig[];
  faults: readonly Fault[];
}

// floatd with ip(8) and arping(8) per change beside the kernel channel (the default), in the same rotation:
// what the channel gains, measured in the same run.
const SPAWN = pair('floatd', 0.1, 10, '--vip-path spawn', ['--vip-path', 'spawn']);
const AT_01: PairConfig[] = [pair('floatd', 0.1, 10), SPAWN, pair('keepalived', 0.1, 10)];
// The graceful stop without the trivial up.d/down.d hooks (keepalived runs no script either): what the down
// hook, run before the VIP goes, costs. The later --hooks-dir wins: an empty directory.
const NO_HOOKS = pair('floatd', 0.1, 10, 'no hooks', ['--hooks-dir', NO_HOOKS_DIR]);
// ucarp's way: no hooks directory, the vip-up and vip-down scripts ucarp runs here (-u before the VIP is
// added, -d before it is removed), so each graceful stop runs both, one on each host.
const SCRIPTS = pair('floatd', 0.1, 10, '-u/-d scripts', ['--hooks-dir', NO_HOOKS_DIR, '-u', UCARP_UP, '-d', UCARP_DOWN]);
// BENCH_FAULTS=stop and BENCH_INTERVALS=0.1: only those faults and advert intervals of the failover case.
const FAULT_FILTER = listOf('BENCH_FAULTS', FAULTS);
const INTERVAL_FILTER: Set<string> = listOf('BENCH_INTERVALS', ['1', '0.1', '0.01']);

const FULL: Step[] = [
  { configs: (['floatd', 'ucarp', 'keepalived'] as const).map((i) => pair(i, 1, 10)), faults: FAULTS },
  { configs: AT_01, faults: FAULTS },
  { configs: (['floatd', 'keepalived'] as const).map((i) => pair(i, 0.01, 10)), faults: FAULTS },
  // How much of floatd's crash failover comes from its extra advert copies (the dead timer restarts on each).
  { configs: [0.1, 0.01].map((b) => pair('floatd', b, 10, '--advert-copies 1', ['--advert-copies', '1'])), faults: ['kill'] },
  { configs: [NO_HOOKS, SCRIPTS], faults: ['stop'] },
];
const QUICK_STEPS: Step[] = [
  { configs: (['floatd', 'ucarp'] as const).map((i) => pair(i, 1, 10)), faults: ['kill'] },
  { configs: AT_01, faults: FAULTS },
  { configs: [NO_HOOKS, SCRIPTS], faults: ['stop'] },
];
// Three nodes; floatd with --nodes 3 runs with a quorum (the default once the voters are known, docs/election.md),
// and floatd without it (quorum off, today's behaviour with multicast) for reference.
const trio = (b: number, impls: readonly ('floatd-quorum' | 'floatd' | 'ucarp' | 'keepalived')[]): GroupConfig[] =>
  impls.map((i) =>
    i === 'floatd-quorum' ? group('floatd', b, 3, QUORUM_VARIANT, ['--nodes', '3'])
    : i === 'floatd' ? group('floatd', b, 3, 'quorum off (no --nodes)')
    : group(i, b, 3),
  );
const GROUP_STARTS: GroupConfig[] = QUICK ? trio(1, ['floatd-quorum', 'ucarp', 'keepalived']) : [...trio(1, ['floatd-quorum', 'ucarp', 'keepalived']), ...trio(0.1, ['floatd-quorum', 'keepalived'])];
// One list per round: a round runs its configs side by side, and they share the advert interval.
const PARTITIONS: GroupConfig[][] = QUICK
  ? [trio(1, ['floatd-quorum', 'floatd', 'ucarp', 'keepalived'])]
  : [trio(1, ['floatd-quorum', 'floatd', 'ucarp', 'keepalived']), trio(0.1, ['floatd-quorum', 'floatd', 'keepalived'])];
const IDLE = [pair('floatd', 1, 10), pair('ucarp', 1, 10), pair('keepalived', 1, 10), pair('floatd', 0.1, 10), pair('keepalived', 0.1, 10)];

const say = (line: string): void => void process.stdout.write(`${line}\n`);

it('floatd against ucarp and keepalived', async () => {
  const startedAt = new Date();
  const t0 = performance.now();
  const machine = await preflight(say, { cuts: ONLY.has('partition') });
  say(`bench: floatd ${machine.floatd}; ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}, ${machine.ucarp}, ${machine.keepalived}; ${REPS} repetitions${QUICK ? ' (quick)' : ''}; cases: ${[...ONLY].join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'floatd-bench-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    seconds: 0,
    quick: QUICK,
    reps: REPS,
    probeEveryMs: PROBE_EVERY_MS,
    machine,
    starts: [],
    trials: [],
    partitions: [],
    idle: [],
    robustness: [],
    errors: [],
  };
  try {
    const files = writeAgentFiles(dir);
    const steps = (QUICK ? QUICK_STEPS : FULL)
      .map((st) => ({ configs: st.configs.filter((c) => INTERVAL_FILTER.has(String(c.advbaseS))), faults: st.faults.filter((f) => FAULT_FILTER.has(f)) }))
      .filter((st) => st.configs.length > 0 && st.faults.length > 0);
    if (ONLY.has('start') || ONLY.has('failover')) {
      await inLab({ hosts: 2, observer: true }, async (lab) => {
        const probe = new ClientProbe(lab.host('obs'), VIP);
        const ports = new Map(await Promise.all(lab.hosts.map(async (h) => [h.name, await bridgePort(lab, h)] as const)));
        // Variants are left out of the starts: their start is the same.
        const pairs = steps.flatMap((s) => s.configs).filter((c) => c.variant === undefined).map(pairAsGroup);
        if (ONLY.has('start')) results.starts = await starts(lab, pairs, files, results.errors);
        if (ONLY.has('failover')) results.trials = await failovers({ lab, probe, files, ports }, steps, results.errors);
        await probe.stop();
      }, results.errors);
    }
    if (ONLY.has('start')) await inLab({ hosts: 3 }, async (lab) => void results.starts.push(...(await starts(lab, GROUP_STARTS, files, results.errors))), results.errors);
    if (ONLY.has('partition')) results.partitions = await partitions(files, results.errors);

    if (ONLY.has('idle')) {
      // The single binary beside node dist/cli.js: the same code, but its own start-up and memory.
      let binary: IdleConfig[] = [];
      try {
        binary = [{ ...pair('floatd', 1, 10, 'single binary'), program: [buildBinary(dir)] }];
      } catch (err) {
        results.errors.push(`idle: ${(err as Error).message}`);
      }
      const idle = [...binary, ...IDLE];
      say(`idle: ${idle.length} settled pairs side by side, ${IDLE_WARM_S} s to warm up, then ${IDLE_S} s measured`);
      results.idle = await measureIdle(idle, files, IDLE_S, IDLE_WARM_S).catch((err: Error) => (results.errors.push(`idle: ${err.message}`), []));
    }
    if (ONLY.has('false-failover')) {
      if (machine.loss) {
        say(`false failovers: 20 % loss on the master's egress at -b 1 for ${SOAK_S} s`);
        const loss = { percent: 20, method: machine.loss };
        const lossPairs = (['floatd', 'ucarp', 'keepalived'] as const).map((i) => pair(i, 1, 10));
        results.robustness.push(...(await falseFailovers('20 % loss', lossPairs, files, SOAK_S, { loss }).catch((err: Error) => (results.errors.push(`loss: ${err.message}`), []))));
      } else results.errors.push(`loss: ${machine.lossNote}`);
      say(`false failovers: both cores busy at -b 0.1 for ${SOAK_S} s`);
      const busyPairs = (['floatd', 'keepalived'] as const).map((i) => pair(i, 0.1, 10));
      results.robustness.push(...(await falseFailovers('both cores busy', busyPairs, files, SOAK_S, { busyCores: machine.cores }).catch((err: Error) => (results.errors.push(`busy: ${err.message}`), []))));
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    forget();
  }

  results.finishedAt = new Date().toISOString();
  results.seconds = (performance.now() - t0) / 1000;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  // A chart per timing table beside the markdown (NAME-failover.svg, …), linked right after its table.
  const { charts, errors } = reportCharts(results);
  results.errors.push(...errors);
  let md = '';
  for (const name of [`bench-${stamp}`, 'latest']) {
    const file = (chart: string) => `${name}-${chart}.svg`;
    writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    md = markdown(results, Object.fromEntries(charts.map((c) => [c.name, c.link(file(c.name))])));
    writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
    for (const c of charts) writeFileSync(join(RESULTS_DIR, file(c.name)), c.svg);
  }
  say(`\n${md}\nwritten to ${join(RESULTS_DIR, `bench-${stamp}`)}{${['.json', '.md', ...charts.map((c) => `-${c.name}.svg`)].join(',')}} and latest{…}`);
}, 45 * 60_000);

// One lab for a series of trials (two hosts and an observer for the pairs, three hosts for the three-node
// starts); torn down whatever happens.
async function inLab(opts: LabOptions, body: (lab: Lab) => Promise<void>, errors: string[]): Promise<void> {
  const lab = await createLab(opts);
  try {
    await body(lab);
  } finally {
    await lab.teardown();
  }
  const left = lab.leftovers();
  if (left.length) errors.push(`lab ${lab.prefix} left behind: ${left.join(', ')}`);
}

// Every agent of a group spawned at once, every kind and interval in turn.
async function starts(lab: Lab, configs: readonly GroupConfig[], files: AgentFiles, errors: string[]): Promise<StartResult[]> {
  const out: StartResult[] = [];
  for (let rep = 1; rep <= START_REPS; rep++) {
    for (const cfg of rep % 2 === 1 ? configs : [...configs].reverse()) {
      const r = await runStart(lab, cfg, files, rep);
      out.push(r);
      const what = `start ${cfg.nodes.length} × ${cfg.impl}${cfg.variant ? ` ${cfg.variant}` : ''} -b ${cfg.advbaseS} #${rep}`;
      if (r.error) errors.push(`${what}: ${r.error}`);
      say(`[${out.length}/${configs.length * START_REPS}] ${what}: ${r.error ? `ERROR ${r.error.split('\n')[0]}` : `election ${ms(r.electionMs)} ms, two holders ${ms(r.twoHoldersMs)} ms, ${r.winner} won`}`);
    }
  }
  return out;
}

// Every step's pairs take turns within each repetition and fault (order reversed every other repetition),
// so that noise from the rest of the machine falls on all of them alike.
async function failovers(t: TrialLab, steps: readonly Step[], errors: string[]): Promise<TrialResult[]> {
  const trials: TrialResult[] = [];
  const total = steps.reduce((n, s) => n + s.configs.length * s.faults.length * REPS, 0);
  for (const step of steps) {
    for (let rep = 1; rep <= REPS; rep++) {
      for (const fault of step.faults) {
        for (const cfg of rep % 2 === 1 ? step.configs : [...step.configs].reverse()) {
          // Stratified: repetition k of n hits somewhere in the k-th n-th of the advert interval.
          const r = await runTrial(t, cfg, fault, rep, (rep - 1 + Math.random()) / REPS);
          trials.push(r);
          const what = `${cfg.impl} -b ${cfg.advbaseS}${cfg.variant ? ` ${cfg.variant}` : ''} ${fault} #${rep}`;
          if (r.error) errors.push(`${what}: ${r.error}`);
          say(`[${trials.length}/${total}] ${what}: ${r.error ? `ERROR ${r.error.split('\n')[0]}` : `client ${ms(r.failoverMs)} ms, VIP added ${ms(r.vipAddedMs)} ms, two holders ${ms(r.startTwoHoldersMs)} / ${ms(r.faultTwoHoldersMs)} ms, load ${r.load1?.toFixed(1)}`}`);
        }
      }
    }
  }
  return trials;
}

// Partition rounds, one interval after the other; within a round the agents run side by side.
async function partitions(files: AgentFiles, errors: string[]): Promise<PartitionResult[]> {
  const out: PartitionResult[] = [];
  for (const configs of PARTITIONS) {
    for (let rep = 1; rep <= PARTITION_REPS; rep++) {
      // Stratified like the failover trials: round k of n cuts somewhere in the k-th n-th of the advert interval.
      const round = await partitionRound(configs, files, rep, (rep - 1 + Math.random()) / PARTITION_REPS, CUT_MS);
      out.push(...round);
      for (const r of round) {
        const what = `partition ${r.impl}${r.variant ? ` ${r.variant}` : ''} -b ${r.advbaseS} #${rep}`;
        if (r.error) errors.push(`${what}: ${r.error}`);
        const letGo = r.letGoMs === undefined ? 'never' : `${ms(r.letGoMs)} ms`;
        say(`${what}: ${r.error ? `ERROR ${r.error.split('\n')[0]}` : `two holders ${ms(r.twoHoldersMs)} ms, majority serves ${ms(r.majorityServesMs)} ms, ${r.master} let go ${letGo}, load ${r.load1?.toFixed(1)}`}`);
      }
    }
  }
  return out;
}

// BENCH_ONLY=partition,start: the cases to run (all when unset).
function only(name: string): Set<Case> {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return new Set(CASES);
  const picked = raw.split(',').map((c) => c.trim()).filter(Boolean);
  const bad = picked.filter((c) => !(CASES as readonly string[]).includes(c));
  if (bad.length) throw new Error(`${name} must list cases among ${CASES.join(', ')}, got "${bad.join(',')}"`);
  return new Set(picked as Case[]);
}

// BENCH_FAULTS=stop,kill: the members of `all` named (all when unset).
function listOf<T extends string>(name: string, all: readonly T[]): Set<T> {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return new Set(all);
  const picked = raw.split(',').map((c) => c.trim()).filter(Boolean);
  const bad = picked.filter((c) => !(all as readonly string[]).includes(c));
  if (bad.length) throw new Error(`${name} must list values among ${all.join(', ')}, got "${bad.join(',')}"`);
  return new Set(picked as T[]);
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}
