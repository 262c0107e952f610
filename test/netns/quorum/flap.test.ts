// Quorum in real namespaces: the master of three nodes is cut off and let back every 0.5 s for 10 s (a
// flapping switch port). Whatever each half-second brings, the VIP is never on two hosts, a node that
// dropped the VIP at once ran its down hooks after it, and once the network is steady there is one master.
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { markers, masterDownMs, skipNote, transitions, unavailable } from '../faults/fault-lab.js';
import { healAll, quorumLab, quorumSpecs, split } from './quorum-lab.js';

const VIP = '198.51.100.113';
const VHID = 64;
const SPECS = quorumSpecs(3, VHID, VIP);

describe.skipIf(unavailable !== undefined)(`quorum: a partition that flaps every 0.5 s for 10 s${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    ({ lab, agents } = await quorumLab(3, SPECS));
  });

  watchLab(() => lab);

  it('never two VIP holders; every immediate drop is followed by down hooks; one master once steady', async () => {
    const [h1, ...rest] = agents as [AgentProcess, ...AgentProcess[]];
    const marks = agents.map((a) => a.mark());
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) await split(lab, [[h1.host], rest.map((a) => a.host)]);
      else await healAll(lab);
      await sleep(500);
    }
    await healAll(lab);
    await sleep(5 * masterDownMs(SPECS[2]!));
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    for (const [i, a] of agents.entries()) {
      const drops = a.lines.slice(marks[i]).filter((l) => l.event === 'vip' && l.op === 'remove' && l.immediate === true).length;
      const downs = markers(lab, a.host, VHID).filter((m) => / lost the quorum/.test(m) && m.startsWith('down ')).length;
      expect(downs, `${a.host.name}: down hooks after each immediate drop`).toBe(drops);
    }
    const steady = agents.map((a) => a.mark());
    await sleep(3 * masterDownMs(SPECS[2]!));
    agents.forEach((a, i) => expect(transitions(a, steady[i])).toEqual([]));
    expect(agents.filter((a) => a.state === 'MASTER')).toHaveLength(1);
    expect(await lab.vipHolders(VIP)).toHaveLength(1);
  }, 40_000);
});
