// A prepared graceful handover in real namespaces (three nodes, --nodes 3, -z): the master's down hooks run,
// it keeps the VIP and names the preferred standby, whose prepare hook runs while it is BACKUP and the old
// master still holds the address; only then does the VIP move, in one resign/claim round trip, with the
// other standby untouched. A prepare hook that fails on the named standby is undone and the next standby is named.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess, Lab } from '../../support/netns.js';
import { watchLab } from '../../support/netns.js';
import { becomes, isServing, joined, markers, outDir, skipNote, startAgent, transitions, unavailable, type AgentSpec } from '../faults/fault-lab.js';
import { quorumLab, quorumSpecs } from './quorum-lab.js';

const VIP = '198.51.100.124';
const VHID = 75;
const SPECS: AgentSpec[] = quorumSpecs(3, VHID, VIP).map((s) => ({ ...s, shutdown: true, prepare: ['fail-if-flagged', 'mark'] }));

describe.skipIf(unavailable !== undefined)(`quorum: a prepared graceful handover${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    ({ lab, agents } = await quorumLab(3, SPECS));
  }, 60_000);

  watchLab(() => lab);

  const vipEvents = (since: number) => lab.addresses.events.filter((e) => e.address === VIP && e.at >= since);

  it('h1 stops: h2 prepares while h1 still holds the VIP, then the VIP moves in one round trip; h3 is untouched', async () => {
    const [h1, h2, h3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    const marks = [h1.mark(), h2.mark(), h3.mark()];
    const t0 = performance.now();
    h1.kill('SIGTERM');
    const named = await h1.waitFor('h1 names h2', (l) => l.event === 'handoff-successor', { since: marks[0], timeoutMs: 5000 });
    expect(named.successor).toBe(h2.host.ip);
    const ready = await h2.waitFor('h2 prepared', (l) => l.event === 'prepare' && l.stage === 'ready', { since: marks[1], timeoutMs: 5000 });
    await h2.waitFor('h2 serving', isServing, { since: marks[1], timeoutMs: 5000 });
    expect((await h1.exited).code).toBe(0);
    // The prepare hook ran as BACKUP, told it prepares for a mastership; the VIP was still on h1 then.
    expect(markers(lab, h2.host, VHID).filter((m) => m.startsWith('prepare '))).toHaveLength(1);
    expect(markers(lab, h2.host, VHID).find((m) => m.startsWith('prepare '))).toMatch(new RegExp(`^prepare MASTER previous=BACKUP epoch=\\d+ preparing to take over from ${h1.host.ip.replace(/\./g, '\\.')}$`));
    const events = vipEvents(t0);
    expect(events.map((e) => `${e.op} ${e.host}`)).toEqual(['del h1', 'add h2']);
    expect(events[0]!.at).toBeGreaterThan(ready.at - 50);
    // One resign/claim round trip between the two: no client retry falls into a gap without the address.
    expect(events[1]!.at - events[0]!.at).toBeLessThan(200);
    expect(transitions(h3, marks[2])).toEqual([]);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 30_000);

  it('h1 rejoins; h2 stops and names h1, whose prepare hook fails: h1 undoes it and h3 is named and takes over', async () => {
    const h1 = startAgent(lab, lab.hosts[0]!, SPECS[0]!);
    agents[0] = h1;
    await joined(h1);
    const [, h2, h3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    const flag = join(outDir(lab, h1.host, VHID), 'fail-prepare');
    writeFileSync(flag, '');
    const marks = [h1.mark(), h2.mark(), h3.mark()];
    h2.kill('SIGTERM');
    const failed = await h1.waitFor('h1 preparation failed', (l) => l.event === 'prepare' && l.stage === 'failed', { since: marks[0], timeoutMs: 5000 });
    expect(failed.msg).toMatch(/^prepare hook failed: .*10-fail-if-flagged exited 1$/);
    await h3.waitFor('h3 serving', isServing, { since: marks[2], timeoutMs: 10_000 });
    const stopped = await h2.waitFor('h2 stopped', becomes('STOPPED'), { since: marks[1] });
    expect(stopped.reason).toMatch(new RegExp(`^handing over to ${h3.host.ip.replace(/\./g, '\\.')}: its prepare hooks passed after `));
    expect(transitions(h1, marks[0])).toEqual([]);
    // h1's failed preparation ran its down hooks (the mark fixture records them) and its released hooks.
    expect(markers(lab, h1.host, VHID).at(-1)).toMatch(/^down BACKUP previous=BACKUP epoch=\d+ prepare hook failed/);
    rmSync(flag);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 30_000);
});
