// Steady-state figures: idle CPU and memory of settled pairs, and false failovers under packet loss and
// under a CPU-bound machine. Each pair runs in its own lab, so pairs of different kinds run side by side.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createLab, sleep, type Lab } from '../../test/support/netns.js';
import { VIP, type Agent, type AgentFiles } from './agents.js';
import { addLoss, lossDrops, type LossMethod } from './lab-tools.js';
import { start, type Started } from './processes.js';
import { additions, twoHolderMs } from './stats.js';
import { settle, startPair, type PairConfig } from './trial.js';

export interface IdleResult {
  impl: string;
  advbaseS: number;
  variant?: string; // "single binary": dist/floatd instead of node dist/cli.js
  role: 'master' | 'backup';
  processes: number;
  seconds: number;
  cpuPct: number; // on-CPU time of all threads (schedstat, ns resolution), % of one core
  cpuTicksPct: number; // utime+stime from /proc/PID/stat (10 ms ticks), % of one core
  rssMB: number; // VmRSS of all its processes, summed (as for keepalived's two)
  agentRssMB?: number; // the agent process alone (the pid that was started)
  agentAnonMB?: number; // of which anonymous (heap, stacks): the rest is node's executable, mapped from the file
  // Its proportional set size (smaps_rollup): each page mapped by n processes counts 1/n. The file-backed
  // pages of node's executable are shared by every agent started from the same file, so Pss is what one
  // more agent on a host costs, RSS what it would cost alone.
  agentPssMB?: number;
  helper?: { rssMB: number; pssMB: number; cpuPct: number }; // floatd-kernel-helper (--vip-path channel)
}

// An idle pair; `program` replaces `node dist/cli.js` (floatd only), e.g. the single binary.
export type IdleConfig = PairConfig & { program?: readonly string[] };

// The single binary (npm run build:binary) built into `dir`: the RSS target (docs/benchmarks.md) is the binary's.
// Its pages are then dropped from the page cache (dd's nocache: posix_fadvise DONTNEED), so the agents
// start it as after a reboot. Just written, the file sits in the cache in large folios, and a page fault
// maps the whole folio: the same binary then showed up to 10 MB more RSS (docs/benchmarks.md).
export function buildBinary(dir: string): string {
  const out = join(dir, 'floatd');
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../build-binary.mjs', import.meta.url)), '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build:binary failed: ${r.stderr}${r.stdout}`);
  const drop = spawnSync('dd', [`if=${out}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
  if (drop.status !== 0) throw new Error(`cannot drop ${out} from the page cache: ${drop.stderr || drop.error?.message}`);
  return out;
}

export interface RobustResult {
  scenario: string;
  impl: string;
  advbaseS: number;
  seconds: number;
  takeovers: number; // VIP additions after the pair settled: each is a false failover
  twoHoldersMs: number;
  dropped?: number; // packets the loss rule dropped
  vipEvents: string[]; // every VIP change in the window: "+ms add|del host"
  error?: string;
}

const SETTLE_QUIET_MS = 3000; // long enough for floatd's 2 s gratuitous ARP burst to end

// Runs each pair in its own lab at the same time; `during` runs once every pair has settled.
async function withPairs<T>(configs: readonly IdleConfig[], files: AgentFiles, during: (pairs: Pair[]) => Promise<T>): Promise<T> {
  const labs: Lab[] = [];
  const pairs: Pair[] = [];
  const started: Agent[] = [];
  try {
    for (const cfg of configs) labs.push(withProgram(await createLab({ hosts: 2 }), cfg.program));
    await Promise.all(
      configs.map(async (cfg, i) => {
        const lab = labs[i] as Lab;
        const agents: Agent[] = [];
        try {
          await startPair(lab, cfg, files, agents);
        } finally {
          started.push(...agents);
        }
        const settled = await settle(lab, SETTLE_QUIET_MS, 3 * cfg.advbaseS * 1000 + 15_000);
        const master = agents.find((a) => a.host === settled?.holder);
        const backup = agents.find((a) => a !== master);
        if (!master || !backup) throw new Error(`${cfg.impl} -b ${cfg.advbaseS}: the pair did not settle\n${agents.map((a) => a.tail()).join('\n')}`);
        pairs[i] = { cfg, lab, master, backup, settledAt: settled?.at ?? 0 };
      }),
    );
    return await during(pairs);
  } finally {
    for (const a of started) a.crash();
    await Promise.race([Promise.all(started.map((a) => a.exited)), sleep(3000)]);
    for (const lab of labs) await lab.teardown();
  }
}

// The lab's floatd agents start as `program` (the lab's own spawnAgent takes it); trial.ts and agents.ts,
// shared with the failover trials, need not know.
function withProgram(lab: Lab, program: readonly string[] | undefined): Lab {
  if (program === undefined) return lab;
  const spawnAgent = lab.spawnAgent.bind(lab);
  lab.spawnAgent = (host, args, opts = {}) => spawnAgent(host, args, { ...opts, program });
  return lab;
}

interface Pair {
  cfg: IdleConfig;
  lab: Lab;
  master: Agent;
  backup: Agent;
  settledAt: number;
}

