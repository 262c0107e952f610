// The phases before the VIP: a prepare.d hook that fails rolls the promotion back without the
// VIP ever being added; --takeover-check keeps a refusing standby BACKUP — no advert, no VIP, no hook —
// retrying with a growing backoff until it passes; --phase-timeout gives one phase a longer timeout; and
// hooks learn from the run record how this node's previous run ended and what it heard since.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, isStarting, joined, killHost, outDir, outputLines, refusals, skipNote, startAgent, transitions, unavailable, vipOp, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 39;
// h1: a prepare hook that can be made to fail and one that takes 2 s, under a 1 s hook timeout that the
// prepare phase alone raises to 5 s. h2: gated by a takeover check.
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, shutdown: true, cooldown: 1, prepare: ['fail-if-flagged', 'slow', 'facts'], up: ['mark'], down: ['facts'], extra: ['--hook-timeout', '1', '--phase-timeout', 'prepare=5'] };
const S2: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 50, shutdown: true, takeoverCheck: 'gate', prepare: ['facts'], up: ['mark'], down: ['facts'] };

describe.skipIf(unavailable !== undefined)(`the takeover gate and the prepare phase${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let a1: AgentProcess;
  let a2: AgentProcess;

  const flag = (host: LabHost, name: string, on: boolean) => {
    const path = join(outDir(lab, host, VHID), name);
    if (on) writeFileSync(path, '');
    else rmSync(path, { force: true });
  };
  const vipEvents = (host: LabHost, since = -Infinity) => lab.addresses.events.filter((e) => e.address === VIP && e.host === host.name && e.at >= since).map((e) => e.op);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  watchLab(() => lab);

  it('a failing prepare hook rolls back without the VIP ever being added; after the cooldown the node promotes, its slow prepare hook within the phase timeout', async () => {
    agentArgs(lab, h1, S1); // lays out h1's hooks and output directories
    flag(h1, 'fail-prepare', true);
    a1 = startAgent(lab, h1, S1);
    const released = await a1.waitFor('h1 rolls back', becomes('RELEASING'), { timeoutMs: 5000 });
    expect(released.reason).toMatch(/^up hook failed: .*prepare\.d\/10-fail-if-flagged exited 1$/);
    await a1.waitFor('h1 back to BACKUP', becomes('BACKUP'), { since: a1.lines.indexOf(released) });
    expect(a1.lines.filter(vipOp('add'))).toEqual([]);
    expect(vipEvents(h1)).toEqual([]);
    // The rollback ran the down hooks for that mastership.
    expect(outputLines(lab, h1, VHID, 'facts').at(-1)).toMatch(/^down BACKUP /);

    flag(h1, 'fail-prepare', false);
    const serving = await a1.waitFor('h1 serving after its cooldown', isServing, { timeoutMs: 10_000 });
    // 10-fail-if-flagged passed, 20-slow took 2 s (over the 1 s --hook-timeout, within prepare=5), then the VIP.
    const slowDone = a1.lines.find((l) => l.msg === 'hook finished' && String(l.hook).endsWith('prepare.d/20-slow'));
    const added = a1.lines.find(vipOp('add'));
    expect(slowDone && added && a1.lines.indexOf(slowDone) < a1.lines.indexOf(added)).toBe(true);
    expect(Number(slowDone?.durationMs)).toBeGreaterThan(1500);
    expect(serving.epoch).toBe(2);
    expect(vipEvents(h1)).toEqual(['add']);
  });

  it('a standby whose takeover check refuses stays BACKUP after the master dies: no VIP, no hooks, retries 1 s, 2 s, 4 s apart, each refusal an error', async () => {
    a2 = startAgent(lab, h2, S2);
    await joined(a2);
    await follows(a2, h1);
    const since = a2.mark();
    const diedAt = performance.now();
    await killHost(lab, a1, VIP);

    await a2.waitFor('three refusals', () => refusals(a2, since).length >= 3, { since, timeoutMs: 12_000 });
    const [r1, r2, r3] = refusals(a2, since) as [(typeof a2.lines)[number], (typeof a2.lines)[number], (typeof a2.lines)[number]];
    expect(r1.level).toBe(50);
    expect(r1.msg).toMatch(/^takeover check refused \(.*gate\.sh exited 1\): staying BACKUP, next try in 1\.0 s$/);
    expect(r2.msg).toMatch(/next try in 2\.0 s$/);
    expect(r3.at - r2.at).toBeGreaterThan(1800);
    expect(transitions(a2, since)).toEqual([]);
    expect(vipEvents(h2, diedAt)).toEqual([]);
    // Nothing but the check ran: no prepare, up or down hook since the master died.
    expect(a2.lines.slice(since).filter((l) => l.msg === 'hook started' && !String(l.hook).endsWith('gate.sh'))).toEqual([]);
    expect(outputLines(lab, h2, VHID, 'checks').length).toBeGreaterThanOrEqual(3);
    // The master went silent: the check is told so (it may still hold the VIP; probe it).
    expect(new Set(outputLines(lab, h2, VHID, 'checks'))).toEqual(new Set(['takeover-check epoch=3 claim=silent']));
  });

  it('once the check passes the standby promotes, and its hooks know it was a backup that followed h1 in epoch 2', async () => {
    const since = a2.mark();
    flag(h2, 'allow', true);
    const serving = await a2.waitFor('h2 serving', isServing, { since, timeoutMs: 10_000 });
    expect(serving.epoch).toBe(3);
    expect(outputLines(lab, h2, VHID, 'facts').at(-1)).toBe(`prepare MASTER previous-run=none/ newer=no last=${h1.ip}/2 max=2 epoch=3`);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('h1, restarted after dying as master, is told so at start-up, and when it promotes again it is told a newer epoch was heard', async () => {
    rmSync(join(outDir(lab, h1, VHID), 'facts'), { force: true });
    // Now gated too: its check is told that h2 resigned (an authenticated resign: nothing left to probe).
    a1 = startAgent(lab, h1, { ...S1, takeoverCheck: 'gate' });
    flag(h1, 'allow', true);
    await a1.waitFor('h1 listening', isStarting);
    await joined(a1);
    await follows(a1, h2);
    expect(outputLines(lab, h1, VHID, 'facts')[0]).toBe('down BACKUP previous-run=master/2 newer=no last=/ max=2 epoch=2');
    const since = a1.mark();
    a2.kill('SIGTERM');
    await a2.exited;
    await a1.waitFor('h1 serving', isServing, { since, timeoutMs: 10_000 });
    expect(outputLines(lab, h1, VHID, 'facts').at(-1)).toBe(`prepare MASTER previous-run=master/2 newer=yes last=${h2.ip}/3 max=3 epoch=4`);
    expect(outputLines(lab, h1, VHID, 'checks')).toEqual(['takeover-check epoch=4 claim=resigned']);
    expect(existsSync(join(lab.dir, `h1-vhid${VHID}.record.json`))).toBe(true);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
