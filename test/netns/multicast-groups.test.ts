// Two agents on ONE host (one namespace), each on its own multicast group (-m) with the same --port: ucarp
// users keep clusters apart by group. The receive socket is bound to the group, so neither hears the
// other's adverts: with the same vhid, key and VIP each is alone and becomes MASTER of its own group, and
// with different vhids there is no "vhid N from …, ours is M" warning. Before, the socket was bound to
// 0.0.0.0 and received every group joined on the host.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { becomes, skipNote, stopAll, unavailable } from './faults/fault-lab.js';

const GROUPS = ['239.255.5.98', '239.255.5.97'] as const;
const PORT = '5798';
const VIP = '198.51.100.102';
// The second instance's own address on the same interface (ucarp's -s of a second cluster on this host).
const SECOND_SRC = '198.51.100.31';

describe.skipIf(unavailable !== undefined)(`two instances on one host with different multicast groups${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;

  // Instance i of this host: its own source address, group, state file and control socket; the record VIP
  // driver, as both may claim the same VIP.
  const start = (i: 0 | 1, vhid: number): AgentProcess => {
    const base = `${lab.dir}/inst${i}-v${vhid}`;
    const src = i === 0 ? h1.ip : SECOND_SRC;
    return lab.spawnAgent(h1, ['-i', h1.iface, '-s', src, '-v', String(vhid), '-a', VIP, '-o', lab.secretFile, '-m', GROUPS[i], '--port', PORT, '-b', '0.2', '--vip-driver', 'record', '--state-file', `${base}.json`, '--run-record', `${base}.record.json`, '--control-socket', `${base}.sock`, '--log-format', 'json']);
  };
  // The SIGUSR1 state dump: the master heard and the datagrams turned away, by reason.
  const dump = async (a: AgentProcess): Promise<{ state: unknown; master: unknown; drops: unknown }> => {
    const since = a.mark();
    a.kill('SIGUSR1');
    const l = await a.waitFor('state dump', (x) => x.event === 'dump', { since });
    return { state: l.state, master: l.master, drops: l.drops };
  };
  const heardOtherVhid = (a: AgentProcess) => a.lines.filter((l) => l.drop === 'wrong-vhid' || /ours is/.test(l.msg));

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    [h1] = lab.hosts as [LabHost];
    expect((await lab.exec(h1, ['ip', 'addr', 'add', `${SECOND_SRC}/24`, 'dev', h1.iface])).code).toBe(0);
  });

  watchLab(() => lab);

  it('same vhid, key and VIP: each instance is alone in its group and becomes MASTER, hearing nothing from the other', async () => {
    const first = start(0, 40);
    await first.waitFor('instance 0 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
    const second = start(1, 40);
    try {
      // Had it heard the first instance's adverts, it would follow it as BACKUP instead.
      await second.waitFor('instance 1 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
      // A few advert intervals of both: none crosses over.
      await sleep(1000);
      for (const [a, own] of [[first, h1.ip], [second, SECOND_SRC]] as const) expect(await dump(a)).toEqual({ state: 'MASTER', master: own, drops: {} });
      expect(first.lines.filter((l) => l.event === 'transition').map((l) => l.state)).toEqual(['BACKUP', 'MASTER']);
    } finally {
      await stopAll([first, second]);
    }
  });

  it('different vhids: neither logs the other\'s vhid', async () => {
    const first = start(0, 41);
    const second = start(1, 42);
    try {
      await first.waitFor('instance 0 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
      await second.waitFor('instance 1 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
      await sleep(1000);
      for (const a of [first, second]) {
        expect((await dump(a)).drops).toEqual({});
        expect(heardOtherVhid(a).map((l) => l.msg)).toEqual([]);
      }
    } finally {
      await stopAll([first, second]);
    }
  });
});
