// Real floatd processes on loopback (see test/support/cluster.ts): election, failover, graceful shutdown,
// preemption, split-brain resolution, demotion, restarts and status, end to end (hooks: hooks.test.ts).
// Time bounds here are generous upper limits that only a broken mechanism would exceed.
import { describe, expect, it } from 'vitest';
import { VIP, clusterPerTest, runCli, type ClusterNode } from '../support/cluster.js';
import { isDownHookStart, isMasterTransition, readJson } from './helpers.js';

const cluster = clusterPerTest();

describe('election', () => {
  it('three nodes elect exactly one master, and no other node becomes master while it advertises', async () => {
    const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50 }, { advskew: 100 }] });
    const master = await c.waitForSettled();
    expect(master).toBe(c.nodes[0]);

    const since = c.mark();
    await c.waitFor(() => c.advertsFrom(master, since).length >= 10, 10_000, '10 more adverts from the master');
    expect(c.events().filter(isMasterTransition).map((e) => e.node)).toEqual([master.index]);
    expect(c.events(undefined, since).filter((e) => e.event === 'transition')).toEqual([]);
    expect(c.masters()).toEqual([master]);
    expect(new Set(c.observed.filter((p) => p.seq >= since).map((p) => p.from))).toEqual(new Set([master.ip]));
  });

  it('after SIGKILL of the master another node becomes master and runs its up hooks', async () => {
    const c = await cluster({ nodes: [0, 50, 100].map((advskew, i) => ({ advskew, extraArgs: ['-x', `xp${i + 1}`] })) });
    const old = await c.waitForSettled();
    const since = c.mark();
    c.kill(old, 'SIGKILL');
    expect(await c.exited(old)).toEqual({ code: null, signal: 'SIGKILL' });

    const next = await c.waitForSettled();
    expect(next).not.toBe(old);
    const promoted = c.find(next, isMasterTransition, since);
    expect(promoted?.reason).toMatch(/^master down: no advert from 127\.0\.0\.1/);
    const ups = (await c.hookRuns(next)).filter((r) => r.phase === 'up');
    expect(ups).toEqual([{ phase: 'up', state: 'MASTER', previous: 'BACKUP', epoch: 2, reason: promoted?.reason, args: ['lo', VIP, `xp${next.index + 1}`] }]);
    expect(c.find(next, { stream: 'stdout', msg: 'record.sh: up MASTER' }, since)).toBeDefined();
  });
});

describe('shutdown', () => {
  it('with -z, SIGTERM of the master runs its down hooks, removes the VIP, resigns and exits 0, and a backup takes over by the resign', async () => {
    // The backups' dead interval is 20 × 0.2 s = 4 s: only the resign can make them take over sooner.
    const c = await cluster({ nodes: [{ advskew: 0, deadratio: 1 }, { advskew: 50, deadratio: 20 }, { advskew: 100, deadratio: 20 }] });
    const old = await c.waitForSettled();
    expect(old).toBe(c.nodes[0]);
    const since = c.mark();
    c.kill(old, 'SIGTERM');
    expect(await c.exited(old)).toEqual({ code: 0, signal: null });

    const ev = c.events(old, since);
    const down = ev.findIndex(isDownHookStart);
    const vipRemoved = ev.findIndex((e) => e.event === 'vip' && e.op === 'remove');
    const resigned = ev.findIndex((e) => e.event === 'resign');
    expect(down).toBeGreaterThanOrEqual(0);
    expect(vipRemoved).toBeGreaterThan(down);
    expect(resigned).toBeGreaterThan(vipRemoved);
    expect((await c.hookRuns(old)).at(-1)).toMatchObject({ phase: 'down', state: 'STOPPED', previous: 'MASTER', args: ['lo', VIP] });
    expect(c.advertsFrom(old, since).some((p) => p.advert?.type === 'resign')).toBe(true);

    const next = await c.waitForSettled();
    expect(next).toBe(c.nodes[1]);
    const promoted = c.find(next, isMasterTransition, since);
    expect(promoted?.reason).toBe('master 127.0.0.1 resigned');
    const sigterm = ev.find((e) => e.signal === 'SIGTERM');
    expect(sigterm).toBeDefined();
    expect((promoted?.time ?? Infinity) - (sigterm?.time ?? 0)).toBeLessThan(3_000);
  });

  it('without -z, SIGTERM of the master exits 0 without down hooks or VIP removal, and a backup takes over after the dead interval', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, shutdown: false }, { advskew: 50 }] });
    const old = await c.waitForSettled();
    const hooksBefore = (await c.hookRuns(old)).length;
    const since = c.mark();
    c.kill(old, 'SIGTERM');
    expect(await c.exited(old)).toEqual({ code: 0, signal: null });

    const ev = c.events(old, since);
    expect(ev.find((e) => e.event === 'transition')).toMatchObject({ state: 'STOPPED', previous: 'MASTER', reason: 'shutdown (no -z: VIP left in place)' });
    expect(ev.filter((e) => e.msg === 'hook started' || e.event === 'vip' || e.event === 'resign')).toEqual([]);
    expect(await c.hookRuns(old)).toHaveLength(hooksBefore);
    expect(c.advertsFrom(old, since).some((p) => p.advert?.type === 'resign')).toBe(false);

    const next = await c.waitForSettled();
    expect(c.find(next, isMasterTransition, since)?.reason).toMatch(/^master down: no advert from 127\.0\.0\.1/);
  });
});

