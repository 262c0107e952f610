// The agent's kernel channel end to end: the VIP added and removed and the gratuitous ARP sent
// with nothing spawned, the helper killed mid-run and re-opened, and --vip-path spawn as the forced fallback.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, waitUntil, type AgentProcess, type Lab, type LabHost } from '../support/netns.js';
import { type AgentSpec, isServing, joined, labAndAgents, skipNote, startAgent, unavailable } from './faults/fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 34;
const spec = (advskew: number, extra: string[] = []): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, shutdown: true, extra });

// The command line of a process, as ps shows it.
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};
const helperOf = (a: AgentProcess): number | undefined => a.children().find((p) => cmdline(p).startsWith('perl -e'));

describe.skipIf(unavailable !== undefined)(`kernel channel in the agent${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let obs: LabHost;
  const agents = labAndAgents(() => lab);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, observer: true });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    obs = lab.host('obs');
  });

  it('a master adds the VIP and announces it through the channel; killed, the helper is re-opened and the hand-over still goes through it', async () => {
    const first = agents.start(h1, spec(0));
    await first.waitFor('h1 serving', isServing, { timeoutMs: 5000 });
    const second = agents.start(h2, spec(50));
    await joined(second);
    expect(first.lines.filter((l) => l.event === 'kernel-channel').map((l) => l.msg)).toEqual(['kernel channel open (netlink and packet sockets)']);
    const helper = helperOf(first);
    expect(helper).toBeGreaterThan(0);
    // The observer learns h1's MAC for the VIP.
    expect((await lab.reach(obs, VIP)).ok).toBe(true);
    expect((await lab.neighbour(obs, VIP))?.lladdr).toBe(h1.mac);

    const since = first.mark();
    process.kill(helper as number, 'SIGKILL');
    await first.waitFor('h1 channel down', (l) => l.event === 'kernel-channel' && l.up === false, { since });
    await first.waitFor('h1 channel re-opened', (l) => l.msg === 'kernel channel re-opened', { since });
    expect(helperOf(first)).not.toBe(helper);

    // SIGTERM with -z: h1 removes the VIP through the new helper, h2 adds it and its announcement repoints the observer.
    const since2 = second.mark();
    first.kill('SIGTERM');
    await second.waitFor('h2 serving', isServing, { since: since2, timeoutMs: 5000 });
    await first.exited;
    await waitUntil(`the observer's entry for ${VIP} to show h2`, async () => (await lab.neighbour(obs, VIP))?.lladdr === h2.mac, { timeoutMs: 2000 });
    expect(first.lines.some((l) => l.event === 'vip' && l.op === 'remove' && l.changed === true)).toBe(true);
    // Nothing fell back to ip(8) or arping(8) on either node.
    expect([...first.lines, ...second.lines].filter((l) => l.event === 'vip-path' || l.event === 'garp-path')).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('--vip-path spawn runs ip(8) and arping(8), says so at start, and starts no helper', async () => {
    const a = startAgent(lab, h1, spec(0, ['--vip-path', 'spawn']));
    agents.track(a);
    await a.waitFor('h1 serving', isServing, { timeoutMs: 5000 });
    expect(a.lines.some((l) => l.event === 'vip' && l.op === 'add' && l.changed === true)).toBe(true);
    expect(a.lines.find((l) => l.event === 'vip-path')?.msg).toBe('VIP changes and gratuitous ARP through ip(8) and arping(8), one process each (--vip-path spawn)');
    expect(a.lines.some((l) => l.event === 'kernel-channel')).toBe(false);
    expect(helperOf(a)).toBeUndefined();
  });
});
