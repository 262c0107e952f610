// runCommand, the bounded run of ip(8) and --data-version: output collected, and a command that hangs killed
// at its timeout with every process of its group, reported as a timeout rather than waited for.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/effects/command.js';

const dir = mkdtempSync(join(tmpdir(), 'floatd-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Gone, or a zombie waiting for its parent: either way no longer running.
const running = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('runCommand', () => {
  it('collects stdout, stderr and the exit code', async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5000 })).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('a command that hangs is killed at its timeout with its children, and says so', async () => {
    const pidFile = join(dir, 'hung');
    const started = performance.now();
    // The shell waits for a child that holds its stdout: both must go for the result to come.
    const r = await runCommand('sh', ['-c', `sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 });
    const took = performance.now() - started;
    expect(r).toMatchObject({ exitCode: null, timedOut: true, stderr: 'timed out after 300 ms (killed)' });
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(4000);
    expect(running(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('a command that exits leaving a background child on its stdout gives its result, not a hang', async () => {
    const pidFile = join(dir, 'left');
    const r = await runCommand('sh', ['-c', `sleep 60 & echo $! > ${pidFile}; echo 7`], { timeoutMs: 30_000 });
    expect(r).toEqual({ exitCode: 0, stdout: '7\n', stderr: '' });
    // Not ours to kill once the command succeeded, like a hook's background child.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(running(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
  });

  it('keeps at most maxBytes of each stream', async () => {
    const r = await runCommand('sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" x'], { timeoutMs: 5000, maxBytes: 10 });
    expect(r).toEqual({ exitCode: 0, stdout: 'xxxxxxxxxx', stderr: '' });
  });

  it('a command that cannot start is exit code null with the reason', async () => {
    const r = await runCommand(join(dir, 'missing'), [], { timeoutMs: 5000 });
    expect(r.exitCode).toBeNull();
    expect(r.stderr).toMatch(/ENOENT/);
  });
});
