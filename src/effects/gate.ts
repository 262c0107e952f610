// The takeover gate of a backup about to promote: every --takeover-check in order, then (after a master
// failure, when --fence is set) the fence of the master it lost. Fencing comes last so that a node its own
// checks refuse never powers anybody off. Never throws: a refusal comes back as a detail line.
import type { Logger } from '../log/log.js';
import { runGroup, type CheckEffect, type HookGroupOptions } from './hook-groups.js';

export type GateResult = { ok: true } | { ok: false; detail: string };

export async function runGate(e: CheckEffect, o: HookGroupOptions): Promise<GateResult> {
  const claim = { FLOATD_CLAIM: e.claim };
  const checks = await runGroup(o.cfg.takeoverChecks, 'takeover-check', e, o, claim);
  if (!checks.ok || e.fence === undefined || o.cfg.fence === undefined || o.signal.aborted) return checks;
  const target = fenceTarget(e, o.cfg.srcip, o.log);
  if (target === undefined) return { ok: true };
  o.log.warn({ event: 'fence', target, fence: o.cfg.fence }, `fencing ${target} before taking over`);
  const fenced = await runGroup([o.cfg.fence], 'fence', e, o, { ...claim, FLOATD_FENCE_TARGET: target });
  if (fenced.ok && !o.signal.aborted) o.log.warn({ event: 'fenced', target }, `fenced ${target}: taking over`);
  return fenced.ok ? fenced : { ok: false, detail: `fence of ${target} failed: ${fenced.detail}` };
}

// The master this node lost: the one it heard, else the one its run record last followed. With neither
// (a cluster's first start) there is nobody to fence: a fence with no target could only fail forever.
function fenceTarget(e: CheckEffect, self: string, log: Logger): string | undefined {
  const target = e.fence?.target ?? e.facts?.lastMaster ?? undefined;
  if (target !== undefined && target !== self) return target;
  log.warn({ event: 'fence', target: null }, 'no earlier master known (none heard, none in the run record): nothing to fence');
  return undefined;
}
