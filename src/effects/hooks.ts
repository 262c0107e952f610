import { readdir, stat, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { DEFAULT_OUTPUT_LIMITS, HookOutput, describeReport, type OutputEvent, type OutputLimits } from './hook-output.js';
import { openHookStdio, type HookStdio } from './hook-stdio.js';

// ucarp's spawn.c waits for its hook with no timeout, so a hanging hook stopped ucarp's adverts.
// Here every hook runs under a timeout in its own process group, and the agent never awaits
// hooks on its advert path: this module only lists and supervises them.

// Which transition a hook list belongs to: 'prepare' on becoming MASTER before the VIP exists, 'up'
// after it, 'down' on leaving it. Each is a directory DIR/<phase>.d.
export type HookPhase = 'prepare' | 'up' | 'down';

// Package-manager leftovers and disabled scripts, skipped like run-parts does (names ending in '~' too).
const SKIPPED_SUFFIXES = [
  '~', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.dpkg-tmp', '.disabled', '.rpmnew', '.rpmsave',
] as const;

// How long the result waits for the hook's pipes to close after its main process exits, so its last
// lines are logged before "hook finished"; a background child holding them open is read on regardless.
const DRAIN_MS = 100;
const DEFAULT_KILL_GRACE_MS = 2000;

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
export interface HookResult {
  path: string;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  error?: string;
}

// Outcome of a list; cancelled means the AbortSignal fired and the rest of the list was skipped.
export interface RunResult {
  ok: boolean;
  cancelled: boolean;
  results: HookResult[];
}

// How to run a list of hooks; args are ucarp's [$1 interface, $2 VIP, $3 xparam].
export interface RunOptions {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  stopOnFailure: boolean;
  log: Logger;
  outputLimits?: OutputLimits; // DEFAULT_OUTPUT_LIMITS unless a test needs others
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

interface Outcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  error?: string;
}

// One hook under its timeout and the abort signal; the hook is done when its main process exits.
async function runHook(path: string, opts: RunOptions): Promise<HookResult> {
  const started = performance.now();
  opts.log.info({ hook: path, args: opts.args }, 'hook started');
  let outcome: Outcome;
  try {
    outcome = await supervise(path, opts);
  } catch (err) {
    // Spawn errors are part of the outcome; this only guards against the unexpected.
    outcome = { exitCode: null, signal: null, timedOut: false, cancelled: false, error: String(err) };
  }
  const ok = outcome.exitCode === 0 && !outcome.timedOut && !outcome.cancelled && outcome.error === undefined;
  const result: HookResult = { path, ok, ...outcome, durationMs: Math.round(performance.now() - started) };
  const { exitCode, signal, durationMs, timedOut, cancelled, error } = result;
  const fields = { hook: path, exitCode, signal, durationMs, timedOut, cancelled, error };
  if (ok) opts.log.info(fields, 'hook finished');
  else opts.log.warn(fields, `hook failed: ${describeFailure(result)}`);
  return result;
}

async function supervise(path: string, opts: RunOptions): Promise<Outcome> {
  let output: HookStdio;
  try {
    output = await readOutput(path, opts);
  } catch (err) {
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, error: `cannot set up its output: ${err instanceof Error ? err.message : String(err)}` };
  }
  const child = spawn(path, opts.args, {
    env: { ...process.env, ...opts.env },
    cwd: '/',
    stdio: ['ignore', output.childEnds[0], output.childEnds[1]],
    detached: true, // the hook leads its own process group, so its children can be killed with it
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  // The child has its copies now; once the last writer closes them, the readers see EOF.
  for (const end of output.childEnds) end.destroy();
  const pid = child.pid;
  if (spawnError !== undefined || pid === undefined) {
    // ENOENT, EACCES…: spawning failed, nothing runs.
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, error: spawnError?.message ?? 'cannot start' };
  }
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });

  const outcome: Outcome = { exitCode: null, signal: null, timedOut: false, cancelled: false };
  let terminating: Promise<void> | undefined;
  const stop = (why: 'timeout' | 'cancel'): void => {
    if (exited || terminating !== undefined) return;
    // Record why before killing, so the result explains the signal.
    if (why === 'timeout') outcome.timedOut = true;
    else outcome.cancelled = true;
    outcome.error = why === 'timeout' ? `timed out after ${opts.timeoutMs} ms` : 'cancelled';
    terminating = terminate(pid, exit, opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS, opts.log);
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('cancel');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const { code, signal } = await exit;
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  await terminating;
  await settleWithin(output.closed, DRAIN_MS);
  return { ...outcome, exitCode: code, signal };
}

// SIGTERM the group; SIGKILL it once the grace is over or the main process is gone, whichever is first.
// Leftover children already had their SIGTERM, and nothing of a stopped hook may outlive its result.
async function terminate(pid: number, exit: Promise<unknown>, graceMs: number, log: Logger): Promise<void> {
  signalGroup(pid, 'SIGTERM', log);
  await settleWithin(exit, graceMs);
  signalGroup(pid, 'SIGKILL', log);
}

// Runs from timers, so it must not throw: ESRCH just means the group is already gone.
function signalGroup(pid: number, sig: NodeJS.Signals, log: Logger): void {
  try {
    process.kill(-pid, sig); // negative pid: the whole process group the hook leads
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') log.warn({ pgid: pid, sig, err }, 'cannot signal hook process group');
  }
}

// Logs the hook's stdout and stderr until EOF, also after the hook's result: a background child
// (ucarp howto's `setup.sh &`) keeps a working stdout, as under ucarp, which hands hooks its own.
// They end with their last writer or with the agent; nothing here waits for them.
function readOutput(hook: string, opts: RunOptions): Promise<HookStdio> {
  const limits = opts.outputLimits ?? DEFAULT_OUTPUT_LIMITS;
  const output = new HookOutput(limits);
  const log = (events: OutputEvent[]): void => {
    for (const e of events) logOutput(opts.log, hook, e, limits);
  };
  return openHookStdio({
    chunk: (stream, data) => log(output.push(stream, data, performance.now())),
    end: (stream) => log(output.end(stream)),
    error: (stream, err) => opts.log.warn({ hook, stream, err }, 'cannot read hook output'),
  });
}

function logOutput(log: Logger, hook: string, e: OutputEvent, limits: OutputLimits): void {
  if (e.kind === 'report') {
    log.warn({ hook, final: e.final, ...e.counts }, describeReport(e.final, e.counts, limits));
    return;
  }
  const fields = e.cutBytes > 0 ? { hook, stream: e.stream, cutBytes: e.cutBytes } : { hook, stream: e.stream };
  const msg = e.cutBytes > 0 ? `${e.text} [… ${e.cutBytes} bytes cut]` : e.text;
  if (e.stream === 'stdout') log.info(fields, msg);
  else log.warn(fields, msg);
}

// Resolves true when p settles within ms, false otherwise; never leaves a timer behind.
function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}

function describeFailure(r: HookResult): string {
  if (r.error !== undefined) return r.error;
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exit code ${r.exitCode}`;
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
