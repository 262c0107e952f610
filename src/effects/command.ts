// A bare child_process run for ip(8) and --data-version. The agent uses node:child_process throughout rather
// than execa: on the failover path execa costs about twice a plain spawn, and loading it adds ~16 MB to an
// idle agent. Bounded like every process floatd waits for (supervise.ts): a command that hangs (a wedged
// ip(8) behind a stuck netlink lock, a script waiting on a dead NFS mount) is killed with its process group
// at the timeout, so the effect queue behind it moves on.
import { spawn } from 'node:child_process';
import type { Logger } from '../log/log.js';
import { guardGroup } from './supervise.js';

export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  // Set when the command was killed at its timeout; stderr then says so.
  timedOut?: boolean;
}

export interface CommandOptions {
  timeoutMs: number;
  // Output kept per stream; the rest is read and dropped, so a chatty command cannot grow the agent.
  maxBytes?: number;
  log?: Logger;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DRAIN_MS = 100;
// How long one ip(8) run may take: milliseconds normally; one that hangs is killed and its operation fails.
export const IP_TIMEOUT_MS = 2000;

// Runs `file args` without a shell and collects its output; a spawn failure becomes exit code null, and so
// does a timeout, with stderr "timed out after N ms (killed)".
export function runCommand(file: string, args: readonly string[], o: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    // Its own process group, so a wrapper's children are killed with it.
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const max = o.maxBytes ?? DEFAULT_MAX_BYTES;
    const out = collector(max);
    const err = collector(max);
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    let settled = false;
    const settle = (r: CommandResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    child.on('error', (e) => settle({ exitCode: null, stdout: '', stderr: e.message }));
    if (child.pid === undefined) return;
    const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const guard = guardGroup(child.pid, exit, { timeoutMs: o.timeoutMs, log: o.log });
    const killed = (): CommandResult => ({ exitCode: null, stdout: out.text(), stderr: `timed out after ${o.timeoutMs} ms (killed)`, timedOut: true });
    const result = (code: number | null): CommandResult => (guard.stoppedFor() === undefined ? { exitCode: code, stdout: out.text(), stderr: err.text() } : killed());
    let drain: NodeJS.Timeout | undefined;
    child.on('close', (code) => {
      clearTimeout(drain);
      settle(result(code));
    });
    void exit.then(async (code) => {
      await guard.finished();
      if (settled) return;
      // A child left running in the background (or one that left the group when it was killed) may hold the
      // pipes: the result waits DRAIN_MS for them after the exit, no longer, and reads no more.
      drain = setTimeout(() => {
        settle(result(code));
        child.stdout.destroy();
        child.stderr.destroy();
      }, DRAIN_MS);
    });
  });
}

function collector(max: number): { push: (b: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let kept = 0;
  return {
    push: (b: Buffer) => {
      if (kept >= max) return;
      const part = b.subarray(0, max - kept);
      chunks.push(part);
      kept += part.length;
    },
    text: () => Buffer.concat(chunks).toString(),
  };
}
