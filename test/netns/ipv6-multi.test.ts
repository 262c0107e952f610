// An IPv6 VIP fails over between two hosts with adverts over IPv6 multicast (ff02::12, wire
// version 3), and an observer's neighbour cache follows the new owner by the unsolicited neighbour
// advertisement alone (RFC 4861 §7.2.6); then an IPv4 and an IPv6 address under one vhid move together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, netnsUnavailable, waitUntil, watchLab, type AgentLine, type AgentProcess, type Lab, type LabHost } from '../support/netns.js';

const VIP6 = '2001:db8::100';
const VIP4 = '198.51.100.100';
const ADVBASE = '0.2';
// The NA must have repointed the observer this soon after the new master added the VIP.
const NA_WITHIN_MS = 1000;

const unavailable = netnsUnavailable();
const title = `IPv6 and several VIPs per vhid${unavailable ? ` (skipped: ${unavailable})` : ''}`;
const becomes = (state: string) => (l: AgentLine) => l.event === 'transition' && l.state === state;

describe.skipIf(unavailable !== undefined)(title, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let obs: LabHost;

  // -s is the host's IPv6 address for IPv6 adverts, else its IPv4 one; -z resigns and removes on SIGTERM.
  const start = (host: LabHost, vhid: number, vips: string, advskew: number, six: boolean): AgentProcess => {
    const args = lab.agentArgs(host, vhid, vips);
    if (six) args[args.indexOf('-s') + 1] = host.ip6 as string;
    return lab.spawnAgent(host, [...args, '-b', ADVBASE, '-r', '3', '-k', String(advskew), '-z']);
  };
  const stop = async (a: AgentProcess) => {
    a.kill('SIGTERM');
    await a.exited;
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, observer: true, ipv6: true, prefix: `v6${Math.random().toString(16).slice(2, 6)}` });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    obs = lab.host('obs');
  });
  afterAll(async () => {
    await lab?.teardown();
  });
  watchLab(() => lab);

  it('an IPv6 VIP fails over and the observer learns the new owner from its unsolicited NA', async () => {
    // h1 first: started together on a busy machine, h2 (skew 50) may time out first and stay master.
    const first = start(h1, 10, VIP6, 0, true);
    await first.waitFor('h1 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
    const second = start(h2, 10, VIP6, 50, true);
    await second.waitFor('h2 BACKUP', becomes('BACKUP'), { timeoutMs: 5000 });
    await waitUntil('the VIP on h1 only', async () => (await lab.vipHolders(VIP6)).join() === 'h1', { timeoutMs: 3000 });
    // The observer resolves the VIP once, to h1: the entry every client has before a failover.
    const ping = await lab.exec(obs, ['ping', '-6', '-n', '-c', '1', '-W', '1', VIP6]);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect((await lab.neighbour(obs, VIP6))?.lladdr).toBe(h1.mac);

    const since = second.mark();
    await stop(first);
    await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 3000 });
    await waitUntil('the VIP on h2 only', async () => (await lab.vipHolders(VIP6)).join() === 'h2', { timeoutMs: 2000, everyMs: 10 });
    // Read only: the observer sends nothing, so only h2's NA can have changed the entry.
    await waitUntil(`the observer's entry for ${VIP6} to show h2 (${h2.mac})`, async () => (await lab.neighbour(obs, VIP6))?.lladdr === h2.mac, { timeoutMs: NA_WITHIN_MS, everyMs: 10 });
    const after = await lab.exec(obs, ['ping', '-6', '-n', '-c', '1', '-W', '1', VIP6]);
    expect(after.code, after.stdout + after.stderr).toBe(0);

    await stop(second);
    expect(await lab.vipHolders(VIP6)).toEqual([]);
  });

  it('an IPv4 and an IPv6 address under one vhid are added, moved and removed together', async () => {
    const vips = `${VIP4},${VIP6}`;
    // h1 first: started together on a busy machine, h2 (skew 50) may time out first and stay master.
    const first = start(h1, 20, vips, 0, false);
    await first.waitFor('h1 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
    const second = start(h2, 20, vips, 50, false);
    await second.waitFor('h2 BACKUP', becomes('BACKUP'), { timeoutMs: 5000 });
    const holders = async () => [(await lab.vipHolders(VIP4)).join(), (await lab.vipHolders(VIP6)).join()];
    await waitUntil('both VIPs on h1, none on h2', async () => (await holders()).join(' ') === 'h1 h1', { timeoutMs: 3000 });
    // Several addresses sign a tag, not an address: the backup verified the master's adverts all along.
    expect(second.lines.some((l) => l.drop === 'wrong-vip')).toBe(false);
    // Nothing failed on the way: no VIP error, for either family, on either host.
    expect([...first.lines, ...second.lines].filter((l) => l.event === 'vip' && l.err !== undefined)).toEqual([]);

    const since = second.mark();
    await stop(first);
    await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 3000 });
    await waitUntil('both VIPs on h2 only', async () => (await holders()).join(' ') === 'h2 h2', { timeoutMs: 2000, everyMs: 10 });
    await stop(second);
    expect(await holders()).toEqual(['', '']);
  });
});
