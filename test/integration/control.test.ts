// The control socket end to end: real agents on loopback (test/support/cluster.ts), each with its own
// --control-socket, driven by `floatd status|standby|resume|clear`. Time bounds are generous limits.
import { connect, type Socket } from 'node:net';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ControlStatus } from '../../src/control/protocol.js';
import { clusterPerTest, fixture, runCli, sleep, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitUntil } from '../support/netns.js';

const cluster = clusterPerTest();
// Master-down interval of the backups with the cluster's defaults (-b 0.2, -r 4): 0.8 s and a little skew.
const MASTER_DOWN_MS = 1000;

async function status(n: ClusterNode): Promise<ControlStatus> {
  const r = await runCli(['status', '--json', '--control-socket', n.controlSocket]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ControlStatus;
}

async function twoNodes(extra: string[] = []): Promise<{ c: Cluster; m: ClusterNode; b: ClusterNode }> {
  const c = await cluster({ nodes: [{ advskew: 0, extraArgs: extra }, { advskew: 50, extraArgs: extra }] });
  const [m, b] = c.nodes as [ClusterNode, ClusterNode];
  await c.waitForMaster(m);
  return { c, m, b };
}

describe('floatd status over the control socket', () => {
  it('shows role, epoch, master, the peers heard with their interval and the last hooks', async () => {
    const { c, m, b } = await twoNodes();
    // A few adverts, so the backup has heard the master more than once.
    await c.waitFor(() => c.advertsFrom(m).length >= 5, 5000, 'adverts from the master');
    const sm = await status(m);
    const sb = await status(b);
    expect(sm).toMatchObject({ vhid: 42, state: 'MASTER', serving: true, epoch: 1, master: m.ip, keptOut: {} });
    expect(sb).toMatchObject({ state: 'BACKUP', epoch: 0, master: m.ip });
    const peer = sb.peers.find((p) => p.address === m.ip);
    expect(peer).toMatchObject({ type: 'advert', advbaseMs: 200, advskew: 0, intervalMs: 200, epoch: 1 });
    expect(peer?.count).toBeGreaterThanOrEqual(3);
    expect(peer?.lastSeenAgoMs).toBeLessThan(2000);
    // The master hears its backup only in its startup BACKUP phase, if at all: whatever it lists is the backup.
    expect(sm.peers.every((p) => p.address === b.ip)).toBe(true);
    // Startup down hook (INIT → BACKUP), then the up hook of the promotion.
    expect(sm.hooks.map((h) => [h.phase, h.path.split('/').pop(), h.exitCode, h.ok])).toEqual([
      ['down', '10-record.sh', 0, true],
      ['up', '10-record.sh', 0, true],
    ]);
    expect(sm.hooks.every((h) => h.durationMs >= 0 && !Number.isNaN(Date.parse(h.endedAt)))).toBe(true);
    expect(sm.gate).toBeNull();
    expect(sm.checks).toEqual([]);

    const text = await runCli(['status', '--control-socket', b.controlSocket]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^vhid 42 VIP 127\.0\.0\.100 on lo \(127\.0\.0\.2\): BACKUP since \S+, master 127\.0\.0\.1 at epoch 1, own epoch 0 — /);
    expect(text.stdout).toMatch(/\n {2}peers:\n {4}127\.0\.0\.1 advert every 0\.2 s \(advbase 0\.2 s, advskew 0\), epoch 1, last seen [\d.]+ s ago, \d+ adverts\n/);
    expect(text.stdout).toMatch(/\n {2}last hooks:\n {4}down \S+\/down\.d\/10-record\.sh exit 0 in \d+ ms at \S+\n/);
  });

  it('shows each health check with its state, streak and last result, and the bar a failing fault check sets', async () => {
    // A node whose fault check needs a file that the test takes away.
    const dir = await mkdtemp(join(tmpdir(), 'floatd-check-'));
    const flag = join(dir, 'ok');
    await writeFile(flag, '');
    try {
      const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50, extraArgs: ['--check', `interval=0.2 rise=1 fall=2 -- test -e ${flag}`] }] });
      const [m, n] = c.nodes as [ClusterNode, ClusterNode];
      await c.waitForMaster(m);
      await waitUntil('the check passing', async () => (await status(n)).checks[0]?.status === 'passing');
      const passing = (await status(n)).checks;
      expect(passing).toEqual([expect.objectContaining({ command: `test -e ${flag}`, on: 'all', mode: 'fault', weight: 0, status: 'passing', lastResult: 'exit code 0' })]);
      expect(Date.parse(passing[0]?.lastRunAt ?? '')).not.toBeNaN();
      await rm(flag);
      await waitUntil('the check failing', async () => (await status(n)).checks[0]?.status === 'failing');
      const failing = await status(n);
      expect(failing.checks[0]).toMatchObject({ status: 'failing', lastResult: 'exit code 1' });
      expect(failing.checks[0]?.streak).toBeGreaterThanOrEqual(2);
      expect(failing.keptOut?.health).toBe(`health check "test -e ${flag}" failed 2 times in a row (exit code 1)`);
      const text = await runCli(['status', '--control-socket', n.controlSocket]);
      expect(text.stdout).toMatch(/\n {2}checks:\n {4}failing fault, on all: `test -e \S+\/ok` \(\d+ in a row, last: exit code 1 in \d+ ms at \S+\)\n/);
      expect(text.stdout).toContain(`kept out of mastership (health): health check "test -e ${flag}" failed 2 times in a row (exit code 1)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the socket is mode 0600 and removed when the agent exits', async () => {
    const { c, b } = await twoNodes();
    const st = await stat(b.controlSocket);
    expect([st.isSocket(), st.mode & 0o777]).toEqual([true, 0o600]);
    c.kill(b, 'SIGTERM');
    expect((await c.exited(b)).code).toBe(0);
    await expect(stat(b.controlSocket)).rejects.toThrow(/ENOENT/);
  });

  it('a client that connects and sends nothing does not hold up a later status', async () => {
    const { m } = await twoNodes();
    const silent: Socket = await new Promise((resolve, reject) => {
      const s = connect(m.controlSocket, () => resolve(s));
      s.on('error', reject);
    });
    let cut = false;
    silent.on('close', () => (cut = true));
    try {
      const t0 = Date.now();
      expect((await status(m)).state).toBe('MASTER');
      // Answered while the silent connection was still open (it is cut after 2 s).
      expect(cut).toBe(false);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      silent.destroy();
    }
  });
});

describe('floatd standby, resume, clear', () => {
  it('standby on the master hands over to the backup, and the node stays BACKUP', async () => {
    const { c, m, b } = await twoNodes();
    const since = c.mark();
    const r = await runCli(['standby', '--control-socket', m.controlSocket]);
    expect(r.code, r.stderr).toBe(0);
    const [message, role] = r.stdout.trimEnd().split('\n');
    expect(message).toBe('standby: releasing: down hooks running, then the VIP is removed and a resign sent; this node then stays BACKUP until floatd resume');
    expect(role).toMatch(/^vhid 42 VIP 127\.0\.0\.100 on lo \(127\.0\.0\.1\): RELEASING since \S+, epoch 1 — operator standby \(floatd standby\)$/);

    await c.waitForMaster(b);
    const ev = c.events(m, since);
    const down = ev.findIndex((e) => e.event === undefined && e.hook !== undefined && /down\.d/.test(String(e.hook)) && e.msg === 'hook started');
    const removed = ev.findIndex((e) => e.event === 'vip' && e.op === 'remove');
    const resigned = ev.findIndex((e) => e.event === 'resign');
    expect(down).toBeGreaterThanOrEqual(0);
    expect(removed).toBeGreaterThan(down);
    expect(resigned).toBeGreaterThan(removed);
    expect(c.find(b, (e) => e.event === 'transition' && e.state === 'MASTER', since)?.reason).toMatch(/resign/);

    // Several master-down intervals later the old master is still BACKUP, held out by the bar.
    await sleep(3 * MASTER_DOWN_MS);
    expect(c.masters()).toEqual([b]);
    const s = await status(m);
    expect(s).toMatchObject({ state: 'BACKUP', master: b.ip, keptOut: { standby: 'operator standby (floatd standby)' } });
    expect((await runCli(['status', '--control-socket', m.controlSocket])).stdout).toContain('\n  kept out of mastership (standby): operator standby (floatd standby)\n');
  });

  it('standby outlives a restart of the agent (a reboot for maintenance): the node comes back held out until resume', async () => {
    const { c, m, b } = await twoNodes();
    expect((await runCli(['standby', '--control-socket', m.controlSocket])).code).toBe(0);
    await c.waitForMaster(b);
    // The agent stops (SIGTERM as BACKUP: at once) and starts again, as after a reboot.
    c.kill(m, 'SIGTERM');
    await c.exited(m);
    await c.start(m);
    expect(await status(m)).toMatchObject({ state: 'BACKUP', keptOut: { standby: 'operator standby (floatd standby)' } });
    // Its master dies: the node in standby still does not promote.
    c.kill(b, 'SIGKILL');
    await c.exited(b);
    await sleep(3 * MASTER_DOWN_MS);
    expect((await status(m)).state).toBe('BACKUP');
    expect((await runCli(['resume', '--control-socket', m.controlSocket])).code).toBe(0);
    await c.waitForMaster(m);
    // Resumed for good: a restart now leaves it a candidate.
    c.kill(m, 'SIGTERM');
    await c.exited(m);
    await c.start(m);
    expect((await status(m)).keptOut).toEqual({});
  });

  it('resume lets a node in standby take part again: it takes over when the master goes into standby', async () => {
    const { c, m, b } = await twoNodes();
    expect((await runCli(['standby', '--control-socket', m.controlSocket])).code).toBe(0);
    await c.waitForMaster(b);
    // While m is in standby, b going into standby too leaves no master (m must not promote).
    const r = await runCli(['resume', '--control-socket', m.controlSocket]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('resumed: BACKUP, taking part in the election again');
    expect((await status(m)).keptOut).toEqual({});
    const since = c.mark();
    expect((await runCli(['standby', '--control-socket', b.controlSocket])).code).toBe(0);
    await c.waitForMaster(m);
    expect(c.find(m, (e) => e.event === 'transition' && e.state === 'MASTER', since)).toBeDefined();
    // resume without a standby says there was nothing to do.
    const again = await runCli(['resume', '--control-socket', m.controlSocket]);
    expect([again.code, again.stdout.split('\n')[0]]).toEqual([0, 'not in standby: nothing to resume']);
  });

  it('a backup in standby does not promote when the master dies', async () => {
    const { c, m, b } = await twoNodes();
    expect((await runCli(['standby', '--control-socket', b.controlSocket])).stdout.split('\n')[0]).toBe('standby: BACKUP, held out of the election until floatd resume');
    c.kill(m, 'SIGKILL');
    await sleep(3 * MASTER_DOWN_MS);
    expect(b.state).toBe('BACKUP');
    expect((await runCli(['resume', '--control-socket', b.controlSocket])).code).toBe(0);
    await c.waitForMaster(b);
  });

  it('clear lifts the bar of a node that reached --failure-threshold, and it promotes again', async () => {
    // Alone, with an up hook that fails: one failed mastership keeps it out until `floatd clear`.
    const c = await cluster({ nodes: [{ advskew: 0, upHooks: ['fail.sh'], cooldown: 0.2, extraArgs: ['--failure-threshold', '1', '--failure-timeout', '0'] }] });
    const [n] = c.nodes as [ClusterNode];
    await waitUntil('the failures bar', async () => (await status(n)).keptOut?.failures !== undefined);
    const out = await status(n);
    expect(out).toMatchObject({ state: 'BACKUP', serving: false });
    expect(out.keptOut?.failures).toMatch(/^1 failed mastership within 600\.0 s \(last: up hook failed: .*10-fail\.sh exited 1\): staying out until floatd clear$/);
    // Well past its cooldown and master-down interval, a silent cluster does not bring it back.
    await sleep(2 * MASTER_DOWN_MS);
    expect((await status(n)).state).toBe('BACKUP');
    // The operator fixes the service, then clears.
    await copyFile(fixture('record.sh'), join(n.dir, 'hooks', 'up.d', '10-fail.sh'));
    const r = await runCli(['clear', '--control-socket', n.controlSocket]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status(n)).keptOut).toEqual({});
    await waitUntil('serving again', async () => (await status(n)).serving);
    expect((await status(n))).toMatchObject({ state: 'MASTER', epoch: 2 });
  });

  it('clear answers with what it did and the node state', async () => {
    const { b } = await twoNodes();
    const r = await runCli(['clear', '--control-socket', b.controlSocket]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cleared: failed masterships forgotten\nvhid 42 .*: BACKUP since /);
  });

  it('no agent on the socket: a message naming it, exit 1 (status: 3, not running); --vhid and --control-socket together are refused', async () => {
    for (const [cmd, code] of [['standby', 1], ['status', 3]] as const) {
      const r = await runCli([cmd, '--control-socket', '/nonexistent/floatd.sock']);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(/\/nonexistent\/floatd\.sock.*ENOENT/);
    }
    const both = await runCli(['resume', '--vhid', '3', '--control-socket', '/x.sock']);
    expect([both.code, both.stderr]).toEqual([1, 'floatd: give --vhid or --control-socket, not both\n']);
    const bad = await runCli(['clear', '--vhid', '300']);
    expect([bad.code, bad.stderr]).toEqual([1, 'floatd: --vhid must be an integer from 1 to 255, got "300"\n']);
  });
});

describe('one agent per socket', () => {
  it('a second agent with the same --control-socket refuses to start, naming the flag and the other pid', async () => {
    const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50, deferred: true }] });
    const [first, second] = c.nodes as [ClusterNode, ClusterNode];
    second.spec.extraArgs = ['--control-socket', first.controlSocket];
    const err = await c.start(second).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/exited during startup \(\{"code":1,"signal":null\}\)/);
    expect(err?.message).toContain(`--control-socket "${first.controlSocket}" is answered by another running floatd (pid ${first.runs[0]?.pid})`);
    expect(c.advertsFrom(second)).toEqual([]);
    expect((await status(first)).state).not.toBe('STOPPED');
  });

  it('a stale socket left by a SIGKILLed agent is replaced at the next start', async () => {
    const { c, b } = await twoNodes();
    c.kill(b, 'SIGKILL');
    await c.exited(b);
    expect((await stat(b.controlSocket)).isSocket()).toBe(true);
    const since = c.mark();
    await c.start(b);
    expect(c.find(b, (e) => /removed a stale control socket/.test(e.msg), since)).toBeDefined();
    expect((await status(b)).pid).toBe(b.runs[1]?.pid);
  });
});

describe('--garp-refresh', () => {
  it('announces again every period while master and serving, not as a backup, and stops in standby', async () => {
    const { c, m, b } = await twoNodes(['--garp-refresh', '1']);
    const garps = (n: ClusterNode, since: number) => c.events(n, since).filter((e) => e.msg === 'gratuitous ARP (recorded only)').length;
    const since = c.mark();
    await sleep(3500);
    expect(garps(m, since)).toBeGreaterThanOrEqual(3);
    expect(garps(m, since)).toBeLessThanOrEqual(4);
    expect(garps(b, since)).toBe(0);
    expect((await runCli(['standby', '--control-socket', m.controlSocket])).code).toBe(0);
    await c.waitForMaster(b);
    const after = c.mark();
    await sleep(2500);
    expect(garps(m, after)).toBe(0);
    expect(garps(b, after)).toBeGreaterThanOrEqual(2);
  });
});
