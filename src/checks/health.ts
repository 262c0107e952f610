// What health checks' results mean for the election. Pure, no clock: each result carries its times.
// rise/fall follow keepalived's vrrp_script: a check changes state only after `rise` successes (or
// `fall` failures) in a row, so one slow run does not move mastership.
import type { CheckSpec } from './spec.js';

export type CheckStatusName = 'unknown' | 'passing' | 'failing';

// One check's state. A check starts 'unknown' and so does a master-only check at each new mastership.
export interface CheckHealth {
  status: CheckStatusName;
  streak: number; // results in a row equal to the last one
  lastOk: boolean | null;
  lastResult: string | null; // "exit code 1", "timed out after 5000 ms"
  lastDurationMs: number | null;
  lastRunAt: number | null; // wall-clock ms of the run's start
  failure: string | null; // the result that made it failing, kept while it fails (a stable bar detail)
}

// One finished run.
export interface CheckResult {
  ok: boolean;
  detail: string;
  startedAt: number; // wall-clock ms
  durationMs: number;
}

export function initialHealth(): CheckHealth {
  return { status: 'unknown', streak: 0, lastOk: null, lastResult: null, lastDurationMs: null, lastRunAt: null, failure: null };
}

// The state after one more result: passing after `rise` successes in a row, failing after `fall` failures
// in a row, unchanged otherwise (a failing check needs `rise` successes to pass again, and vice versa).
export function observe(spec: Pick<CheckSpec, 'rise' | 'fall'>, h: CheckHealth, r: CheckResult): CheckHealth {
  const streak = h.lastOk === r.ok ? h.streak + 1 : 1;
  const status: CheckStatusName = r.ok ? (streak >= spec.rise ? 'passing' : h.status) : streak >= spec.fall ? 'failing' : h.status;
  const failure = status !== 'failing' ? null : h.status === 'failing' ? h.failure : r.detail;
  return { status, streak, lastOk: r.ok, lastResult: r.detail, lastDurationMs: r.durationMs, lastRunAt: r.startedAt, failure };
}

// Whether a result moved the check across the line, for the one log line per change.
export function turned(before: CheckHealth, after: CheckHealth): 'failing' | 'passing' | undefined {
  if (before.status === after.status) return undefined;
  if (after.status === 'failing') return 'failing';
  // unknown → passing is the normal start, not a recovery worth a line.
  return before.status === 'failing' ? 'passing' : undefined;
}

// How long to wait before the next run: `interval` after the last run began, at once when it overran.
// Runs of one check never overlap, since the next is scheduled only when the last has ended.
export function nextRunDelayMs(spec: Pick<CheckSpec, 'intervalMs'>, startedAt: number, now: number): number {
  return Math.max(0, startedAt + spec.intervalMs - now);
}

// What the checks ask of the election now.
export interface HealthVerdict {
  fault: string | undefined; // detail of the first failing all-node fault check: bar 'health'
  weight: number; // sum of the failing all-node weight checks, at most 255: the 'skew' weight
  serviceFailed: string | undefined; // detail of the first failing master-only check: the master hands over
}

export const MAX_WEIGHT = 255;

// Only 'failing' counts. An 'unknown' check bars nothing and weighs nothing: otherwise every restart
// would hold a node out (or demote it) for rise × interval until its checks had proven themselves, and a
// whole cluster restarting at once would have no master for that long. A prerequisite that must hold
// before a node may promote belongs in --takeover-check, which is asked before each promotion.
export function verdict(checks: readonly { spec: CheckSpec; health: CheckHealth }[]): HealthVerdict {
  let fault: string | undefined;
  let serviceFailed: string | undefined;
  let weight = 0;
  for (const { spec, health } of checks) {
    if (health.status !== 'failing') continue;
    if (spec.on === 'master') serviceFailed ??= failureDetail(spec, health);
    else if (spec.mode === 'weight') weight += spec.weight;
    else fault ??= failureDetail(spec, health);
  }
  return { fault, weight: Math.min(MAX_WEIGHT, weight), serviceFailed };
}

// `health check "test -e /srv/ok" failed 3 times in a row (exit code 1)`: the reason transitions and
// hooks see; it stays the same while the check keeps failing, so the bar is set once.
export function failureDetail(spec: Pick<CheckSpec, 'command' | 'fall'>, h: Pick<CheckHealth, 'failure'>): string {
  const times = spec.fall === 1 ? 'once' : `${spec.fall} times in a row`;
  return `health check "${spec.command}" failed ${times} (${h.failure ?? 'no result'})`;
}
