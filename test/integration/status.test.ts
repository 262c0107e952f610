// `floatd status` as an operator and a script meet it: a backup names its master with the master's epoch, a
// peer that resigned reads "last heard: resign", and the exit code tells a running agent (0) from one that is
// gone (3) and from a user who may not ask (4, with what to run). Real agents on loopback.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clusterPerTest, runCli, type Cluster, type ClusterNode } from '../support/cluster.js';

const cluster = clusterPerTest();
const BUILD_BINARY = fileURLToPath(new URL('../../scripts/build-binary.mjs', import.meta.url));
const asRoot = process.getuid?.() === 0;

async function masterAndBackup(): Promise<[Cluster, ClusterNode, ClusterNode]> {
  const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50 }] });
  const [m, b] = c.nodes as [ClusterNode, ClusterNode];
  await c.waitForMaster(m);
  return [c, m, b];
}

// floatd as one self-contained file in a directory anybody may read: the checkout (a fresh CI clone lives in a
// 0700 directory) may be closed to nobody.
async function bundleForNobody(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'floatd-nobody-'));
  await chmod(dir, 0o755);
  const out = join(dir, 'floatd.cjs');
  await new Promise<void>((resolve, reject) => execFile(process.execPath, [BUILD_BINARY, '--bundle-only', '--out', out], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve())));
  return out;
}

// `floatd status` run as nobody (uid and gid 65534, no groups), as a user without sudo would.
async function statusAsNobody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = await bundleForNobody();
  try {
    return await new Promise((resolve) => {
      execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'status', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
  } finally {
    await rm(dirname(cli), { recursive: true, force: true });
  }
}

describe('floatd status', () => {
  it('on a backup names the master with the epoch it leads, and this node\'s own epoch apart', async () => {
    const [, m, b] = await masterAndBackup();
    const r = await runCli(['status', '--control-socket', b.controlSocket]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^vhid 42 VIP 127\\.0\\.0\\.100 on lo \\(127\\.0\\.0\\.2\\): BACKUP since \\S+, master ${m.ip.replaceAll('.', '\\.')} at epoch 1, own epoch 0 — `));
    const json = JSON.parse((await runCli(['status', '--json', '--control-socket', b.controlSocket])).stdout) as { masterEpoch: number; epoch: number };
    expect([json.masterEpoch, json.epoch]).toEqual([1, 0]);
  });

  it('shows a peer whose last packet was a resign as "last heard: resign", not as a rhythm', async () => {
    const [c, m, b] = await masterAndBackup();
    c.kill(m, 'SIGTERM'); // -z: the master resigns on its way out
    await c.exited(m);
    await c.waitForMaster(b);
    const r = await runCli(['status', '--control-socket', b.controlSocket]);
    expect(r.stdout).toMatch(/\n {4}127\.0\.0\.1 last heard: resign \(advbase 0\.2 s, advskew 0\), epoch 1, last seen [\d.]+ s ago, \d+ adverts\n/);
    expect(r.stdout).not.toMatch(/resign every/);
  });

  it('exits 0 while the agent runs and 3 once it is gone (its socket refuses, its state file is stale)', async () => {
    const [c, m] = await masterAndBackup();
    expect((await runCli(['status', '--control-socket', m.controlSocket])).code).toBe(0);
    expect((await runCli(['status', '--state-file', m.stateFile])).code).toBe(0);
    c.kill(m, 'SIGKILL');
    await c.exited(m);
    const bySocket = await runCli(['status', '--control-socket', m.controlSocket]);
    expect(bySocket.code, bySocket.stderr).toBe(3);
    expect(bySocket.stderr).toMatch(/no status from .*control\.sock: .*ECONNREFUSED/);
    const byFile = await runCli(['status', '--state-file', m.stateFile]);
    expect(byFile.code).toBe(3);
    expect(byFile.stdout).toMatch(/\(stale: pid \d+ is not running\)\n$/);
  });

  it.skipIf(!asRoot)('as a user who may not open the root-only socket: says it needs root and what to run, exit 4', async () => {
    const [c, m] = await masterAndBackup();
    // Only the socket's own mode (0600, root) stands in the way, not its directories.
    await chmod(c.dir, 0o755);
    await chmod(m.dir, 0o755);
    const r = await statusAsNobody(['--control-socket', m.controlSocket]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toBe(`floatd: permission denied on ${m.controlSocket}: floatd status asks the agents over their control sockets, which only root may open; run it as root (sudo floatd status)\n`);
    expect(r.stderr).not.toMatch(/connect EACCES/);
  });
});
