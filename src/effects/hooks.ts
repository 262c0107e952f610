import { readdir, stat, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { describeOutcome, succeeded, supervise, type Outcome, type SuperviseOptions } from './supervise.js';

// ucarp's spawn.c waits for its hook with no timeout, so a hanging hook stopped ucarp's adverts.
// Here every hook runs under supervise() (timeout, own process group), and the agent never awaits
// hooks on its advert path: this module lists hook directories and runs lists in order.

// Which transition a hook list belongs to: 'prepare' on becoming MASTER before the VIP exists, 'up'
// after it, 'down' on leaving it (before the VIP goes and the resign is sent), 'released' once the VIP is
// gone and the resign sent (tidying up that no new master waits for). Each is a directory DIR/<phase>.d.
export type HookPhase = 'prepare' | 'up' | 'down' | 'released';

// The phases that leave a mastership: every hook runs whatever one of them did (half a release is worse than a
// failed step), a failure is logged and the release goes on.
export function leavesMastership(phase: string): boolean {
  return phase === 'down' || phase === 'released';
}

// Package-manager leftovers and disabled scripts, skipped like run-parts does (names ending in '~' too).
const SKIPPED_SUFFIXES = [
  '~', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.dpkg-tmp', '.disabled', '.rpmnew', '.rpmsave',
] as const;

// Executable regular files of DIR/<phase>.d in byte-wise lexical order, as run-parts would run them.
// Unlike Debian run-parts (which rejects names with dots), names like 10-restore.sh ARE run:
// operators expect the extension to be harmless, and backups are caught by the suffix list instead.
export async function listHookDir(dir: string, phase: HookPhase, log: Logger): Promise<string[]> {
  const phaseDir = join(dir, `${phase}.d`);
  let names: string[];
  try {
    names = await readdir(phaseDir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    // An unreadable hooks directory must not take the daemon down; the operator sees why.
    log.error({ dir: phaseDir, err }, 'cannot read hook directory — check its permissions');
    return [];
  }
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const hooks: string[] = [];
  for (const name of names) {
    const path = join(phaseDir, name);
    const reason = await skipReason(name, path);
    if (reason === null) hooks.push(path);
    else if (reason !== 'dotfile') log.warn({ hook: path, reason }, `skipping hook ${path}: ${reason}`);
  }
  return hooks;
}

// Why a directory entry is not a hook, or null when it should run.
async function skipReason(name: string, path: string): Promise<string | null> {
  if (name.startsWith('.')) return 'dotfile';
  const suffix = SKIPPED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix !== undefined) return `backup or disabled file (ends in "${suffix}")`;
  try {
    if (!(await stat(path)).isFile()) return 'not a regular file';
  } catch (err) {
    return `cannot stat (${errnoCode(err) ?? String(err)})`;
  }
  try {
    await access(path, constants.X_OK);
  } catch {
    return 'not executable — chmod +x it to enable';
  }
  return null;
}

// Outcome of one hook; ok means exit code 0 without timeout or cancellation.
export interface HookResult extends Outcome {
  path: string;
  ok: boolean;
  durationMs: number;
}

// Outcome of a list; cancelled means the AbortSignal fired and the rest of the list was skipped.
export interface RunResult {
  ok: boolean;
  cancelled: boolean;
  results: HookResult[];
}

// How to run a list of hooks; args are ucarp's [$1 interface, $2 VIP, $3 xparam].
export interface RunOptions extends Omit<SuperviseOptions, 'logField'> {
  stopOnFailure: boolean;
  onHookStart?(path: string): void;
  onHookEnd?(result: HookResult): void;
}

// Runs hooks one after another (never concurrently, unlike keepalived's notify scripts); never throws.
export async function runHooks(paths: readonly string[], opts: RunOptions): Promise<RunResult> {
  const results: HookResult[] = [];
  for (const path of paths) {
    if (opts.signal?.aborted) return { ok: false, cancelled: true, results };
    notify(opts.log, () => opts.onHookStart?.(path));
    const result = await runHook(path, opts);
    results.push(result);
    notify(opts.log, () => opts.onHookEnd?.(result));
    if (result.cancelled) return { ok: false, cancelled: true, results };
    if (!result.ok && opts.stopOnFailure) break;
  }
  return { ok: results.every((r) => r.ok), cancelled: false, results };
}

// One hook under its timeout and the abort signal; the hook is done when its main process exits.
async function runHook(path: string, opts: RunOptions): Promise<HookResult> {
  const started = performance.now();
  opts.log.info({ hook: path, args: opts.args }, 'hook started');
  const outcome: Outcome = await supervise(path, opts);
  const result: HookResult = { path, ok: succeeded(outcome), ...outcome, durationMs: Math.round(performance.now() - started) };
  const { exitCode, signal, durationMs, timedOut, cancelled, error } = result;
  const fields = { hook: path, exitCode, signal, durationMs, timedOut, cancelled, error };
  if (result.ok) opts.log.info(fields, 'hook finished');
  else opts.log.warn(fields, `hook failed: ${describeOutcome(result)}`);
  return result;
}

// The agent's callbacks must not break the "never throws" promise of runHooks.
function notify(log: Logger, callback: () => void): void {
  try {
    callback();
  } catch (err) {
    log.error({ err }, 'hook callback threw');
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
