// Fault: the master's interface stays up, but its adverts cannot be sent: a firewall rejects them (EPERM)
// or a prohibit route covers the peer (EACCES). A master that cannot advertise must step down in order
// (down hooks, VIP removed) before the backup, which hears nothing, takes over; and it must stay out of
// the election until its adverts can leave again. (A prohibit route for the multicast group changes
// nothing: with IP_MULTICAST_IF the kernel sends through the interface whatever the route says.)
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentLine, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { type AgentSpec, becomes, follows, isServing, markers, masterAndBackup, masterDownMs, skipNote, transitions, unavailable } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 34;
// -b 0.3: a backup promotes about 1.1 s after the last advert it heard; h2 resigns on SIGTERM (-z).
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.3, advskew: 0, up: ['mark'], down: ['mark'] };
const S2: AgentSpec = { ...S1, advskew: 50, shutdown: true };
const reopen = (ok: boolean) => (l: AgentLine) => l.event === 'reopen' && l.ok === ok;
const sendFailed = (l: AgentLine) => l.event === 'send-failed';
// CI installs nftables (.ci/run) and must run this; elsewhere it is skipped without nft.
const noNft = process.env.CI !== 'true' && spawnSync('nft', ['--version']).status !== 0;

async function inHost(lab: Lab, host: LabHost, cmd: string[]): Promise<void> {
  const r = await lab.exec(host, cmd);
  expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
}

describe.skipIf(unavailable !== undefined || noNft)(`fault: a firewall drops the master's multicast adverts (EPERM)${noNft ? ' (skipped: no nft)' : skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let blockedAt = 0;
  let afterStepDown = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    [first, second] = await masterAndBackup(lab, h1, S1, h2, S2);
  });

  watchLab(() => lab);

  it('a master whose adverts the firewall rejects steps down in order, and the backup takes over', async () => {
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    const since = [first.mark(), second.mark()] as const;
    blockedAt = performance.now();
    await inHost(lab, h1, ['nft', 'add', 'table', 'ip', 'fdtest']);
    await inHost(lab, h1, ['nft', 'add', 'chain', 'ip', 'fdtest', 'out', '{ type filter hook output priority 0; }']);
    await inHost(lab, h1, ['nft', 'add', 'rule', 'ip', 'fdtest', 'out', 'udp', 'dport', '5798', 'drop']);

    const gaveUp = await first.waitFor('h1 gives up', becomes('BACKUP'), { since: since[0], timeoutMs: 3000 });
    expect(gaveUp.reason).toBe('cannot send adverts: EPERM');
    const removed = await first.waitFor('h1 VIP removed', (l) => l.event === 'vip' && l.op === 'remove', { since: since[0] });
    expect(removed.changed).toBe(true);
    expect(markers(lab, h1, VHID).at(-1)).toBe('down BACKUP previous=MASTER epoch=1 cannot send adverts: EPERM');

    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11/);
    await second.waitFor('h2 serving', isServing, { since: since[1] });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    afterStepDown = first.mark();
  });

  it('while the rule stays, h1 stays out of the election and has said so once', async () => {
    const since = [first.mark(), second.mark()] as const;
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since[0])).toEqual([]);
    expect(transitions(second, since[1])).toEqual([]);
    expect(first.lines.filter(sendFailed).map((l) => l.msg)).toEqual([expect.stringMatching(/^cannot send adverts to 239\.255\.5\.98:5798: EPERM/)]);
    // Its probes still fail the same way: nothing more to say, and nothing re-opened.
    expect(first.lines.slice(afterStepDown).filter((l) => l.event === 'reopen')).toEqual([]);
    const mark = first.mark();
    first.kill('SIGUSR1');
    const dump = await first.waitFor('h1 state dump', (l) => l.event === 'dump', { since: mark });
    expect([dump.state, dump.blocked]).toEqual(['BACKUP', 'cannot send adverts: EPERM']);
  });

  it('once the rule is gone, h1 can send again and follows h2 without promoting', async () => {
    const since = [first.mark(), second.mark()] as const;
    await inHost(lab, h1, ['nft', 'delete', 'table', 'ip', 'fdtest']);
    await first.waitFor('h1 can send again', reopen(true), { since: since[0], timeoutMs: 5000 });
    await follows(first, h2);
    await sleep(2 * masterDownMs(S1));
    expect([transitions(first, since[0]), transitions(second, since[1])]).toEqual([[], []]);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('never had the VIP on both hosts: h1 dropped it before h2 added it', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    const changes = lab.addresses.changesSince(VIP, blockedAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2']);
  });
});

describe.skipIf(unavailable !== undefined)(`fault: a prohibit route to the peer (unicast, EACCES)${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let upMarkers = 0;

  const unicast = (spec: AgentSpec, peer: LabHost): AgentSpec => ({ ...spec, extra: ['--peer', peer.ip] });
  const prohibit = (op: 'add' | 'del') => inHost(lab, h1, ['ip', 'route', op, 'prohibit', `${h2.ip}/32`]);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    [first, second] = await masterAndBackup(lab, h1, unicast(S1, h2), h2, unicast(S2, h1));
  });

  watchLab(() => lab);

  it('a master that cannot reach its peer steps down in order, and the peer takes over', async () => {
    const since = [first.mark(), second.mark()] as const;
    await prohibit('add');
    const gaveUp = await first.waitFor('h1 gives up', becomes('BACKUP'), { since: since[0], timeoutMs: 3000 });
    expect(gaveUp.reason).toBe('cannot send adverts: EACCES');
    await first.waitFor('h1 VIP removed', (l) => l.event === 'vip' && l.op === 'remove', { since: since[0] });
    expect(markers(lab, h1, VHID).at(-1)).toBe('down BACKUP previous=MASTER epoch=1 cannot send adverts: EACCES');
    await second.waitFor('h2 serving', isServing, { since: since[1], timeoutMs: 5000 });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('once the route is gone, h1 can send again and follows h2', async () => {
    const since = [first.mark(), second.mark()] as const;
    await prohibit('del');
    await first.waitFor('h1 can send again', reopen(true), { since: since[0], timeoutMs: 5000 });
    await follows(first, h2);
    expect([transitions(first, since[0]), transitions(second, since[1])]).toEqual([[], []]);
  });

  it("a backup that cannot reach its peer finds out with its claim: it steps down at once and its up work is cancelled", async () => {
    await prohibit('add');
    upMarkers = markers(lab, h1, VHID).filter((m) => m.startsWith('up ')).length;
    const since = first.mark();
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const claimed = await first.waitFor('h1 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(claimed.reason).toBe(`master ${h2.ip} resigned`);
    const gaveUp = await first.waitFor('h1 gives up', becomes('BACKUP'), { since, timeoutMs: 3000 });
    expect(gaveUp.reason).toBe('cannot send adverts: EACCES');
    // Stays out: its probes fail as long as the route is there, so no second claim.
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since).map((l) => `${l.state}: ${l.reason}`)).toEqual([`MASTER: master ${h2.ip} resigned`, 'BACKUP: cannot send adverts: EACCES']);
    expect(markers(lab, h1, VHID).filter((m) => m.startsWith('up ')).length).toBe(upMarkers);
    expect(await lab.vipHolders(VIP)).toEqual([]);
  });

  it('once the route is gone, h1 becomes master after a master-down interval', async () => {
    const since = first.mark();
    await prohibit('del');
    await first.waitFor('h1 can send again', reopen(true), { since, timeoutMs: 5000 });
    await first.waitFor('h1 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    await first.waitFor('h1 serving', isServing, { since });
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
