// Quorum in real namespaces: five nodes (--nodes 5, quorum 3) split 2|3 for 10 s with the master on the
// side of two, then healed. The pair cannot hold the VIP: its master lets go (VIP first, then its down
// hooks) and neither of the two promotes; the three elect one master; at heal the three see no transition.
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { becomes, masterDownMs, skipNote, transitions, unavailable } from '../faults/fault-lab.js';
import { expectLetGo, healAll, quorumLab, quorumSpecs, split } from './quorum-lab.js';

const VIP = '198.51.100.111';
const VHID = 62;
const SPECS = quorumSpecs(5, VHID, VIP);

describe.skipIf(unavailable !== undefined)(`quorum: five nodes split 2|3 for 10 s, then heal${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    ({ lab, agents } = await quorumLab(5, SPECS));
  });

  watchLab(() => lab);

  it('the pair with the master lets go and stays out; the three elect one master; at heal nothing moves', async () => {
    const [h1, h2, ...three] = agents as [AgentProcess, AgentProcess, ...AgentProcess[]];
    const marks = agents.map((a) => a.mark());
    await split(lab, [[h1.host, h2.host], three.map((a) => a.host)]);
    const promoted = await three[0]!.waitFor('h3 MASTER', becomes('MASTER'), { since: marks[2], timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/; supported by 3 of 5 voters$/);
    await expectLetGo(lab, h1, marks[0]!, VHID);
    await sleep(10_000);
    expect(transitions(h2, marks[1])).toEqual([]);
    expect(agents.filter((a) => a.state === 'MASTER')).toEqual([three[0]]);

    const healMarks = three.map((a) => a.mark());
    await healAll(lab);
    await sleep(4 * masterDownMs(SPECS[4]!));
    three.forEach((a, i) => expect(transitions(a, healMarks[i]), `${a.host.name} at heal`).toEqual([]));
    expect(agents.filter((a) => a.state === 'MASTER')).toEqual([three[0]]);
    expect(await lab.vipHolders(VIP)).toEqual([three[0]!.host.name]);
  }, 40_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
