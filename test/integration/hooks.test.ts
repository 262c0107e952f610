// Hooks of real floatd processes on loopback (see test/support/cluster.ts): failing, slow and hanging
// up hooks, ucarp-style -u/-d scripts and their arguments, and the startup down hooks (-n).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIP, clusterPerTest, fixture, type ClusterNode } from '../support/cluster.js';
import { groupRunning, isDownHookStart, isMasterTransition, parseArgv } from './helpers.js';

const cluster = clusterPerTest();

describe('hooks', () => {
  it('a failing up hook makes the node give the VIP up and resign, another node serves, and the failed node stays out for --cooldown', async () => {
    const cooldownMs = 2_500;
    // The healthy node starts first with a 4 s dead interval, so the failing node is the first master.
    const c = await cluster({
      nodes: [
        { advskew: 0, deadratio: 3, cooldown: cooldownMs / 1000, upHooks: ['record.sh', 'fail.sh'], deferred: true },
        { advskew: 10, deadratio: 20 },
      ],
    });
    const [failing, healthy] = c.nodes as [ClusterNode, ClusterNode];
    await c.start(failing);

    const released = await c.waitForEvent(failing, { event: 'transition', state: 'RELEASING' });
    expect(released.reason).toMatch(/^up hook failed: .*20-fail\.sh exited 1$/);
    await c.waitForEvent(failing, { event: 'transition', state: 'BACKUP' }, { since: released.seq });
    const after = c.events(failing, released.seq);
    const down = after.findIndex(isDownHookStart);
    const vipRemoved = after.findIndex((e) => e.event === 'vip' && e.op === 'remove');
    const resigned = after.findIndex((e) => e.event === 'resign');
    expect(down).toBeGreaterThanOrEqual(0);
    expect(vipRemoved).toBeGreaterThan(down);
    expect(resigned).toBeGreaterThan(vipRemoved);
    expect(c.find(failing, { event: 'serving' })).toBeUndefined();

    await c.waitForMaster(healthy);
    expect(c.find(healthy, isMasterTransition)?.reason).toBe('master 127.0.0.1 resigned');

    // With the healthy master gone, only the cooldown keeps the failed node from promoting at once.
    c.kill(healthy, 'SIGKILL');
    const again = await c.waitForEvent(failing, isMasterTransition, { since: released.seq, timeoutMs: 15_000, what: 'the failed node to promote after its cooldown' });
    expect(again.time - released.time).toBeGreaterThanOrEqual(cooldownMs - 50);
  });

  it('a slow up hook does not hold up the adverts: no backup promotes while it runs', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, upHooks: ['slow.sh'], env: { FLOATD_TEST_SLOW: '3' } }, { advskew: 50 }] });
    const [slow, backup] = c.nodes as [ClusterNode, ClusterNode];
    const promoted = await c.waitForEvent(slow, isMasterTransition);
    const serving = await c.waitForEvent(slow, { event: 'serving' }, { timeoutMs: 15_000 });

    // The hook outlasted the backup's 1 s dead interval several times over.
    expect(serving.time - promoted.time).toBeGreaterThanOrEqual(2_900);
    expect(c.events(backup).filter(isMasterTransition)).toEqual([]);
    const during = c.advertsFrom(slow, promoted.seq).filter((p) => p.seq < serving.seq);
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(c.masters()).toEqual([slow]);
    expect(backup.state).toBe('BACKUP');
  });

  it('ucarp-style -u/-d scripts get $1 interface, $2 VIP and $3 xparam only when -x is given, plus the FLOATD_* environment', async () => {
    const scripts = ['-u', fixture('argv.sh'), '-d', fixture('argv.sh')];
    const c = await cluster({ nodes: [{ advskew: 0, extraArgs: [...scripts, '-x', 'extra param'] }, { advskew: 50, extraArgs: scripts }] });
    const [withX, withoutX] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(withX);
    c.kill(withX, 'SIGTERM');
    expect(await c.exited(withX)).toEqual({ code: 0, signal: null });
    await c.waitForMaster(withoutX);

    const read = (n: ClusterNode, name: string) => c.waitFor(() => existsSync(join(n.dir, name)) && parseArgv(readFileSync(join(n.dir, name), 'utf8')), 5_000, `${n.name} ${name}`);
    const common = { FLOATD_VHID: '42', FLOATD_VIP: VIP, FLOATD_VIPS: VIP, FLOATD_INTERFACE: 'lo', FLOATD_HOOK_TIMEOUT: '60', FLOATD_FENCE: '', FLOATD_PREVIOUS_RUN: 'none', FLOATD_PREVIOUS_RUN_EPOCH: '', FLOATD_NEWER_EPOCH_SEEN: 'no' };
    // Fresh nodes (no run record): the first master followed nobody; the second followed the first in epoch 1.
    const firstFacts = { FLOATD_LAST_MASTER: '', FLOATD_LAST_MASTER_EPOCH: '', FLOATD_MAX_EPOCH: '0' };
    const secondFacts = { FLOATD_LAST_MASTER: '127.0.0.1', FLOATD_LAST_MASTER_EPOCH: '1', FLOATD_MAX_EPOCH: '1' };

    const up1 = await read(withX, 'argv-up-MASTER');
    expect(up1.argv).toEqual(['lo', VIP, 'extra param']);
    expect(up1.env).toEqual({ ...common, ...firstFacts, FLOATD_STATE: 'MASTER', FLOATD_PREVIOUS_STATE: 'BACKUP', FLOATD_PHASE: 'up', FLOATD_EPOCH: '1', FLOATD_SRCIP: '127.0.0.1', FLOATD_XPARAM: 'extra param', FLOATD_REASON: up1.env.FLOATD_REASON });
    expect(up1.env.FLOATD_REASON).toMatch(/^no master heard/);
    const start1 = await read(withX, 'argv-down-BACKUP');
    expect(start1.argv).toEqual(['lo', VIP, 'extra param']);
    expect(start1.env).toMatchObject({ FLOATD_STATE: 'BACKUP', FLOATD_PREVIOUS_STATE: 'INIT', FLOATD_PHASE: 'down', FLOATD_REASON: 'started' });
    const stop1 = await read(withX, 'argv-down-STOPPED');
    expect(stop1.argv).toEqual(['lo', VIP, 'extra param']);
    expect(stop1.env).toMatchObject({ FLOATD_STATE: 'STOPPED', FLOATD_PREVIOUS_STATE: 'MASTER', FLOATD_PHASE: 'down', FLOATD_EPOCH: '1', FLOATD_REASON: 'shutdown requested' });

    const up2 = await read(withoutX, 'argv-up-MASTER');
    expect(up2.argv).toEqual(['lo', VIP]);
    expect(up2.env).toEqual({ ...common, ...secondFacts, FLOATD_STATE: 'MASTER', FLOATD_PREVIOUS_STATE: 'BACKUP', FLOATD_PHASE: 'up', FLOATD_EPOCH: '2', FLOATD_SRCIP: '127.0.0.2', FLOATD_XPARAM: '', FLOATD_REASON: 'master 127.0.0.1 resigned' });
    expect((await read(withoutX, 'argv-down-BACKUP')).argv).toEqual(['lo', VIP]);
  });

  it('with several -a, ucarp scripts get the first as $2 and every one in FLOATD_VIPS', async () => {
    const extra = ['-a', '2001:db8::99,127.0.0.99', '-u', fixture('argv.sh')];
    const c = await cluster({ nodes: [{ advskew: 0, extraArgs: extra }, { advskew: 50, extraArgs: extra }] });
    const [first] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(first);
    const up = await c.waitFor(() => existsSync(join(first.dir, 'argv-up-MASTER')) && parseArgv(readFileSync(join(first.dir, 'argv-up-MASTER'), 'utf8')), 5_000, 'the up script');
    expect(up.argv).toEqual(['lo', VIP]);
    expect(up.env).toMatchObject({ FLOATD_VIP: VIP, FLOATD_VIPS: `${VIP} 2001:db8::99 127.0.0.99` });
  });

  it('-n skips the down hooks at startup; without it they run once as the node enters BACKUP', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, neutral: true }, { advskew: 50 }] });
    const [neutral, plain] = c.nodes as [ClusterNode, ClusterNode];
    // The startup VIP removal is queued after the startup down hooks, so once it is logged they are done.
    const neutralVip = await c.waitForEvent(neutral, { event: 'vip', op: 'remove', run: 0 });
    const plainVip = await c.waitForEvent(plain, { event: 'vip', op: 'remove', run: 0 });
    await c.waitForMaster(neutral);

    expect(c.events(neutral).filter((e) => e.seq < neutralVip.seq && isDownHookStart(e))).toEqual([]);
    expect((await c.hookRuns(neutral)).filter((r) => r.phase === 'down')).toEqual([]);
    expect(c.events(plain).filter((e) => e.seq < plainVip.seq && isDownHookStart(e))).toHaveLength(1);
    expect((await c.hookRuns(plain)).filter((r) => r.phase === 'down')).toEqual([{ phase: 'down', state: 'BACKUP', previous: 'INIT', epoch: 0, reason: 'started', args: ['lo', VIP] }]);
  });

  it('with -z, SIGTERM during a hanging up hook kills the hook, runs the down hooks and hands over by resign', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, upHooks: ['slow.sh'], env: { FLOATD_TEST_SLOW: '60' } }, { advskew: 50, deadratio: 20 }] });
    const [hung, other] = c.nodes as [ClusterNode, ClusterNode];
    const pidFile = join(hung.dir, 'hook-pids');
    const hookPid = await c.waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8').trim()), 10_000, 'the up hook to start');
    expect(groupRunning(hookPid)).toBe(true);
    const since = c.mark();
    c.kill(hung, 'SIGTERM');
    expect(await c.exited(hung)).toEqual({ code: 0, signal: null });

    expect(c.find(hung, (e) => e.hook?.endsWith('slow.sh') === true && e.cancelled === true, since)).toBeDefined();
    expect(c.find(hung, { event: 'serving' })).toBeUndefined();
    expect((await c.hookRuns(hung)).at(-1)).toMatchObject({ phase: 'down', state: 'STOPPED', previous: 'MASTER' });
    await c.waitFor(() => !groupRunning(hookPid), 5_000, 'the up hook and its sleep to be gone');
    await c.waitForMaster(other);
    expect(c.find(other, isMasterTransition, since)?.reason).toBe('master 127.0.0.1 resigned');
  });

  it('with -z, a graceful stop resigns once down.d/ is done and the VIP is gone; released.d/ tidies up after, while the next master already serves, and the agent exits only then', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, releasedHooks: ['record.sh', 'slow.sh'], env: { FLOATD_TEST_SLOW: '2' } }, { advskew: 50, deadratio: 20 }] });
    const [old, next] = c.nodes as [ClusterNode, ClusterNode];
    await c.waitForMaster(old);
    const since = c.mark();
    c.kill(old, 'SIGTERM');
    const promoted = await c.waitForEvent(next, isMasterTransition, { since });
    expect(promoted.reason).toBe('master 127.0.0.1 resigned');
    expect(await c.exited(old)).toEqual({ code: 0, signal: null });

    const after = c.events(old, since);
    const at = (match: (e: (typeof after)[number]) => boolean) => after.findIndex(match);
    const downDone = after.map((e) => e.msg === 'hook finished' && String(e.hook).includes('/down.d/')).lastIndexOf(true);
    const vipRemoved = at((e) => e.event === 'vip' && e.op === 'remove');
    const resign = at((e) => e.event === 'resign');
    const releasedStart = at((e) => e.msg === 'hook started' && String(e.hook).includes('/released.d/'));
    const slowDone = after.find((e) => e.msg === 'hook finished' && String(e.hook).endsWith('released.d/20-slow.sh'));
    expect(downDone).toBeGreaterThanOrEqual(0);
    expect([downDone < vipRemoved, vipRemoved < resign, resign < releasedStart]).toEqual([true, true, true]);
    // The next master did not wait for the 2 s tidy-up: it promoted before released.d/ ended.
    expect(slowDone).toBeDefined();
    expect(promoted.time).toBeLessThan(slowDone!.time);
    expect(at((e) => e.event === 'exit')).toBeGreaterThan(after.indexOf(slowDone!));
    expect((await c.hookRuns(old)).at(-1)).toMatchObject({ phase: 'released', state: 'STOPPED', previous: 'MASTER' });
  });

  // Fails at the time of writing: src/agent/agent.ts cleanup() aborts the queue but exits without awaiting
  // it, so the SIGKILL that hooks.ts sends after its grace never happens (see the report).
  it('without -z, SIGTERM during an up hook that ignores SIGTERM still kills the hook group before the agent exits', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, shutdown: false, upHooks: ['ignore-term.sh'] }] });
    const [n] = c.nodes as [ClusterNode];
    const pidFile = join(n.dir, 'hook-pids');
    const hookPid = await c.waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8').trim()), 10_000, 'the up hook to start');
    expect(groupRunning(hookPid)).toBe(true);
    c.kill(n, 'SIGTERM');
    expect(await c.exited(n)).toEqual({ code: 0, signal: null });
    await c.waitFor(() => !groupRunning(hookPid), 1_000, 'the hook group to be gone once the agent has exited');
  });
});
