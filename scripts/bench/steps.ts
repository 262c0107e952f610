// Where a failover's time goes: milestones read from both agents' logs, the bench's fault and the client's
// first answer, all on the bench's clock, and the table of the medians of each step. Pure functions.
//
// floatd: the wall `time` of its JSON lines (pino, Date.now(): 1 ms resolution, taken as the middle of its
// ms), moved onto the bench's performance.now() by an offset the trial measures. keepalived (`-l`, no `-D`):
// when the bench read each console line (unbuffered stderr; late by the pipe and the bench's loop, well
// under 1 ms on an idle machine), and the VIP's removal and addition from the lab's address monitor.
import type { AddressEvent } from '../../test/support/netns.js';
import type { Impl } from './agents.js';
import { ms, summarize } from './stats.js';
import type { Fault } from './trial.js';

// A line of an agent's output as the bench kept it: read at `at` (bench clock); floatd's parsed fields.
export interface LogLine {
  at: number;
  text: string;
  fields?: Record<string, unknown>;
}

// Every step a table can show, in the order a failover passes them; a fault shows the ones it has.
export const STEPS = [
  'stop handled', // old master: the SIGTERM became a transition (floatd: MASTER -> RELEASING)
  'down hooks done', // old master: the last down hook finished
  'VIP removed', // old master
  'resign sent', // old master: floatd's resign, keepalived's priority-0 advert
  'resign heard', // new master
  'deadline', // new master: the master-down (or resign skew) deadline, i.e. the claim less its timerLateMs
  'claim', // new master: BACKUP -> MASTER
  'VIP added', // new master
  'GARP sent', // new master, where logged
  'client', // the observer's first answer from the new master's MAC
] as const;
export type StepName = (typeof STEPS)[number];

// ms after the fault at which each milestone was reached (missing: not logged in this trial).
export type Milestones = Partial<Record<StepName, number>>;

export interface StepInput {
  impl: Impl;
  fault: Fault;
  faultAt: number; // bench clock
  clientAt: number; // bench clock
  oldLines: readonly LogLine[];
  newLines: readonly LogLine[];
  oldHost: string;
  newHost: string;
  addresses: readonly AddressEvent[];
  vip: string;
  wallOffset: number; // Date.now() − performance.now() in the bench, for floatd's `time`
}

export function milestones(i: StepInput): Milestones {
  const m: Milestones = { client: i.clientAt - i.faultAt };
  const after = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - i.faultAt);
  if (i.impl === 'floatd') Object.assign(m, floatdMilestones(i, after));
  else if (i.impl === 'keepalived') Object.assign(m, keepalivedMilestones(i, after));
  return m;
}

function floatdMilestones(i: StepInput, after: (at: number | undefined) => number | undefined): Milestones {
  // The middle of the logged ms, on the bench's clock; lines logged before the fault do not count.
  const when = (l: LogLine | undefined) => (l === undefined ? undefined : Number(l.fields?.time) + 0.5 - i.wallOffset);
  const since = (lines: readonly LogLine[]) => lines.filter((l) => typeof l.fields?.time === 'number' && (when(l) ?? -Infinity) >= i.faultAt - 0.5);
  const old = since(i.oldLines);
  const next = since(i.newLines);
  const f = (l: LogLine) => l.fields ?? {};
  const removed = old.find((l) => f(l).event === 'vip' && f(l).op === 'remove');
  const hooksDone = old.filter((l) => l.text === 'hook finished' && (removed === undefined || l.at <= removed.at)).pop();
  const claim = next.find((l) => f(l).event === 'transition' && f(l).state === 'MASTER' && f(l).previous === 'BACKUP');
  const late = claim === undefined ? undefined : f(claim).timerLateMs;
  const claimAt = when(claim);
  return {
    'stop handled': i.fault === 'stop' ? after(when(old.find((l) => f(l).event === 'transition' && f(l).previous === 'MASTER'))) : undefined,
    'down hooks done': i.fault === 'stop' ? after(when(hooksDone)) : undefined,
    'VIP removed': i.fault === 'stop' ? after(when(removed)) : undefined,
    'resign sent': after(when(old.find((l) => f(l).event === 'resign'))),
    'resign heard': after(when(next.find((l) => f(l).event === 'resign-heard'))),
    deadline: typeof late === 'number' && claimAt !== undefined ? after(claimAt - late) : undefined,
    claim: after(claimAt),
    'VIP added': after(when(next.find((l) => f(l).event === 'vip' && f(l).op === 'add'))),
  };
}

