// The hooks of one 'hooks' effect: which files (the ucarp-style -u/-d script, or the hooks directory),
// with ucarp's arguments and floatd's environment. Never throws: a failure comes back as a detail line.
import type { Config } from '../config.js';
import type { Effect } from '../election/machine.js';
import type { Logger } from '../log.js';
import { listHookDir, runHooks } from './hooks.js';

export type HooksEffect = Extract<Effect, { kind: 'hooks' }>;

export interface HookGroupOptions {
  cfg: Config;
  log: Logger;
  signal: AbortSignal;
  onStart(path: string): void;
  onEnd(path: string): void;
}

// ok, or the first failing hook and why ("…/20-start exited 1"); a cancelled run counts as ok.
export async function runHookGroup(e: HooksEffect, o: HookGroupOptions): Promise<{ ok: true } | { ok: false; detail: string }> {
  const c = o.cfg;
  const script = e.phase === 'up' ? c.upscript : c.downscript;
  const paths = e.group === 'script' ? (script ? [script] : []) : c.hooksDir ? await listHookDir(c.hooksDir, e.phase, o.log) : [];
  if (paths.length === 0 || o.signal.aborted) return { ok: true };
  const result = await runHooks(paths, {
    // ucarp's spawn.c passes interface, VIP and, only when -x is given, xparam.
    args: c.xparam === undefined ? [c.interface, c.vip] : [c.interface, c.vip, c.xparam],
    env: hookEnv(e, c),
    timeoutMs: c.hookTimeoutMs,
    signal: o.signal,
    stopOnFailure: e.phase === 'up',
    log: o.log,
    onHookStart: o.onStart,
    onHookEnd: (r) => o.onEnd(r.path),
  });
  if (result.ok || result.cancelled) return { ok: true };
  const failed = result.results.find((r) => !r.ok);
  if (!failed) return { ok: false, detail: 'unknown failure' };
  const why = failed.timedOut ? 'timed out' : (failed.error ?? `exited ${failed.exitCode ?? failed.signal}`);
  return { ok: false, detail: `${failed.path} ${why}` };
}

// What every hook is told besides $1 $2 $3 (docs/hooks.md).
export function hookEnv(e: HooksEffect, c: Config): Record<string, string> {
  return {
    FLOATD_STATE: e.context.state,
    FLOATD_PREVIOUS_STATE: e.context.previous,
    FLOATD_REASON: e.context.reason,
    FLOATD_PHASE: e.phase,
    FLOATD_EPOCH: String(e.epoch),
    FLOATD_VHID: String(c.vhid),
    FLOATD_VIP: c.vip,
    FLOATD_INTERFACE: c.interface,
    FLOATD_SRCIP: c.srcip,
    FLOATD_XPARAM: c.xparam ?? '',
    FLOATD_HOOK_TIMEOUT: String(c.hookTimeoutMs / 1000),
  };
}
