// Processes the bench starts itself (ucarp, keepalived, the observer probe, CPU burners): each leads its own
// process group and is killed by pid, with its descendants, when the bench ends, fails or is interrupted.
// floatd agents are started through the lab harness, which kills them on its own teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { descendants } from '../../test/support/netns.js';

// Lines of output kept per process for error reports.
const TAIL_LINES = 40;

// A process started by the bench, with the tail of its output.
export class Started {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<void>;
  readonly tail: string[] = [];
  exitCode: number | null | undefined;
  private readonly onLine: ((line: string) => void) | undefined;

  constructor(name: string, child: ChildProcess, onLine?: (line: string) => void) {
    if (child.pid === undefined) throw new Error(`cannot start ${name}`);
    this.name = name;
    this.pid = child.pid;
    this.onLine = onLine;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (l) => this.line(l));
    }
    this.exited = new Promise((resolve) =>
      child.on('close', (code) => {
        this.exitCode = code;
        live.delete(this);
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  signal(sig: NodeJS.Signals): void {
    send(this.pid, sig);
  }

  // SIGKILL to the whole group and to every descendant (keepalived's VRRP child, a script's arping).
  kill(): void {
    killTree(this.pid);
  }

  private line(l: string): void {
    this.tail.push(l);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.onLine?.(l);
  }
}

const live = new Set<Started>();
const cleanups = new Set<() => void>();
let handlersInstalled = false;

// Runs `fn` (synchronous) when the bench ends or is interrupted; the returned function cancels that.
export function atExit(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

// Starts `cmd` as the leader of a new process group and remembers it until it exits.
export function start(name: string, cmd: readonly string[], onLine?: (line: string) => void): Started {
  installHandlers();
  const [file, ...args] = cmd;
  if (file === undefined) throw new Error(`empty command for ${name}`);
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = new Started(name, child, onLine);
  live.add(p);
  return p;
}

// Starts `cmd` inside a network namespace; `ip netns exec` execs it, so the pid is the program's own.
export function startIn(ns: string, name: string, cmd: readonly string[], onLine?: (line: string) => void): Started {
  return start(name, ['ip', 'netns', 'exec', ns, ...cmd], onLine);
}

// Kills what is still running and waits (bounded) for it to be reaped.
export async function stopAll(): Promise<void> {
  const all = [...live];
  for (const p of all) p.kill();
  await Promise.race([Promise.all(all.map((p) => p.exited)), new Promise((r) => setTimeout(r, 3000).unref())]);
}

// Must run before the lab harness installs its own handlers: its 'disconnect' handler ends the process.
export function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killLive = () => {
    for (const p of [...live]) p.kill();
    for (const fn of [...cleanups]) fn();
    cleanups.clear();
  };
  process.on('exit', killLive);
  process.once('disconnect', killLive);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killLive();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// SIGKILL to pid's process group, to pid and to all its descendants (read before the first kill).
export function killTree(pid: number): void {
  const pids = [pid, ...descendants(pid)];
  send(-pid, 'SIGKILL');
  for (const p of pids) send(p, 'SIGKILL');
}

function send(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone
  }
}
