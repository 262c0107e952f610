// Simultaneous start in real namespaces: three nodes with --nodes 3 and equal skews
// started at the same moment, five times over. With a quorum only the node a majority supports promotes:
// the VIP is never on two hosts, not even for a millisecond.
import { describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab } from '../../support/netns.js';
import { isServing, labAndAgents, skipNote, stopAll, unavailable } from '../faults/fault-lab.js';
import { quorumSpecs } from './quorum-lab.js';

const VIP = '198.51.100.116';
const VHID = 67;
// Equal skews: nothing but the quorum keeps two of them from promoting together.
const SPECS = quorumSpecs(3, VHID, VIP).map((s) => ({ ...s, advskew: 0 }));

describe.skipIf(unavailable !== undefined)(`quorum: three nodes started together${skipNote}`, () => {
  let lab: Lab | undefined;
  const agents = labAndAgents(() => lab);

  it('five simultaneous starts: one master each time, never two VIP holders', async () => {
    lab = await createLab({ hosts: 3 });
    for (let round = 0; round < 5; round++) {
      const started: AgentProcess[] = lab.hosts.map((h, i) => agents.start(h, SPECS[i]!));
      await Promise.race(started.map((a) => a.waitFor('a master serving', isServing, { timeoutMs: 10_000 })));
      await sleep(1000);
      expect(started.filter((a) => a.state === 'MASTER')).toHaveLength(1);
      await stopAll(started);
      // The SIGKILLed master leaves its VIP (as a crash would): gone before the next round, as its host's
      // restarted floatd would remove it, so only the starts themselves are measured.
      for (const h of lab.hosts) await lab.exec(h, ['ip', 'addr', 'del', `${VIP}/32`, 'dev', h.iface]);
    }
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 60_000);
});
