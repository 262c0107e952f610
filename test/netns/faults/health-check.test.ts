// Fault: a health check (--check) fails. Each check tests a file the test controls, one per host, so a
// "service" breaks and heals on command. A weight check makes a -P peer take over; a fault check makes a
// master leave in order and holds a node out while it fails; a master-only check hands over. Each
// scenario has its own vhid and VIP on one two-host lab.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentLine, type AgentProcess, type Lab, type LabHost } from '../../support/netns.js';
import { becomes, isServing, labAndAgents, markers, masterAndBackup, masterDownMs, skipNote, transitions, unavailable, vipOp, type AgentSpec } from './fault-lab.js';

const WAIT = { timeoutMs: 10_000 };

describe.skipIf(unavailable !== undefined)(`fault: health checks move and hold mastership${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;

  // The file `host`'s check tests for this scenario; the check passes while it exists.
  const okFile = (name: string, host: LabHost) => join(lab.dir, `${name}-ok-${host.name}`);
  const heal = (name: string, host: LabHost) => writeFileSync(okFile(name, host), '');
  const breakIt = (name: string, host: LabHost) => rmSync(okFile(name, host), { force: true });

  const spec = (vhid: number, advskew: number, check: (host: LabHost) => string, more: Partial<AgentSpec> = {}) => (host: LabHost): AgentSpec => ({
    vhid, vip: `198.51.100.${vhid + 100}`, advbase: 0.2, advskew, up: ['mark'], down: ['mark'], ...more, extra: ['--check', check(host), ...(more.extra ?? [])],
  });

  const checkLine = (status: 'failing' | 'passing') => (l: AgentLine) => l.event === 'check' && l.status === status;

  // h1 (master) hands over in order for `reason`: down hooks, VIP removal, resign, BACKUP; then h2 takes
  // over on the resign and serves, and the VIP was never on both.
  const handsOverInOrder = async (first: AgentProcess, second: AgentProcess, since: readonly [number, number], vhid: number, vip: string, reason: string) => {
    await first.waitFor('h1 VIP removed', vipOp('remove'), { since: since[0], ...WAIT });
    await first.waitFor('h1 resigns', (l) => l.event === 'resign', { since: since[0], ...WAIT });
    const backup = await first.waitFor('h1 BACKUP', becomes('BACKUP'), { since: since[0], ...WAIT });
    expect(backup.reason).toBe(reason);
    expect(markers(lab, h1, vhid).at(-1)).toBe(`down BACKUP previous=MASTER epoch=1 ${reason}`);
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], ...WAIT });
    expect(promoted.reason).toBe('master 198.51.100.11 resigned');
    await second.waitFor('h2 serving', isServing, { since: since[1], ...WAIT });
    expect(await lab.vipHolders(vip)).toEqual(['h2']);
    expect(lab.addresses.overlaps(vip)).toEqual([]);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  const agents = labAndAgents(() => lab);

  it('weight: a master whose weight check fails is preempted by a -P backup in order, and takes mastership back once it passes: never both', async () => {
    const name = 'weight';
    const check = (host: LabHost) => `interval=0.2 rise=2 fall=2 weight=100 -- test -e ${okFile(name, host)}`;
    const [s1, s2] = [spec(51, 0, check, { preempt: true })(h1), spec(51, 50, check, { preempt: true })(h2)];
    heal(name, h1);
    heal(name, h2);
    const [first, second] = await masterAndBackup(lab, h1, s1, h2, s2);
    agents.track(first, second);
    const since = [first.mark(), second.mark()] as const;

    const brokenAt = performance.now();
    breakIt(name, h1);
    const warned = await first.waitFor('h1 check failing', checkLine('failing'), { since: since[0], ...WAIT });
    expect(warned.level).toBe(40);
    expect(warned.msg).toMatch(/failed 2 times in a row \(exit code 1\): this node advertises advskew \+100/);
    // h1 now advertises 0 + 100 > h2's 50: h2, with -P, preempts it.
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], ...WAIT });
    expect(promoted.reason).toMatch(/^preempting 198\.51\.100\.11 \(interval /);
    const stepped = await first.waitFor('h1 steps down', becomes('BACKUP'), { since: since[0], ...WAIT });
    expect(stepped.reason).toMatch(/^newer master 198\.51\.100\.12/);
    await first.waitFor('h1 VIP removed', vipOp('remove'), { since: since[0], ...WAIT });
    const served = await second.waitFor('h2 serving', isServing, { since: since[1], ...WAIT });
    expect(second.lines.slice(since[1]).find((l) => l.event === 'handover')?.msg).toBe(`${promoted.reason}; 198.51.100.11 handed over: starting the service`);
    expect(served.at).toBeGreaterThan(stepped.at);
    expect(await lab.vipHolders(s1.vip)).toEqual(['h2']);
    expect(markers(lab, h1, s1.vhid).at(-1)).toBe(`down BACKUP previous=MASTER epoch=1 ${stepped.reason}`);
    // No flapping while the check keeps failing.
    const settled = [first.mark(), second.mark()] as const;
    await sleep(3 * masterDownMs(s2));
    expect([transitions(first, settled[0]), transitions(second, settled[1])]).toEqual([[], []]);

    // Healed: h1's weight is gone, its 0 beats h2's 50 again, and h1 (with -P) takes mastership back.
    heal(name, h1);
    await first.waitFor('h1 check passing', checkLine('passing'), { since: settled[0], ...WAIT });
    await first.waitFor('h1 MASTER again', becomes('MASTER'), { since: settled[0], ...WAIT });
    await second.waitFor('h2 steps down', becomes('BACKUP'), { since: settled[1], ...WAIT });
    await first.waitFor('h1 serving', isServing, { since: settled[0], ...WAIT });
    await second.waitFor('h2 VIP removed', vipOp('remove'), { since: settled[1], ...WAIT });
    expect(await lab.vipHolders(s1.vip)).toEqual(['h1']);

    // The VIP moved h1 → h2 → h1, each time dropped by the old master before the new one added it.
    expect(lab.addresses.changesSince(s1.vip, brokenAt, 'h1')).toEqual(['del h1', 'add h2', 'del h2', 'add h1']);
    expect(lab.addresses.overlaps(s1.vip)).toEqual([]);
  });

  it('fault: a master whose fault check fails leaves in order (down hooks, VIP, resign) and the backup takes over at once', async () => {
    const name = 'fault';
    const check = (host: LabHost) => `interval=0.2 rise=2 fall=2 -- test -e ${okFile(name, host)}`;
    const [s1, s2] = [spec(52, 0, check, { shutdown: true })(h1), spec(52, 50, check, { shutdown: true })(h2)];
    heal(name, h1);
    heal(name, h2);
    const [first, second] = await masterAndBackup(lab, h1, s1, h2, s2);
    agents.track(first, second);
    let since = [first.mark(), second.mark()] as const;

    breakIt(name, h1);
    const released = await first.waitFor('h1 releases', becomes('RELEASING'), { since: since[0], ...WAIT });
    expect(released.reason).toBe(`health check "test -e ${okFile(name, h1)}" failed 2 times in a row (exit code 1)`);
    await handsOverInOrder(first, second, since, s1.vhid, s1.vip, String(released.reason));

    // Held out: with its peer gone (-z: down hooks, VIP removed, resign) and its check still failing,
    // h1 hears no master, yet stays BACKUP and takes no VIP.
    since = [first.mark(), second.mark()] as const;
    second.kill('SIGTERM');
    await second.exited;
    await sleep(4 * masterDownMs(s1));
    expect(transitions(first, since[0])).toEqual([]);
    expect(first.state).toBe('BACKUP');
    expect(await lab.vipHolders(s1.vip)).toEqual([]);

    // The check passes again (rise=2): the bar goes, and after a master-down interval h1 promotes.
    heal(name, h1);
    const passing = await first.waitFor('h1 check passes', checkLine('passing'), { since: since[0], ...WAIT });
    const master = await first.waitFor('h1 MASTER', becomes('MASTER'), { since: since[0], ...WAIT });
    expect(master.at).toBeGreaterThan(passing.at);
    await first.waitFor('h1 serving', isServing, { since: since[0], ...WAIT });
    expect(await lab.vipHolders(s1.vip)).toEqual(['h1']);
    expect(lab.addresses.overlaps(s1.vip)).toEqual([]);
    // One warning when it turned failing, one line when it passed again: not one per run.
    expect(first.lines.filter((l) => l.event === 'check').map((l) => l.status)).toEqual(['failing', 'passing']);
  });

  it('on=master: the master whose service check fails hands over to the backup in order; the check never ran on the backup', async () => {
    const name = 'service';
    const runs = (host: LabHost) => join(lab.dir, `service-runs-${host.name}`);
    const check = (host: LabHost) => `on=master interval=0.2 fall=2 -- echo "$FLOATD_STATE" >> ${runs(host)}; test -e ${okFile(name, host)}`;
    const [s1, s2] = [spec(53, 0, check)(h1), spec(53, 50, check)(h2)];
    heal(name, h1);
    heal(name, h2);
    const [first, second] = await masterAndBackup(lab, h1, s1, h2, s2);
    agents.track(first, second);
    // Runs on the serving master only.
    await sleep(1000);
    expect(outputLines(runs(h1)).length).toBeGreaterThan(2);
    expect(outputLines(runs(h2))).toEqual([]);
    const since = [first.mark(), second.mark()] as const;

    breakIt(name, h1);
    const released = await first.waitFor('h1 releases', becomes('RELEASING'), { since: since[0], ...WAIT });
    expect(released.reason).toBe(`health check "${check(h1).replace(/^.* -- /, '')}" failed 2 times in a row (exit code 1)`);
    await handsOverInOrder(first, second, since, s1.vhid, s1.vip, String(released.reason));

    // h2's own service check starts with its mastership.
    const h2Runs = () => outputLines(runs(h2));
    await sleep(1000);
    expect(h2Runs().length).toBeGreaterThan(0);
    expect(new Set(h2Runs())).toEqual(new Set(['MASTER']));
    // h1, now BACKUP, no longer runs its master-only check.
    const count = outputLines(runs(h1)).length;
    await sleep(1000);
    expect(outputLines(runs(h1))).toHaveLength(count);
    expect(new Set(outputLines(runs(h1)))).toEqual(new Set(['MASTER']));
  });
});

function outputLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
