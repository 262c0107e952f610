// Two candidates and a floatd witness (--nodes 3) in real namespaces: each of the three links cut in turn
// (the cut between the candidates alone, with the witness hearing both, is the case a count of nodes
// heard gets wrong), then each of the three killed. Always one master, never two VIP holders.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, killHost, masterDownMs, skipNote, startAgent, transitions, unavailable } from '../faults/fault-lab.js';
import { deafen, healAll, quorumSpecs, startWitness } from './quorum-lab.js';

const VIP = '198.51.100.114';
const VHID = 65;
const SPECS = quorumSpecs(3, VHID, VIP);
const CUT_MS = 4000;

describe.skipIf(unavailable !== undefined)(`quorum: two candidates and a witness${skipNote}`, () => {
  let lab: Lab;
  let h1: AgentProcess;
  let h2: AgentProcess;
  let w: AgentProcess;
  const all = () => [h1, h2, w];

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    h1 = startAgent(lab, lab.hosts[0]!, SPECS[0]!);
    await h1.waitFor('h1 listening', isStarting);
    w = startWitness(lab, lab.hosts[2]!, SPECS[2]!);
    h2 = startAgent(lab, lab.hosts[1]!, SPECS[1]!);
    await h1.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    await joined(h2);
    await w.waitFor('witness BACKUP', becomes('BACKUP'));
  });

  watchLab(() => lab);

  it('the witness says it is partition-safe, sends presence and holds nothing', () => {
    expect(w.lines.find((l) => l.event === 'quorum')?.msg).toMatch(/^partition-safe: a master needs the support of 2 of 3 voters/);
    expect(w.lines.filter((l) => l.event === 'hook')).toEqual([]);
  });

  // Cuts the link between a and b both ways for CUT_MS: nothing may move anywhere.
  const cutLink = async (a: AgentProcess, b: AgentProcess) => {
    const marks = all().map((x) => x.mark());
    await deafen(lab, a.host, [b.host]);
    await deafen(lab, b.host, [a.host]);
    await sleep(CUT_MS);
    await healAll(lab);
    await sleep(2 * masterDownMs(SPECS[2]!));
    all().forEach((x, i) => expect(transitions(x, marks[i]), `${x.host.name}`).toEqual([]));
    expect(h1.state).toBe('MASTER');
  };

  it('the link between the candidates cut (the witness hears both): the master keeps the witness, the other never promotes', async () => {
    await cutLink(h1, h2);
  }, 20_000);

  it('the link between the master and the witness cut: the backup keeps it master', async () => {
    await cutLink(h1, w);
  }, 20_000);

  it('the link between the backup and the witness cut: nothing moves', async () => {
    await cutLink(h2, w);
  }, 20_000);

  it('the witness killed and back: the master keeps the backup\'s support throughout', async () => {
    const marks = [h1.mark(), h2.mark()];
    w.kill('SIGKILL');
    await w.exited;
    await sleep(CUT_MS);
    w = startWitness(lab, lab.hosts[2]!, SPECS[2]!);
    await w.waitFor('witness BACKUP', becomes('BACKUP'));
    expect(transitions(h1, marks[0])).toEqual([]);
    expect(transitions(h2, marks[1])).toEqual([]);
  }, 20_000);

  it('the backup killed and back: the master keeps the witness\'s support', async () => {
    const mark = h1.mark();
    h2.kill('SIGKILL');
    await h2.exited;
    await sleep(CUT_MS);
    h2 = startAgent(lab, lab.hosts[1]!, SPECS[1]!);
    await joined(h2);
    expect(transitions(h1, mark)).toEqual([]);
  }, 20_000);

  it('the master killed (its host gone): the backup takes over with the witness\'s support', async () => {
    const mark = h2.mark();
    await killHost(lab, h1, VIP);
    const promoted = await h2.waitFor('h2 MASTER', becomes('MASTER'), { since: mark, timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/; supported by 2 of 3 voters$/);
    await h2.waitFor('h2 serving', isServing, { since: mark });
  }, 20_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
