// -B (ucarp --daemonize): the command returns at once and the agent goes on in the background.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = resolve('dist/cli.js');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('--daemonize', () => {
  let dir = '';
  let pid = 0;
  afterEach(async () => {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('returns 0 at once and leaves a running agent that writes its state file and stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'floatd-daemon-'));
    await writeFile(join(dir, 'key'), 'daemon-secret\n');
    const state = join(dir, 'state.json');
    const started = Date.now();
    const r = await execa(process.execPath, [CLI, '-B', '-i', 'lo', '-s', '127.0.0.1', '-v', '7', '-a', '127.0.0.77', '-o', join(dir, 'key'), '-b', '0.1', '--vip-driver', 'record', '--peer', '127.0.0.2:15999', '--port', '15999', '--state-file', state, '--run-record', `${state}.record`, '--control-socket', `${state}.sock`], { reject: false, timeout: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    const doc = await until('the daemon to become MASTER', async () => {
      const d = JSON.parse(await readFile(state, 'utf8').catch(() => '{}')) as { state?: string; pid?: number };
      return d.state === 'MASTER' ? d : undefined;
    });
    pid = doc.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGTERM');
    await until('the daemon to exit', async () => (alive(pid) ? undefined : true));
  });
});
