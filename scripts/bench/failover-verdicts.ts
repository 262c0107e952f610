// The failover targets (docs/benchmarks.md: Targets), judged on one run's trials (floatd's default path only: variants such
// as --vip-path spawn are measured, not judged). Pure.
import type { Impl } from './agents.js';
import { ms, summarize, type Summary } from './stats.js';
import type { Fault, TrialResult } from './trial.js';
import type { Verdict } from './report.js';

// Crash and link cut are at the timer limit for both agents at sub-second intervals: within 2 % of
// keepalived's median. A graceful stop has no timer to wait for: no slower than keepalived's median.
export const KEEPALIVED_SLACK: Record<Fault, number> = { kill: 1.02, cut: 1.02, stop: 1 };
const INTERVALS = [0.1, 0.01];
const NAMES: Record<Fault, string> = { kill: 'SIGKILL', cut: 'link cut', stop: 'graceful stop' };

export function failoverVerdicts(ok: readonly TrialResult[]): Verdict[] {
  const median = (impl: Impl, b: number, fault: Fault): Summary | undefined =>
    summarize(ok.filter((t) => t.impl === impl && t.variant === undefined && t.advbaseS === b && t.fault === fault).map((t) => t.failoverMs ?? Infinity));
  const out: Verdict[] = [];
  for (const fault of ['stop', 'kill', 'cut'] as const) {
    const slack = KEEPALIVED_SLACK[fault];
    const parts: string[] = [];
    let met: boolean | undefined;
    for (const b of INTERVALS) {
      const f = median('floatd', b, fault);
      const k = median('keepalived', b, fault);
      if (!f || !k) continue;
      const ratio = f.median / k.median;
      parts.push(`-b ${b}: floatd ${ms(f.median)} vs keepalived ${ms(k.median)} ms (${ratio.toFixed(2)}×)`);
      met = (met ?? true) && ratio <= slack;
    }
    const bound = slack === 1 ? "≤ keepalived's median" : `within ${slack.toFixed(2)}× keepalived's median`;
    out.push({ target: `${NAMES[fault]}: ${bound} at ${INTERVALS.map((b) => `${b} s`).join(' and ')}`, measured: parts.join('; ') || 'not measured', met });
  }
  // At 1 s ucarp is the reference (it takes whole seconds only).
  for (const fault of ['kill', 'cut'] as const) {
    const f = median('floatd', 1, fault);
    const u = median('ucarp', 1, fault);
    out.push({ target: `${NAMES[fault]}: median no worse than ucarp at 1 s`, measured: f && u ? `floatd ${ms(f.median)} vs ucarp ${ms(u.median)} ms` : 'not measured', met: f && u ? f.median <= u.median : undefined });
  }
  return out;
}
