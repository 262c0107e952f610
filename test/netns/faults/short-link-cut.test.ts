// Fault: the master's cable is out for 300 ms, less than an advert interval. The kernel channel hears the
// link events as they happen (RTMGRP_LINK), so the master notices at once and gives up mastership, as
// ucarp does when the interface stops running; polled once a second (or at each advert) such a cut was
// usually missed. When the link is back, the lone node takes mastership again.
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost } from '../../support/netns.js';
import { type AgentSpec, becomes, isServing, labAndAgents, skipNote, unavailable } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 33;
// -b 1: a master wakes about once a second, so a 300 ms cut fits between two of its own link checks.
const SPEC: AgentSpec = { vhid: VHID, vip: VIP, advbase: 1, advskew: 0 };

describe.skipIf(unavailable !== undefined)(`fault: a 300 ms cable cut at the master${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let master: AgentProcess;
  const agents = labAndAgents(() => lab);

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    [h1] = lab.hosts as [LabHost];
  });

  it('is noticed at once: the master logs the link down, gives up mastership and the VIP, and serves again after', async () => {
    master = agents.start(h1, SPEC);
    await master.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    // Promoted, it advertised (twice, 20 ms apart); the cut falls between those and the next advert.
    await sleep(400);
    const since = master.mark();
    const cutAt = performance.now();
    const cut = await lab.exec(h1, ['sh', '-c', `ip link set dev ${h1.iface} down; sleep 0.3; ip link set dev ${h1.iface} up`]);
    expect(cut.code, cut.stderr).toBe(0);
    const down = await master.waitFor('h1 sees its link down', (l) => l.event === 'link' && l.up === false, { since, timeoutMs: 2000 });
    const gaveUp = await master.waitFor('h1 gives up', becomes('BACKUP'), { since, timeoutMs: 2000 });
    expect(gaveUp.reason).toBe('interface is down');
    expect(down.msg).toBe(`interface ${h1.iface} is down`);
    await master.waitFor('h1 sees its link up', (l) => l.event === 'link' && l.up === true, { since, timeoutMs: 2000 });
    // Alone on its link, it takes mastership again after the master-down interval.
    await master.waitFor('h1 serving again', isServing, { since, timeoutMs: 10_000 });
    expect(performance.now() - cutAt).toBeGreaterThan(300);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
  });
});
