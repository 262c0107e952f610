// Fault: the master's interface is deleted and re-created with the same name and address (a VLAN or bond
// rebuilt, a network manager restart). The new interface has a new ifindex: sockets joined and bound to
// the old one hear nothing and cannot send (ENODEV). floatd must re-open them, and stay out of the
// election until it has: a deaf node that promotes puts the VIP on two hosts.
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentLine, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { type AgentSpec, becomes, follows, isServing, joined, markers, masterAndBackup, masterDownMs, skipNote, startAgent, transitions, unavailable } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 33;
// -b 0.3: a backup promotes about 1.1 s after the last advert it heard; h2 gives the VIP up in order on SIGTERM (-z).
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, up: ['mark'], down: ['mark'] };
const S2: AgentSpec = { ...S1, advskew: 50, shutdown: true };
const reopen = (ok: boolean) => (l: AgentLine) => l.event === 'reopen' && l.ok === ok;

describe.skipIf(unavailable !== undefined)(`fault: the master's interface is deleted and re-created${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let deletedAt = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    [first, second] = await masterAndBackup(lab, h1, S1, h2, S2);
  });

  watchLab(() => lab);

  it('a master whose interface is deleted gives up, and the backup takes over', async () => {
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    const since = [first.mark(), second.mark()] as const;
    deletedAt = performance.now();
    // Deleting the inside end deletes the pair, so the bridge port goes too.
    const r = await lab.exec(h1, ['ip', 'link', 'del', 'dev', h1.iface]);
    expect(r.code, r.stderr).toBe(0);

    const gaveUp = await first.waitFor('h1 gives up', becomes('BACKUP'), { since: since[0], timeoutMs: 3000 });
    expect(gaveUp.reason).toMatch(/^(interface is down|cannot send adverts: E[A-Z]+)$/);
    await first.waitFor('h1 VIP removal', (l) => l.event === 'vip' && l.op === 'remove', { since: since[0] });
    await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], timeoutMs: 5000 });
    await second.waitFor('h2 serving', isServing, { since: since[1] });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('re-created without its address yet, the old master stays BACKUP and says once that it cannot re-open its sockets', async () => {
    const since = [first.mark(), second.mark()] as const;
    lab.recreateLink(h1, { address: false });
    await first.waitFor('h1 sees its link up', (l) => l.event === 'link' && l.up === true, { since: since[0], timeoutMs: 3000 });

    // Deaf for several master-down intervals: a node that counted this silence would promote.
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since[0])).toEqual([]);
    expect(transitions(second, since[1])).toEqual([]);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    const failures = first.lines.slice(since[0]).filter(reopen(false));
    expect(failures.map((l) => l.msg)).toEqual([expect.stringMatching(/^cannot re-open the advert sockets yet: .*198\.51\.100\.11 is not an address of this host/)]);
  });

  it('once the address is back it re-opens its sockets, follows h2 for several master-down intervals and never becomes MASTER', async () => {
    const since = [first.mark(), second.mark()] as const;
    lab.addHostAddress(h1);
    const reopened = await first.waitFor('h1 re-opens its sockets', reopen(true), { since: since[0], timeoutMs: 5000 });
    expect(reopened.msg).toMatch(new RegExp(`^advert sockets re-opened on ${h1.iface} \\(index \\d+\\): adverts can be sent again$`));

    await follows(first, h2);
    await sleep(3 * masterDownMs(S1));
    await follows(first, h2);
    expect(transitions(first, since[0])).toEqual([]);
    expect(transitions(second, since[1])).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('when h2 stops (-z), h1 takes over on its resign, and a restarted h2 follows h1: both of its sockets work again', async () => {
    const since = first.mark();
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const promoted = await first.waitFor('h1 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toBe(`master ${h2.ip} resigned`);
    await first.waitFor('h1 serving', isServing, { since });
    expect(markers(lab, h1, VHID).at(-1)).toMatch(/^up MASTER previous=BACKUP epoch=\d+ master 198\.51\.100\.12 resigned$/);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    second = startAgent(lab, h2, S2);
    await joined(second);
    await follows(second, h1);
    expect(transitions(first, since).map((l) => l.state)).toEqual(['MASTER']);
  });

  it('never had the VIP on both hosts: the deleted interface took it from h1 before h2 added it', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    const changes = lab.addresses.changesSince(VIP, deletedAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2', 'del h2', 'add h1']);
  });
});
