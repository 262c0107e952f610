// Failure accounting (Pacemaker's migration-threshold): a preferred node whose up hook keeps
// failing hands over each time, and after --failure-threshold failures it stays out — it no longer
// preempts, and not even the death of the serving node brings it back — until its failure timeout is over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, killHost, masterDownMs, outDir, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 44;
// h1 is preferred and preempts; its up hook fails while the flag file exists. Two failures within a
// minute keep it out for 8 s.
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, preempt: true, shutdown: true, cooldown: 1, up: ['fail-if-flagged', 'mark'], down: ['mark'], extra: ['--failure-threshold', '2', '--failure-window', '60', '--failure-timeout', '8'] };
const S2: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 50, shutdown: true, up: ['mark'], down: ['mark'] };

describe.skipIf(unavailable !== undefined)(`failed masterships are counted${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let a1: AgentProcess;
  let a2: AgentProcess;

  const failUp = (on: boolean) => {
    const path = join(outDir(lab, h1, VHID), 'fail-up');
    if (on) writeFileSync(path, '');
    else rmSync(path, { force: true });
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    agentArgs(lab, h1, S1);
  });

  watchLab(() => lab);

  it('a preferred node whose up hook fails twice hands over twice, then stays out: it does not preempt again', async () => {
    a2 = startAgent(lab, h2, S2);
    await a2.waitFor('h2 serving', isServing, { timeoutMs: 10_000 });
    failUp(true);
    a1 = startAgent(lab, h1, S1);
    // Preempt, fail, release, cool down, preempt, fail: two failed masterships.
    const barred = await a1.waitFor('h1 kept out', (l) => l.event === 'bar' && l.bar === 'failures', { timeoutMs: 20_000 });
    expect(barred.msg).toMatch(/^kept out of mastership \(failures\): 2 failed masterships within 60\.0 s \(last: up hook failed: .*up\.d\/10-fail-if-flagged exited 1\): staying out for 8\.0 s or until floatd clear$/);
    const releases = a1.lines.filter(becomes('RELEASING'));
    expect(releases.length).toBe(2);
    await follows(a1, h2);
    // The state file (and so `floatd status`) says why it is out.
    const doc = JSON.parse(readFileSync(join(lab.dir, `h1-vhid${VHID}.json`), 'utf8')) as { keptOut?: Record<string, string> };
    expect(doc.keptOut?.failures).toMatch(/^2 failed masterships within 60\.0 s/);
    // Well past its cooldown, h1 hears the slower h2 and leaves it in place.
    const since = a1.mark();
    await sleep(3000);
    expect(transitions(a1, since)).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });

  it('while it is out, the death of the serving node does not bring it back; after the failure timeout it takes over again', async () => {
    failUp(false);
    const since = a1.mark();
    await killHost(lab, a2, VIP);
    // Several master-down intervals of silence, and h1 is still BACKUP.
    await sleep(masterDownMs(S1) * 3);
    expect(transitions(a1, since)).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual([]);
    const back = await a1.waitFor('failure timeout over', (l) => l.event === 'unbar' && l.bar === 'failures', { since, timeoutMs: 12_000 });
    const serving = await a1.waitFor('h1 serving', isServing, { since: a1.lines.indexOf(back), timeoutMs: 10_000 });
    expect(serving.epoch).toBeGreaterThan(0);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
  });
});