describe('preemption', () => {
  it('a preferred node with -P that starts after a less preferred master takes over', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, preempt: true, deferred: true }, { advskew: 50 }] });
    const [preferred, slower] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(slower);
    const since = c.mark();
    await c.start(preferred);

    await c.waitForMaster(preferred);
    expect(c.find(preferred, isMasterTransition, since)?.reason).toMatch(/^preempting 127\.0\.0\.2 /);
    expect(c.find(slower, { event: 'transition', state: 'BACKUP' }, since)?.reason).toMatch(/^newer master 127\.0\.0\.1 \(epoch 2 > 1\)/);
    await c.waitForEvent(slower, { event: 'vip', op: 'remove' }, { since });
    expect((await c.hookRuns(slower)).at(-1)).toMatchObject({ phase: 'down', state: 'BACKUP', previous: 'MASTER' });
  });

  it('a preferred node without -P that starts after a master stays backup', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, deferred: true }, { advskew: 50 }] });
    const [preferred, master] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(master);
    await c.start(preferred);
    const since = c.mark();

    await c.waitFor(() => c.advertsFrom(master, since).length >= 10, 10_000, '10 adverts from the master after the preferred node started');
    expect(c.events(preferred).filter(isMasterTransition)).toEqual([]);
    expect(preferred.state).toBe('BACKUP');
    expect(c.masters()).toEqual([master]);
  });
});

describe('two masters', () => {
  it('a master frozen past the dead interval steps down to the newer master when it wakes, and runs its down hooks', async () => {
    const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50 }] });
    const [frozen, other] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(frozen);
    c.kill(frozen, 'SIGSTOP');
    await c.waitFor(() => other.state === 'MASTER' && other.serving, 10_000, `${other.name} to take over from the frozen master`);
    const since = c.mark();
    c.kill(frozen, 'SIGCONT');

    const stepDown = await c.waitForEvent(frozen, { event: 'transition', state: 'BACKUP' }, { since });
    expect(stepDown.reason).toMatch(/^newer master 127\.0\.0\.2 \(epoch 2 > 1\)/);
    await c.waitForEvent(frozen, { event: 'vip', op: 'remove' }, { since });
    expect((await c.hookRuns(frozen)).at(-1)).toMatchObject({ phase: 'down', state: 'BACKUP', previous: 'MASTER', epoch: 1 });

    const calm = c.mark();
    await c.waitFor(() => c.advertsFrom(other, calm).length >= 10, 10_000, '10 adverts from the remaining master');
    expect(c.events(undefined, calm).filter((e) => e.event === 'transition')).toEqual([]);
    expect(c.masters()).toEqual([other]);
  });
});

