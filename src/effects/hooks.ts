import { readdir, stat, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

// ucarp's spawn.c waits for its hook with no timeout, so a hanging hook stopped ucarp's adverts.
// Here every hook runs under a timeout in its own process group, and the agent never awaits
// hooks on its advert path: this module only lists and supervises them.

// Which transition a hook list belongs to: 'up' on becoming MASTER, 'down' on leaving it.
export type HookPhase = 'up' | 'down';

// Package-manager leftovers and disabled scripts, skipped like run-parts does (names ending in '~' too).
const SKIPPED_SUFFIXES = [
  '~', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.dpkg-tmp', '.disabled', '.rpmnew', '.rpmsave',
] as const;

// Output a backgrounded child keeps open is read this much longer after the hook's main process exits.
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
  const child = spawn(path, opts.args, {
    env: { ...process.env, ...opts.env },
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // the hook leads its own process group, so its children can be killed with it
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
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
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  logLines(child.stdout, opts.log, path, 'stdout');
  logLines(child.stderr, opts.log, path, 'stderr');

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
  await drain(closed, [child.stdout, child.stderr]);
  return { ...outcome, exitCode: code, signal };
}

// SIGTERM the group; SIGKILL it once the grace is over or the main process is gone, whichever is first.
// Leftover children already had their SIGTERM, and nothing of a stopped hook may outlive its result.
async function terminate(pid: number, exit: Promise<unknown>, graceMs: number, log: Logger): Promise<void> {
  signalGroup(pid, 'SIGTERM', log);
  await settleWithin(exit, graceMs);
  signalGroup(pid, 'SIGKILL', log);
}

// A background child (`sleep 100 &`, a daemon) may hold stdout open forever: read it briefly, then let go.
// The leftover is not killed, but a daemon that later writes to that stdout gets EPIPE, so hooks
// should redirect a daemon's output (`>/dev/null 2>&1`).
async function drain(closed: Promise<void>, streams: readonly (Readable | null)[]): Promise<void> {
  if (await settleWithin(closed, DRAIN_MS)) return;
  for (const stream of streams) stream?.destroy();
}

// Runs from timers, so it must not throw: ESRCH just means the group is already gone.
function signalGroup(pid: number, sig: NodeJS.Signals, log: Logger): void {
  try {
    process.kill(-pid, sig); // negative pid: the whole process group the hook leads
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') log.warn({ pgid: pid, sig, err }, 'cannot signal hook process group');
  }
}

function logLines(stream: Readable | null, log: Logger, hook: string, name: 'stdout' | 'stderr'): void {
  if (stream === null) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (name === 'stdout') log.info({ hook, stream: name }, line);
    else log.warn({ hook, stream: name }, line);
  });
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
