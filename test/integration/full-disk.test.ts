// A full /run (ENOSPC): the agent carries on with a warning, but `floatd status` used to print the last
// document it managed to write (BACKUP) while the node was MASTER, and each failed write left a
// `*.PID.tmp` file behind. The agent runs in its own mount namespace on a 64 KiB tmpfs, which the test
// fills and empties; status is asked from inside the same namespace. Root only (mounts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, sleep } from '../support/cluster.js';

const unavailable = process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'needs root for a tmpfs in a mount namespace' : undefined;

describe.skipIf(unavailable !== undefined)(`a full state directory${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'floatd-full-'));
  const run = join(dir, 'run'); // the tmpfs mount point, inside the agent's mount namespace only
  const stateFile = join(run, 'vhid51.json');
  const lines: { msg: string; event?: string; state?: string }[] = [];
  let pid = 0;
  let exited: Promise<void> = Promise.resolve();

  // A command in the agent's mount namespace (where the tmpfs is).
  const inside = (cmd: string[]) => {
    const r = spawnSync('nsenter', ['-t', String(pid), '-m', '--', ...cmd], { encoding: 'utf8', timeout: 10_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const status = () => inside([process.execPath, CLI, 'status', '--state-file', stateFile]);
  const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; !ok(); await sleep(50)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${lines.map((l) => l.msg).join('\n')}`);
  };

  beforeAll(async () => {
    writeFileSync(join(dir, 'key'), 'full-disk-secret\n', { mode: 0o600 });
    spawnSync('mkdir', ['-p', run]);
    const agent = [process.execPath, CLI, '-i', 'lo', '-s', '127.0.0.1', '-v', '51', '-a', '127.0.0.151', '-o', join(dir, 'key'), '-b', '1', '--peer', '127.0.0.2:5951', '--port', '5951', '--vip-driver', 'record', '--state-file', stateFile, '--run-record', join(dir, 'record.json'), '--control-socket', join(dir, 'ctl.sock'), '--log-format', 'json'];
    // unshare execs sh, which execs node: the agent keeps the pid spawn reports.
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs '${run}' && exec "$@"`, 'sh', ...agent], { stdio: ['ignore', 'pipe', 'inherit'] });
    pid = child.pid ?? 0;
    exited = new Promise((resolve) => child.once('close', () => resolve()));
    createInterface({ input: child.stdout! }).on('line', (t) => {
      try {
        lines.push(JSON.parse(t) as (typeof lines)[number]);
      } catch {
        lines.push({ msg: t });
      }
    });
    await waitFor('BACKUP', () => lines.some((l) => l.event === 'transition' && l.state === 'BACKUP'));
    await waitFor('the BACKUP state file', () => /: BACKUP since/.test(status().out));
  });

  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('with the disk full, status says the file is out of date instead of presenting BACKUP as the present, and no temporary file is left', async () => {
    const fill = inside(['sh', '-c', `cat /dev/zero > '${run}/fill'`]);
    expect(fill.out).toMatch(/No space left on device/);
    // No peer answers: after 3 s the node promotes, and its state file cannot be rewritten.
    await waitFor('MASTER', () => lines.some((l) => l.event === 'transition' && l.state === 'MASTER'));
    await waitFor('the write failure', () => lines.some((l) => l.msg.startsWith('cannot write the state file')));
    const s = status();
    expect(s.out).toMatch(/^OUT OF DATE: the agent could not update this file since \S+ \(last failed attempt \S+; is \/run full\?\), it last wrote: vhid 51 .*: BACKUP since/);
    expect(inside(['ls', '-A', run]).out.split('\n').filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('once there is room again the agent rewrites it and status is current: MASTER', async () => {
    inside(['rm', `${run}/fill`]);
    await waitFor('a current MASTER state file', () => /^vhid 51 .*: MASTER, serving since/.test(status().out), 15_000);
    expect(status().out).not.toMatch(/OUT OF DATE/);
    expect(inside(['ls', '-A', run]).out.trim().split('\n')).toEqual(['vhid51.json']);
  });
});