// keepalived 2.2's console lines without -D (each prefixed with a timestamp and the instance name).
const KEEPALIVED: [StepName, 'old' | 'new', RegExp][] = [
  ['stop handled', 'old', /Stopping|Terminating|Shutting down/i],
  ['resign sent', 'old', /sent 0 priority|priority 0 advert/i],
  ['resign heard', 'new', /received priority 0/i],
  ['claim', 'new', /Entering MASTER STATE/],
  ['GARP sent', 'new', /gratuitous ARPs? on/i],
];

function keepalivedMilestones(i: StepInput, after: (at: number | undefined) => number | undefined): Milestones {
  const out: Milestones = {};
  for (const [name, side, re] of KEEPALIVED) {
    if (name === 'stop handled' && i.fault !== 'stop') continue;
    const lines = side === 'old' ? i.oldLines : i.newLines;
    out[name] = after(lines.find((l) => l.at >= i.faultAt && re.test(l.text))?.at);
  }
  const addr = (host: string, op: 'add' | 'del') => i.addresses.find((e) => e.at >= i.faultAt && e.host === host && e.op === op && e.address === i.vip)?.at;
  if (i.fault === 'stop') out['VIP removed'] = after(addr(i.oldHost, 'del'));
  out['VIP added'] = after(addr(i.newHost, 'add'));
  return out;
}

// Date.now() − performance.now(), to within a few µs: Date.now() rounds down, so the largest of a few
// readings taken right after performance.now() is the closest.
export function measureWallOffset(now: () => number, wall: () => number, samples = 50): number {
  let best = -Infinity;
  for (let k = 0; k < samples; k++) {
    const p = now();
    best = Math.max(best, wall() - p);
  }
  return best;
}

// The trials the step table reads: one agent kind, interval, variant and fault, with their milestones.
export interface StepTrial {
  impl: Impl;
  advbaseS: number;
  variant?: string;
  fault: Fault;
  error?: string;
  failoverMs?: number;
  steps?: Milestones;
}

const FAULT_NAMES: Record<Fault, string> = { kill: 'SIGKILL', cut: 'link cut', stop: 'graceful stop' };
const label = (t: StepTrial) => `${t.impl}${t.variant ? ` ${t.variant}` : ''}`;

// Per step: the median over the trials of (this milestone − the previous one logged in the same trial),
// and in brackets the median time after the fault at which it was reached. A row per step, a column per agent.
export function stepTable(trials: readonly StepTrial[]): string {
  const ok = trials.filter((t) => t.error === undefined && t.steps !== undefined);
  const out: string[] = [];
  const keys = [...new Set(ok.map((t) => `${t.advbaseS}|${t.fault}`))];
  for (const key of keys) {
    const group = ok.filter((t) => `${t.advbaseS}|${t.fault}` === key);
    const first = group[0] as StepTrial;
    const agents = [...new Set(group.map(label))];
    const present = STEPS.filter((s) => group.some((t) => t.steps?.[s] !== undefined));
    if (out.length) out.push('');
    out.push(`**${first.advbaseS} s, ${FAULT_NAMES[first.fault]}** — step ms, median (median ms after the fault in brackets)`, '');
    out.push(`| step | ${agents.join(' | ')} |`, `|---|${agents.map(() => '---|').join('')}`);
    for (const s of present) {
      const cells = agents.map((a) => {
        const mine = group.filter((t) => label(t) === a);
        const durations = mine.flatMap((t) => stepOf(t.steps ?? {}, s));
        const reached = mine.flatMap((t) => (t.steps?.[s] === undefined ? [] : [t.steps[s]]));
        const d = summarize(durations);
        const r = summarize(reached);
        return d && r ? `${ms(d.median)} (${ms(r.median)})` : '–';
      });
      out.push(`| ${s === 'client' ? 'client answered' : s} | ${cells.join(' | ')} |`);
    }
    const totals = agents.map((a) => ms(summarize(group.filter((t) => label(t) === a).flatMap((t) => (t.failoverMs === undefined ? [] : [t.failoverMs])))?.median));
    out.push(`| **total** (median, client) | ${totals.join(' | ')} |`);
  }
  return out.join('\n');
}

// The step ending at `s`: from the last milestone before it (in STEPS order) that this trial logged.
function stepOf(m: Milestones, s: StepName): number[] {
  const at = m[s];
  if (at === undefined) return [];
  const earlier = STEPS.slice(0, STEPS.indexOf(s)).map((x) => m[x]).filter((v): v is number => v !== undefined);
  return [at - (earlier.length ? (earlier[earlier.length - 1] as number) : 0)];
}
