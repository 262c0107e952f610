// The hooks of one 'hooks' effect: which files (the ucarp-style -u/-d script, or the hooks directory),
// with ucarp's arguments and floatd's environment. Never throws: a failure comes back as a detail line.
import type { Config, HookPhaseName } from '../config/config.js';
import type { Effect, HookContext } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import type { HookFacts } from '../state/run-record.js';
import { prepareHookStdio } from './hook-stdio.js';
import { leavesMastership, listHookDir, runHooks, type HookResult } from './hooks.js';

export type HooksEffect = Extract<Effect, { kind: 'hooks' }> & { facts?: HookFacts };
export type CheckEffect = Extract<Effect, { kind: 'check' }> & { facts?: HookFacts };

export interface HookGroupOptions {
  cfg: Config;
  log: Logger;
  signal: AbortSignal;
  onStart(path: string): void;
  onEnd(phase: HookPhaseName, result: HookResult): void; // every finished hook: the state file and `floatd status`
}

// At start, when there is anything to run: the first hook of a failover finds its output channels open.
export function prepareHooks(c: Config): void {
  if (c.upscript !== undefined || c.downscript !== undefined || c.hooksDir !== undefined || c.takeoverChecks.length > 0 || c.fence !== undefined) prepareHookStdio();
}

// ok, or the first failing hook and why ("…/20-start exited 1"); a cancelled run counts as ok.
export async function runHookGroup(e: HooksEffect, o: HookGroupOptions): Promise<{ ok: true } | { ok: false; detail: string }> {
  const c = o.cfg;
  const script = e.phase === 'up' ? c.upscript : e.phase === 'down' ? c.downscript : undefined;
  const paths = e.group === 'script' ? (script ? [script] : []) : c.hooksDir ? await listHookDir(c.hooksDir, e.phase, o.log) : [];
  return runGroup(paths, e.phase, e, o);
}

// Files run in order as one phase (the takeover checks, the fence…), with hooks' arguments and environment
// plus `extraEnv`: ok, or the first that failed and why.
export async function runGroup(paths: readonly string[], phase: HookPhaseName, e: { epoch: number; context: HookContext; facts?: HookFacts }, o: HookGroupOptions, extraEnv: Record<string, string> = {}): Promise<{ ok: true } | { ok: false; detail: string }> {
  const c = o.cfg;
  if (paths.length === 0 || o.signal.aborted) return { ok: true };
  const timeoutMs = c.phaseTimeoutsMs[phase] ?? c.hookTimeoutMs;
  const result = await runHooks(paths, {
    // ucarp's spawn.c passes interface, VIP and, only when -x is given, xparam; with several -a the first
    // (FLOATD_VIPS has them all).
    args: c.xparam === undefined ? [c.interface, c.vip] : [c.interface, c.vip, c.xparam],
    env: { ...hookEnv({ ...e, phase }, c, timeoutMs), ...extraEnv },
    timeoutMs,
    signal: o.signal,
    stopOnFailure: !leavesMastership(phase),
    log: o.log,
    onHookStart: o.onStart,
    onHookEnd: (r) => o.onEnd(phase, r),
  });
  if (result.ok || result.cancelled) return { ok: true };
  const failed = result.results.find((r) => !r.ok);
  if (!failed) return { ok: false, detail: 'unknown failure' };
  const why = failed.timedOut ? 'timed out' : (failed.error ?? `exited ${failed.exitCode ?? failed.signal}`);
  return { ok: false, detail: `${failed.path} ${why}` };
}

// What every hook is told besides $1 $2 $3 (docs/hooks.md).
export function hookEnv(e: { phase: HookPhaseName; epoch: number; context: HookContext; facts?: HookFacts }, c: Config, timeoutMs = c.hookTimeoutMs): Record<string, string> {
  const f = e.facts;
  return {
    FLOATD_STATE: e.context.state,
    FLOATD_PREVIOUS_STATE: e.context.previous,
    FLOATD_REASON: e.context.reason,
    FLOATD_PHASE: e.phase,
    FLOATD_EPOCH: String(e.epoch),
    FLOATD_VHID: String(c.vhid),
    FLOATD_VIP: c.vip,
    FLOATD_VIPS: c.vips.join(' '),
    FLOATD_INTERFACE: c.interface,
    FLOATD_SRCIP: c.srcip,
    FLOATD_XPARAM: c.xparam ?? '',
    FLOATD_HOOK_TIMEOUT: String(timeoutMs / 1000),
    // --fence's command, empty without it: a pack that relies on fencing (shared storage) can check it is there.
    FLOATD_FENCE: c.fence ?? '',
    FLOATD_LAST_MASTER: f?.lastMaster ?? '',
    FLOATD_LAST_MASTER_EPOCH: f?.lastMasterEpoch === null || f?.lastMasterEpoch === undefined ? '' : String(f.lastMasterEpoch),
    FLOATD_MAX_EPOCH: String(f?.maxEpoch ?? 0),
    FLOATD_PREVIOUS_RUN: f?.previousRun ?? 'none',
    FLOATD_PREVIOUS_RUN_EPOCH: f?.previousRunEpoch === null || f?.previousRunEpoch === undefined ? '' : String(f.previousRunEpoch),
    FLOATD_NEWER_EPOCH_SEEN: f?.newerEpochSeen ? 'yes' : 'no',
    // With --data-version only: the versions this node saw, itself first ("10.0.0.1=77 10.0.0.2=75").
    ...(f?.dataVersions === undefined ? {} : { FLOATD_DATA_VERSIONS: f.dataVersions }),
  };
}
