// A failed stop is not a clean resign (Pacemaker: a failed stop is fenced): the master's down hook fails on
// a graceful stop (-z); the release still ends (VIP removed, resign sent), but the resign says the stop
// failed, the agent exits 1, and the standby's takeover gate is told FLOATD_CLAIM=unclean and fences the old
// master before it promotes. The same stop with the hook passing is a clean handover: no fence.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, follows, isServing, joined, masterAndBackup, outDir, outputLines, skipNote, startAgent, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.122';
const VHID = 73;
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, shutdown: true, takeoverCheck: 'gate', fence: 'fence', down: ['fail-if-flagged', 'mark'], up: ['mark'] };
const S2: AgentSpec = { ...S1, advskew: 50 };

describe.skipIf(unavailable !== undefined)(`a failed stop is not a clean resign${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let a1: AgentProcess;
  let a2: AgentProcess;
  const touch = (host: LabHost, name: string) => writeFileSync(join(outDir(lab, host, VHID), name), '');

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    for (const h of [h1, h2]) {
      startAgent(lab, h, S1).kill('SIGKILL'); // lays the host's hooks and output directory out
    }
    for (const h of [h1, h2]) {
      touch(h, 'allow');
      touch(h, 'fence-ok');
    }
    [a1, a2] = await masterAndBackup(lab, h1, S1, h2, S2);
  }, 60_000);

  watchLab(() => lab);

  it('the down hook fails: the resign says so, the agent exits 1, the standby probes and fences before it promotes', async () => {
    touch(h1, 'fail-down');
    const mark = a2.mark();
    a1.kill('SIGTERM');
    const exit = await a1.exited;
    expect(exit.code).toBe(1);
    expect(a1.lines.some((l) => l.event === 'stop-failed' && /fail-if-flagged exited 1/.test(String(l.detail)))).toBe(true);
    expect(a1.lines.find((l) => l.event === 'resign')?.unclean).toMatch(/down hook failed/);
    // The release still went to its end: the VIP removed, the later down hook run.
    expect(a1.lines.some((l) => l.event === 'vip' && l.op === 'remove')).toBe(true);
    const up = await a2.waitFor('h2 MASTER', becomes('MASTER'), { since: mark, timeoutMs: 10_000 });
    expect(up.reason).toBe(`master ${h1.ip} resigned after a failed stop`);
    await a2.waitFor('h2 serving', isServing, { since: mark });
    expect(outputLines(lab, h2, VHID, 'checks').at(-1)).toMatch(/ claim=unclean$/);
    expect(outputLines(lab, h2, VHID, 'fences').at(-1)).toMatch(new RegExp(`^${h1.ip.replace(/\./g, '\\.')} `));
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 30_000);

  it('the same stop with the hook passing is a clean handover: told "resigned", nobody fenced, exit 0', async () => {
    rmSync(join(outDir(lab, h1, VHID), 'fail-down'));
    a1 = startAgent(lab, h1, S1);
    await joined(a1);
    await follows(a1, h2);
    const fences = outputLines(lab, h1, VHID, 'fences').length;
    const mark = a1.mark();
    a2.kill('SIGTERM');
    expect((await a2.exited).code).toBe(0);
    await a1.waitFor('h1 serving', isServing, { since: mark, timeoutMs: 10_000 });
    expect(outputLines(lab, h1, VHID, 'checks').at(-1)).toMatch(/ claim=resigned$/);
    expect(outputLines(lab, h1, VHID, 'fences')).toHaveLength(fences);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 30_000);
});
