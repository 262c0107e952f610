// Quorum in real namespaces: three nodes with --nodes 3, cut 1|2 in every way for 10 s and
// healed. The VIP is never on two hosts (every address change in the lab is seen, in kernel order); a
// cut-off master drops the VIP at once and runs its down hooks; the majority side sees no transition at heal.
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { masterDownMs, skipNote, transitions, unavailable } from '../faults/fault-lab.js';
import { expectLetGo, healAll, quorumLab, quorumSpecs, split } from './quorum-lab.js';

const VIP = '198.51.100.110';
const VHID = 61;
const SPECS = quorumSpecs(3, VHID, VIP);
const CUT_MS = 10_000;

describe.skipIf(unavailable !== undefined)(`quorum: three nodes, every 1|2 split for 10 s, then heal${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    ({ lab, agents } = await quorumLab(3, SPECS));
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
      await expectLetGo(lab, alone, marks[agents.indexOf(alone)]!, VHID);
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
