// Quorum in real namespaces (issue 13): three nodes with --nodes 3, cut 1|2 in every way for 10 s and
// healed. The VIP is never on two hosts (every address change in the lab is seen, in kernel order); a
// cut-off master drops the VIP at once and runs its down hooks; the majority side sees no transition at heal.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from '../faults/fault-lab.js';
import { healAll, split } from './split.js';

const VIP = '198.51.100.110';
const VHID = 61;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, up: ['mark'], down: ['mark'] });
const SPECS = [spec(0), spec(50), spec(100)].map((s) => ({ ...s, extra: ['--nodes', '3'] }));
const CUT_MS = 10_000;

describe.skipIf(unavailable !== undefined)(`quorum: three nodes, every 1|2 split for 10 s, then heal${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    const first = startAgent(lab, lab.hosts[0]!, SPECS[0]!);
    await first.waitFor('h1 listening', isStarting);
    agents = [first, ...lab.hosts.slice(1).map((h, i) => startAgent(lab, h, SPECS[i + 1]!))];
    await first.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    await Promise.all(agents.slice(1).map((a) => joined(a)));
  });

  watchLab(() => lab);

  it('says at start that it is partition-safe, and why', () => {
    for (const a of agents) {
      const line = a.lines.find((l) => l.event === 'quorum');
      expect(line?.msg).toMatch(/^partition-safe: a master needs the support of 2 of 3 voters \(itself included\); quorum 2 of 3 voters, lease \d+ ms, hold 600 ms$/);
    }
  });

  // Cuts `alone` off from the other two for 10 s, then heals.
  const round = async (alone: AgentProcess) => {
    const master = agents.find((a) => a.state === 'MASTER')!;
    const majority = agents.filter((a) => a !== alone);
    const marks = agents.map((a) => a.mark());
    await split(lab, [[alone.host], majority.map((a) => a.host)]);
    await sleep(CUT_MS);
    const after = agents.find((a) => a !== alone && a.state === 'MASTER');
    expect(after, 'a master on the majority side').toBeDefined();
    expect(alone.state).not.toBe('MASTER');
    if (alone === master) {
      // It dropped the VIP at once, then ran its down hooks (the mark fixture records them).
      const at = marks[agents.indexOf(alone)];
      const dropped = await alone.waitFor('VIP dropped at once', (l) => l.event === 'vip' && l.op === 'remove' && l.immediate === true, { since: at });
      const released = await alone.waitFor('released to BACKUP', becomes('BACKUP'), { since: at });
      expect(released.reason).toMatch(/^lost the quorum: fewer than 2 voters support this node \(1 now\)$/);
      expect(alone.lines.indexOf(dropped)).toBeLessThan(alone.lines.indexOf(released));
      expect(markers(lab, alone.host, VHID).at(-1)).toMatch(/^down BACKUP previous=MASTER epoch=\d+ lost the quorum/);
    } else {
      // The master kept its majority: no transition anywhere on its side.
      for (const a of majority) expect(transitions(a, marks[agents.indexOf(a)])).toEqual([]);
      expect(transitions(alone, marks[agents.indexOf(alone)])).toEqual([]);
    }
    const healMarks = majority.map((a) => a.mark());
    await healAll(lab);
    await sleep(4 * masterDownMs(SPECS[2]!));
    majority.forEach((a, i) => expect(transitions(a, healMarks[i]), `${a.host.name} at heal`).toEqual([]));
    expect(agents.filter((a) => a.state === 'MASTER')).toEqual([after]);
    expect(await lab.vipHolders(VIP)).toEqual([after!.host.name]);
  };

  it('cut off the master: it lets go (VIP first, then its down hooks), a majority node takes over; at heal nothing moves', async () => {
    await round(agents[0]!);
  }, 40_000);

  it('cut off a backup: nothing moves on either side, during the cut or at heal', async () => {
    const backup = agents.find((a) => a.state !== 'MASTER' && a !== agents[0])!;
    await round(backup);
  }, 40_000);

  it('cut off the other backup (the old master): nothing moves either', async () => {
    await round(agents[0]!);
  }, 40_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    expect(lab.addresses.events.filter((e) => e.address === VIP).length).toBeGreaterThanOrEqual(3);
  });
});