describe('demotion', () => {
  it('SIGUSR2 makes the master give the VIP up and resign, and keeps it out of the election for --cooldown', async () => {
    const cooldownMs = 2_000;
    const c = await cluster({ nodes: [{ advskew: 0, cooldown: cooldownMs / 1000 }, { advskew: 50 }] });
    const [demoted, other] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(demoted);
    const since = c.mark();
    c.kill(demoted, 'SIGUSR2');

    const releasing = await c.waitForEvent(demoted, { event: 'transition', state: 'RELEASING' }, { since });
    expect(releasing.reason).toBe('demoted by SIGUSR2 for 2.0 s');
    await c.waitForEvent(demoted, { event: 'transition', state: 'BACKUP' }, { since });
    const ev = c.events(demoted, since);
    expect(ev.findIndex((e) => e.event === 'resign')).toBeGreaterThan(ev.findIndex((e) => e.event === 'vip' && e.op === 'remove'));
    await c.waitForMaster(other);
    expect(c.find(other, isMasterTransition, since)?.reason).toBe('master 127.0.0.1 resigned');

    // With the other master gone, only the cooldown keeps the demoted node from promoting at once.
    c.kill(other, 'SIGKILL');
    const again = await c.waitForEvent(demoted, isMasterTransition, { since, timeoutMs: 15_000, what: 'the demoted node to promote after its cooldown' });
    expect(again.time - releasing.time).toBeGreaterThanOrEqual(cooldownMs - 50);
  });
});

describe('restart', () => {
  it('a restarted node removes a VIP left by its crashed run before joining, and never reuses an epoch or sequence number', async () => {
    const c = await cluster({ nodes: [{ advskew: 0 }] });
    const [n] = c.nodes as [ClusterNode];
    await c.waitForMaster(n);
    const crashed = await c.waitFor(() => readJson(n.stateFile, (d) => d.state === 'MASTER' && d.vipHeld === true), 5_000, 'the state file to record the held VIP');
    expect(crashed.epoch).toBe(1);
    const firstRunSeqs = c.advertsFrom(n).map((p) => p.advert?.seq ?? 0n);

    await c.restart(n);
    const since = c.mark();
    const rejoined = await c.waitFor(() => readJson(n.stateFile, (d) => d.pid === n.runs[1]?.pid), 5_000, 'the restarted node to write its state file');
    expect(rejoined.maxEpochSeen).toBe(1);

    const promoted = await c.waitForEvent(n, { event: 'transition', state: 'MASTER', run: 1 });
    const vipRemoved = c.find(n, { event: 'vip', op: 'remove', run: 1 });
    expect(vipRemoved).toBeDefined();
    expect(vipRemoved?.seq).toBeLessThan(promoted.seq);
    expect(c.events(n).filter((e) => e.run === 1 && e.event === 'transition').map((e) => e.state)).toEqual(['BACKUP', 'MASTER']);
    expect(promoted.epoch).toBe(2);

    await c.waitFor(() => c.advertsFrom(n, since).length >= 2, 5_000, 'adverts from the restarted master');
    const fresh = c.advertsFrom(n, since).map((p) => p.advert);
    const highestBefore = firstRunSeqs.reduce((a, b) => (a > b ? a : b), 0n);
    expect(fresh.every((a) => a !== undefined && a.epoch === 2 && a.seq > highestBefore)).toBe(true);
  });
});

describe('status', () => {
  it('status --state-file shows MASTER for the master and BACKUP for a backup, and --json parses', async () => {
    const c = await cluster({ nodes: [{ advskew: 0 }, { advskew: 50 }] });
    const [master, backup] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(master);
    await c.waitFor(() => readJson(master.stateFile, (d) => d.state === 'MASTER' && d.serving === true), 5_000, 'the master state file');
    await c.waitFor(() => readJson(backup.stateFile, (d) => d.state === 'BACKUP'), 5_000, 'the backup state file');

    const m = await runCli(['status', '--state-file', master.stateFile]);
    expect(m).toMatchObject({ code: 0, stderr: '' });
    expect(m.stdout).toMatch(/^vhid 42 VIP 127\.0\.0\.100 on lo \(127\.0\.0\.1\): MASTER, serving since /);
    const b = await runCli(['status', '--state-file', backup.stateFile]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^vhid 42 VIP 127\.0\.0\.100 on lo \(127\.0\.0\.2\): BACKUP since /);
    // The backup's file names the master it follows, without waiting for a transition of its own.
    await c.waitFor(() => readJson(backup.stateFile, (d) => d.master === '127.0.0.1'), 5_000, 'the backup naming its master');
    expect((await runCli(['status', '--state-file', backup.stateFile])).stdout).toMatch(/, master 127\.0\.0\.1, epoch /);

    const j = await runCli(['status', '--state-file', master.stateFile, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ vhid: 42, vip: VIP, srcip: '127.0.0.1', state: 'MASTER', serving: true, vipHeld: true, pid: master.runs[0]?.pid });
  });
});
