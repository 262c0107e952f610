// Fault: the master's own link goes down (`ip link set <veth> down` in its namespace). Like ucarp, floatd
// follows the interface state: the master gives up (down hooks, VIP removed) and the backup, which no
// longer hears it, takes over. When the link returns, the old master rejoins as BACKUP (no -P).
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { type AgentSpec, becomes, follows, isServing, markers, masterAndBackup, masterDownMs, skipNote, transitions, unavailable } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 32;
// -b 0.3: the backup promotes 3 × 0.3 + 50/256 ≈ 1.1 s after the last advert it heard, while the master
// polls its link every 500 ms.
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, up: ['mark'], down: ['mark'] });
const [S1, S2] = [spec(0), spec(50)];

describe.skipIf(unavailable !== undefined)(`fault: the master's link goes down, then up${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let linkDownAt = 0;

  const setLink = async (host: LabHost, state: 'up' | 'down') => {
    const r = await lab.exec(host, ['ip', 'link', 'set', 'dev', host.iface, state]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    [first, second] = await masterAndBackup(lab, h1, S1, h2, S2);
  });

  watchLab(() => lab);

  it('the master gives up when its interface goes down: down hooks run and the VIP goes, then the backup takes over', async () => {
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    const since = [first.mark(), second.mark()] as const;
    linkDownAt = performance.now();
    await setLink(h1, 'down');

    const gaveUp = await first.waitFor('h1 gives up', becomes('BACKUP'), { since: since[0], timeoutMs: 3000 });
    expect(gaveUp.reason).toBe('interface is down');
    const removed = await first.waitFor('h1 VIP removed', (l) => l.event === 'vip' && l.op === 'remove', { since: since[0] });
    expect(removed.changed).toBe(true);
    expect(markers(lab, h1, VHID).at(-1)).toBe('down BACKUP previous=MASTER epoch=1 interface is down');

    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11/);
    await second.waitFor('h2 serving', isServing, { since: since[1] });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('when the link comes back, the old master rejoins as BACKUP and h2 stays the only master', async () => {
    const since = [first.mark(), second.mark()] as const;
    await setLink(h1, 'up');
    await first.waitFor('h1 sees its link up', (l) => l.event === 'link' && l.up === true, { since: since[0], timeoutMs: 3000 });

    // Several master-down intervals: h1 hears h2 and stays BACKUP without -P; h2 never hears a rival.
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since[0])).toEqual([]);
    expect(transitions(second, since[1])).toEqual([]);
    expect([first.state, second.state]).toEqual(['BACKUP', 'MASTER']);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('a backup whose link is down does not promote, though it hears no master, and follows again once it is up', async () => {
    const since = [first.mark(), second.mark()] as const;
    await setLink(h1, 'down');
    await first.waitFor('h1 sees its link down', (l) => l.event === 'link' && l.up === false, { since: since[0], timeoutMs: 3000 });
    await sleep(3 * masterDownMs(S1));
    await setLink(h1, 'up');
    await first.waitFor('h1 sees its link up', (l) => l.event === 'link' && l.up === true, { since: since[0], timeoutMs: 3000 });
    await follows(first, h2);
    expect([transitions(first, since[0]), transitions(second, since[1])]).toEqual([[], []]);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('never had the VIP on both hosts: h1 dropped it before h2 added it', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    const changes = lab.addresses.changesSince(VIP, linkDownAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2']);
  });
});
