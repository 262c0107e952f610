// Quorum in real namespaces: one-way cuts with three nodes. A master that goes deaf (it sends, hears
// nothing) gets no echo of its beats: it lets go, VIP first, and the two that still hear it elect another
// once it resigned. Backups that go deaf to the master (it hears them) move their support after the hold;
// the master sees that in their presence and lets go before they can promote. Never two VIP holders.
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { masterDownMs, skipNote, transitions, unavailable } from '../faults/fault-lab.js';
import { deafen, expectLetGo, healAll, quorumLab, quorumSpecs } from './quorum-lab.js';

const VIP = '198.51.100.112';
const VHID = 63;
const SPECS = quorumSpecs(3, VHID, VIP);

describe.skipIf(unavailable !== undefined)(`quorum: one-way cuts${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    ({ lab, agents } = await quorumLab(3, SPECS));
  });

  watchLab(() => lab);

  const master = () => agents.find((a) => a.state === 'MASTER')!;

  // Runs `cut` for 5 s: the old master must have let go and exactly one other node serve; then heals and
  // checks that the new master's side sees no transition.
  const round = async (cut: (m: AgentProcess, others: AgentProcess[]) => Promise<void>) => {
    const m = master();
    const others = agents.filter((a) => a !== m);
    const mark = m.mark();
    await cut(m, others);
    await sleep(5000);
    await expectLetGo(lab, m, mark, VHID);
    const next = agents.filter((a) => a.state === 'MASTER');
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(m);
    const healMarks = others.map((a) => a.mark());
    await healAll(lab);
    await sleep(4 * masterDownMs(SPECS[2]!));
    others.forEach((a, i) => expect(transitions(a, healMarks[i]), `${a.host.name} at heal`).toEqual([]));
    expect(agents.filter((a) => a.state === 'MASTER')).toEqual(next);
  };

  it('the master goes deaf (it still sends): it lets go, and one of the others takes over', async () => {
    await round((m, others) => deafen(lab, m.host, others.map((a) => a.host)));
  }, 30_000);

  it('the backups go deaf to the master (it still hears them): it lets go before either promotes', async () => {
    await round(async (m, others) => {
      for (const a of others) await deafen(lab, a.host, [m.host]);
    });
  }, 30_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