// CPU and RSS of every settled agent over `seconds`, after `warmS` more seconds of settling (so that the
// window holds neither the start nor a JIT compiler's warm-up).
export async function measureIdle(configs: readonly IdleConfig[], files: AgentFiles, seconds: number, warmS: number): Promise<IdleResult[]> {
  return withPairs(configs, files, async (pairs) => {
    await sleep(warmS * 1000);
    const agents = pairs.flatMap((p) => [{ p, role: 'master' as const, a: p.master }, { p, role: 'backup' as const, a: p.backup }]);
    const before = agents.map(({ a }) => a.pids().map((pid) => ({ pid, ...cpu(pid) })));
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsedS = (performance.now() - t0) / 1000;
    return agents.map(({ p, role }, i) => {
      let ns = 0;
      let ticks = 0;
      let rssKB = 0;
      let count = 0;
      let agentKB: number | undefined;
      let anonKB: number | undefined;
      let pssKB: number | undefined;
      let helper: IdleResult['helper'];
      for (const [k, b] of (before[i] ?? []).entries()) {
        const after = cpu(b.pid);
        if (after.ns < b.ns) continue; // gone (a short-lived child)
        ns += after.ns - b.ns;
        ticks += after.ticks - b.ticks;
        const kb = rss(b.pid);
        rssKB += kb;
        count++;
        if (k === 0) [agentKB, anonKB, pssKB] = [kb, kbField(`/proc/${b.pid}/status`, 'RssAnon'), pss(b.pid)];
        // The helper's libc pages are shared (with the other node's helper here, with every process on a
        // host): Pss charges each process its share, RSS all of them. ps shows 15 characters of its name.
        else if (p.cfg.impl === 'floatd' && comm(b.pid) === 'floatd-kernel-h') helper = { rssMB: kb / 1024, pssMB: pss(b.pid) / 1024, cpuPct: ((after.ns - b.ns) / 1e9 / elapsedS) * 100 };
      }
      return {
        impl: p.cfg.impl,
        advbaseS: p.cfg.advbaseS,
        ...(p.cfg.variant ? { variant: p.cfg.variant } : {}),
        role,
        processes: count,
        seconds: elapsedS,
        cpuPct: (ns / 1e9 / elapsedS) * 100,
        cpuTicksPct: (ticks / CLK_TCK / elapsedS) * 100,
        rssMB: rssKB / 1024,
        ...(agentKB === undefined ? {} : { agentRssMB: agentKB / 1024, agentAnonMB: (anonKB ?? 0) / 1024, agentPssMB: (pssKB ?? 0) / 1024 }),
        ...(helper ? { helper } : {}),
      };
    });
  });
}

// Counts takeovers while `condition` is applied to every settled pair for `seconds`.
export async function falseFailovers(
  scenario: string,
  configs: readonly PairConfig[],
  files: AgentFiles,
  seconds: number,
  condition: { loss?: { percent: number; method: LossMethod }; busyCores?: number },
): Promise<RobustResult[]> {
  return withPairs(configs, files, async (pairs) => {
    if (condition.loss) for (const p of pairs) await addLoss(p.master.host, condition.loss.percent, condition.loss.method);
    const burners: Started[] = [];
    for (let i = 0; i < (condition.busyCores ?? 0); i++) burners.push(start(`cpu burner ${i + 1}`, [process.execPath, '-e', 'for(;;){}']));
    const from = performance.now();
    try {
      await sleep(seconds * 1000);
    } finally {
      for (const b of burners) b.kill();
    }
    const to = performance.now();
    return Promise.all(
      pairs.map(async (p) => {
        const events = p.lab.addresses.events;
        const dropped = condition.loss ? await lossDrops(p.master.host, condition.loss.method) : undefined;
        const dead = [p.master, p.backup].find((a) => !a.alive());
        return {
          scenario,
          impl: p.cfg.impl,
          advbaseS: p.cfg.advbaseS,
          seconds: (to - from) / 1000,
          takeovers: additions(events, VIP, from, to).length,
          twoHoldersMs: twoHolderMs(events, VIP, from, to),
          vipEvents: events.filter((e) => e.address === VIP && e.at > from && e.at <= to).map((e) => `+${Math.round(e.at - from)}ms ${e.op} ${e.host}`),
          ...(dropped === undefined ? {} : { dropped }),
          ...(dead ? { error: `${dead.impl} on ${dead.host.name} exited\n${dead.tail()}` } : {}),
        };
      }),
    );
  });
}

const CLK_TCK = 100; // USER_HZ, fixed at 100 in the Linux ABI for /proc

// On-CPU nanoseconds of all of pid's threads (schedstat) and its utime+stime in ticks; zeros when gone.
function cpu(pid: number): { ns: number; ticks: number } {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { ns, ticks };
  } catch {
    return { ns: 0, ticks: 0 };
  }
}

function rss(pid: number): number {
  return kbField(`/proc/${pid}/status`, 'VmRSS');
}

// Proportional set size: shared pages divided among the processes that map them.
function pss(pid: number): number {
  return kbField(`/proc/${pid}/smaps_rollup`, 'Pss');
}

function kbField(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
