// Runs one child process the way floatd runs everything it does not control: in its own process group,
// under a timeout and an abort signal, its output logged line by line. Hooks, takeover checks, fencing and
// health checks all go through here. Never throws: every failure is part of the outcome.
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { DEFAULT_OUTPUT_LIMITS, HookOutput, describeReport, type OutputEvent, type OutputLimits } from './hook-output.js';
import { openHookStdio, type HookStdio } from './hook-stdio.js';

// How long the outcome waits for the child's pipes to close after its main process exits, so its last
// lines are logged before its result; a background child holding them open is read on regardless.
const DRAIN_MS = 100;
const DEFAULT_KILL_GRACE_MS = 2000;

// How one process ended. timedOut and cancelled are recorded before it is killed, so they explain the signal.
export interface Outcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  error?: string;
}

export interface SuperviseOptions {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  log: Logger;
  outputLimits?: OutputLimits; // DEFAULT_OUTPUT_LIMITS unless a test needs others
  logField?: string; // the log field naming the process in its output lines: 'hook' (default), 'check'…
}

// ok: exit code 0, neither timed out nor cancelled.
export function succeeded(o: Outcome): boolean {
  return o.exitCode === 0 && !o.timedOut && !o.cancelled && o.error === undefined;
}

// "exit code 3", "killed by SIGKILL", "timed out after 5000 ms", "spawn /x ENOENT".
export function describeOutcome(o: Outcome): string {
  if (o.error !== undefined) return o.error;
  if (o.signal !== null) return `killed by ${o.signal}`;
  return `exit code ${o.exitCode}`;
}

// Runs `file args` until its main process exits (or the timeout/abort ends it), then kills what is left
// of its process group only if it was stopped; background children of a hook that exited keep running.
export async function supervise(file: string, opts: SuperviseOptions): Promise<Outcome> {
  try {
    return await superviseOnce(file, opts);
  } catch (err) {
    // Spawn errors are part of the outcome; this only guards against the unexpected.
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, error: String(err) };
  }
}

async function superviseOnce(file: string, opts: SuperviseOptions): Promise<Outcome> {
  let output: HookStdio;
  try {
    output = await readOutput(file, opts);
  } catch (err) {
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, error: `cannot set up its output: ${err instanceof Error ? err.message : String(err)}` };
  }
  const child = spawn(file, opts.args, {
    env: { ...process.env, ...opts.env },
    cwd: '/',
    stdio: ['ignore', output.childEnds[0], output.childEnds[1]],
    detached: true, // the child leads its own process group, so its children can be killed with it
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
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const guard = guardGroup(pid, exit, { timeoutMs: opts.timeoutMs, killGraceMs: opts.killGraceMs, signal: opts.signal, log: opts.log });
  const { code, signal } = await exit;
  await guard.finished();
  await settleWithin(output.closed, DRAIN_MS);
  const why = guard.stoppedFor();
  return { exitCode: code, signal, timedOut: why === 'timeout', cancelled: why === 'cancel', ...(why === undefined ? {} : { error: why === 'timeout' ? `timed out after ${opts.timeoutMs} ms` : 'cancelled' }) };
}

// Why a guarded process was stopped; recorded before it is killed, so its outcome explains the signal.
export type StopReason = 'timeout' | 'cancel';

export interface GroupGuard {
  stoppedFor(): StopReason | undefined;
  // Clears the timer and the abort listener; resolves once a kill under way is done.
  finished(): Promise<void>;
}

export interface GuardOptions {
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  log?: Logger;
}

// Bounds a child that leads its own process group (spawned with `detached`): when the timeout passes or
// the signal aborts before `exit` settles, SIGTERM to the group, then SIGKILL once the grace is over or
// the main process is gone. Every process floatd waits for runs under one of these.
export function guardGroup(pid: number, exit: Promise<unknown>, o: GuardOptions): GroupGuard {
  let exited = false;
  let why: StopReason | undefined;
  let terminating: Promise<void> | undefined;
  void exit.then(() => (exited = true));
  const stop = (reason: StopReason): void => {
    if (exited || terminating !== undefined) return;
    why = reason;
    terminating = terminate(pid, exit, o.killGraceMs ?? DEFAULT_KILL_GRACE_MS, o.log);
  };
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs);
  const onAbort = (): void => stop('cancel');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  return {
    stoppedFor: () => why,
    async finished() {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      await terminating;
    },
  };
}

// SIGTERM the group; SIGKILL it once the grace is over or the main process is gone, whichever is first.
// Leftover children already had their SIGTERM, and nothing of a stopped process may outlive its result.
async function terminate(pid: number, exit: Promise<unknown>, graceMs: number, log: Logger | undefined): Promise<void> {
  signalGroup(pid, 'SIGTERM', log);
  await settleWithin(exit, graceMs);
  signalGroup(pid, 'SIGKILL', log);
}

// Runs from timers, so it must not throw: ESRCH just means the group is already gone.
function signalGroup(pid: number, sig: NodeJS.Signals, log: Logger | undefined): void {
  try {
    process.kill(-pid, sig); // negative pid: the whole process group the child leads
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') log?.warn({ pgid: pid, sig, err }, 'cannot signal process group');
  }
}

// Logs stdout and stderr until EOF, also after the result: a background child (ucarp howto's
// `setup.sh &`) keeps a working stdout, as under ucarp, which hands hooks its own.
// They end with their last writer or with the agent; nothing here waits for them.
function readOutput(file: string, opts: SuperviseOptions): Promise<HookStdio> {
  const limits = opts.outputLimits ?? DEFAULT_OUTPUT_LIMITS;
  const output = new HookOutput(limits);
  const field = opts.logField ?? 'hook';
  const log = (events: OutputEvent[]): void => {
    for (const e of events) logOutput(opts.log, field, file, e, limits);
  };
  return openHookStdio({
    chunk: (stream, data) => log(output.push(stream, data, performance.now())),
    end: (stream) => log(output.end(stream)),
    error: (stream, err) => opts.log.warn({ [field]: file, stream, err }, `cannot read the output of ${file}`),
  });
}

function logOutput(log: Logger, field: string, file: string, e: OutputEvent, limits: OutputLimits): void {
  if (e.kind === 'report') {
    log.warn({ [field]: file, final: e.final, ...e.counts }, describeReport(e.final, e.counts, limits));
    return;
  }
  const fields = e.cutBytes > 0 ? { [field]: file, stream: e.stream, cutBytes: e.cutBytes } : { [field]: file, stream: e.stream };
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

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
