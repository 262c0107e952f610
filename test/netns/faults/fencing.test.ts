// --fence: a backup whose master died fences that master before it promotes; while the fence
// fails it stays BACKUP — no advert, no VIP, no hook — and retries with backoff; after a resign nobody is fenced.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, joined, killHost, masterAndBackup, outDir, outputLines, refusals, skipNote, startAgent, transitions, unavailable, vipOp, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 43;
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, shutdown: true, up: ['mark'], down: ['mark'], fence: 'fence' };
const S2: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 50, shutdown: true, up: ['mark'], down: ['mark'], fence: 'fence' };

describe.skipIf(unavailable !== undefined)(`fencing before a takeover${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let a1: AgentProcess;
  let a2: AgentProcess;

  const fenceOk = (host: LabHost, on: boolean) => {
    const path = join(outDir(lab, host, VHID), 'fence-ok');
    if (on) writeFileSync(path, '');
    else rmSync(path, { force: true });
  };
  const vipEvents = (host: LabHost, since: number) => lab.addresses.events.filter((e) => e.address === VIP && e.host === host.name && e.at >= since).map((e) => e.op);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    agentArgs(lab, h1, S1);
    agentArgs(lab, h2, S2);
  });

  watchLab(() => lab);

  it('after its master dies, a backup whose fence fails stays BACKUP: it fences the dead master by address, retries with backoff, and adds nothing', async () => {
    [a1, a2] = await masterAndBackup(lab, h1, S1, h2, S2);
    // h1 promoted on a silent cluster with nobody to fence: nothing was fenced.
    expect(outputLines(lab, h1, VHID, 'fences')).toEqual([]);
    await follows(a2, h1);
    const since = a2.mark();
    const diedAt = performance.now();
    // The "power-off" the fence stands for: the dead host's address goes with it.
    await killHost(lab, a1, VIP);

    await a2.waitFor('two refused takeovers', () => refusals(a2, since).length >= 2, { since, timeoutMs: 12_000 });
    expect(refusals(a2, since)[0]?.msg).toMatch(new RegExp(`^takeover check refused \\(fence of ${h1.ip.replaceAll('.', '\\.')} failed: .*fence\\.sh exited 1\\): staying BACKUP, next try in 1\\.0 s$`));
    expect(outputLines(lab, h2, VHID, 'fences').slice(0, 2)).toEqual([`${h1.ip} epoch=2 phase=fence`, `${h1.ip} epoch=2 phase=fence`]);
    expect(transitions(a2, since)).toEqual([]);
    expect(vipEvents(h2, diedAt)).toEqual([]);
    expect(a2.lines.slice(since).filter((l) => l.msg === 'hook started' && !String(l.hook).endsWith('fence.sh'))).toEqual([]);
  });

  it('once the fence succeeds the backup promotes, after the fence and never before it', async () => {
    const since = a2.mark();
    fenceOk(h2, true);
    const serving = await a2.waitFor('h2 serving', isServing, { since, timeoutMs: 10_000 });
    expect(serving.epoch).toBe(2);
    const fenced = a2.lines.findIndex((l, i) => i >= since && l.event === 'fenced');
    const promoted = a2.lines.findIndex((l, i) => i >= since && becomes('MASTER')(l));
    expect(fenced).toBeGreaterThan(-1);
    expect(fenced).toBeLessThan(promoted);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('a master that resigns is not fenced: the backup promotes at once without calling the fence', async () => {
    a1 = startAgent(lab, h1, S1);
    await joined(a1);
    await follows(a1, h2);
    const since = a1.mark();
    a2.kill('SIGTERM'); // -z: down hooks, VIP removal, resign
    await a2.exited;
    await a1.waitFor('h1 serving after the resign', isServing, { since, timeoutMs: 10_000 });
    expect(a1.lines.slice(since).filter(vipOp('add')).length).toBe(1);
    expect(outputLines(lab, h1, VHID, 'fences')).toEqual([]);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
