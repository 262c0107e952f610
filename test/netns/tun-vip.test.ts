// The VIP on a layer-3 link: two hosts joined by a point-to-point tun "cable" (as WireGuard, GRE or a VPN
// daemon would join them), each agent with -i on its tun, its adverts unicast over it. A tun has no
// Ethernet address and resolves no neighbours: the VIP is added and moved without any announcement,
// through the kernel channel and through ip(8) alike, and `floatd cleanup` removes what a killed agent left.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, type AgentLine, type AgentProcess, type Lab, type LabHost } from '../support/netns.js';
import { follows, isServing, joined, labAndAgents, skipNote, unavailable } from './faults/fault-lab.js';

const CABLE = fileURLToPath(new URL('../fixtures/vip/tun-cable.pl', import.meta.url));
// RFC 5737 TEST-NET-3 on the tun link: h1 is .1, h2 is .2, the VIP .50.
const TUN_IP = { h1: '203.0.113.1', h2: '203.0.113.2' } as const;
const VIP = '203.0.113.50';
const VHID = 36;

type Name = keyof typeof TUN_IP;
const other = (n: Name): Name => (n === 'h1' ? 'h2' : 'h1');

describe.skipIf(unavailable !== undefined)(`the VIP on a tun interface${skipNote}`, () => {
  let lab: Lab;
  const hosts = {} as Record<Name, LabHost>;
  const cables: ChildProcess[] = [];
  const agents = labAndAgents(() => lab);
  const tun = () => `${lab.prefix}t`;

  // The host as its agent sees itself: the tun and its address on it.
  const onTun = (n: Name): LabHost => ({ ...hosts[n], iface: tun(), ip: TUN_IP[n] });
  const args = (n: Name, advskew: number, extra: string[] = []): string[] => [...lab.agentArgs(onTun(n), VHID, VIP), '--peer', TUN_IP[other(n)], '-b', '0.2', '-k', String(advskew), '-z', ...extra];
  const start = (n: Name, advskew: number, extra: string[] = []): AgentProcess => {
    const a = lab.spawnAgent(hosts[n], args(n, advskew, extra));
    agents.track(a);
    return a;
  };
  const announceLines = (a: AgentProcess): AgentLine[] => a.lines.filter((l) => l.event === 'announce');
  // Any sign that something tried to announce on the tun, or failed doing it.
  const announceTrouble = (a: AgentProcess): string[] => a.lines.filter((l) => l.event === 'garp-path' || /MAC address|announce the VIP/.test(l.msg)).map((l) => l.msg);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [hosts.h1, hosts.h2] = lab.hosts as [LabHost, LabHost];
    for (const n of ['h1', 'h2'] as const) {
      const ns = hosts[n].ns;
      for (const cmd of [['tuntap', 'add', 'dev', tun(), 'mode', 'tun'], ['addr', 'add', TUN_IP[n], 'peer', `${TUN_IP[other(n)]}/32`, 'dev', tun()], ['link', 'set', tun(), 'up']]) {
        const r = await lab.exec(hosts[n], ['ip', ...cmd]);
        if (r.code !== 0) throw new Error(`ip ${cmd.join(' ')} in ${ns}: ${r.stderr}`);
      }
      const cable = spawn('ip', ['netns', 'exec', ns, 'perl', CABLE, tun(), join(lab.dir, `${n}.cable`), join(lab.dir, `${other(n)}.cable`)], { stdio: ['ignore', 'pipe', 'inherit'] });
      cables.push(cable);
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: cable.stdout! }).once('line', () => resolve());
        cable.once('exit', (code) => reject(new Error(`the tun cable in ${ns} exited ${String(code)}`)));
      });
    }
  });

  // Before the lab's teardown (hooks after the suite run last-registered first): a cable holds its namespace's tun.
  afterAll(async () => {
    await Promise.all(cables.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGKILL'))))));
  });

  for (const path of ['channel', 'spawn'] as const) {
    it(`--vip-path ${path}: the master adds the VIP on its tun without announcing it, says so once, and hands it over on SIGTERM`, async () => {
      const extra = path === 'spawn' ? ['--vip-path', 'spawn'] : [];
      const h1 = start('h1', 0, extra);
      await h1.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
      expect(await lab.vipHolders(VIP)).toEqual(['h1']);
      const h2 = start('h2', 50, extra);
      await joined(h2);
      // h2 hears h1's adverts through the tun.
      await follows(h2, onTun('h1'));

      const since = h2.mark();
      h1.kill('SIGTERM');
      await h2.waitFor('h2 serving', isServing, { since, timeoutMs: 10_000 });
      expect(await h1.exited).toEqual({ code: 0, signal: null });
      expect(await lab.vipHolders(VIP)).toEqual(['h2']);
      expect(h1.lines.some((l) => l.event === 'vip' && l.op === 'remove' && l.changed === true)).toBe(true);

      for (const a of [h1, h2]) {
        expect(announceLines(a).map((l) => l.msg)).toEqual([`VIPs on ${tun()} are added without gratuitous ARP or neighbour advertisements: link type 65534 (no link layer (tun, WireGuard)) carries no Ethernet frames; traffic reaches them by routing`]);
        expect(announceTrouble(a)).toEqual([]);
        expect(a.arpings()).toEqual([]);
        if (path === 'channel') expect(a.lines.filter((l) => l.event === 'vip-path')).toEqual([]);
      }
      h2.kill('SIGTERM');
      await h2.exited;
      expect(await lab.vipHolders(VIP)).toEqual([]);
    });
  }

  it('floatd cleanup removes the VIP a killed agent left on its tun', async () => {
    const h1 = start('h1', 0);
    await h1.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    h1.kill('SIGKILL');
    await h1.exited;
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    const env = ['env', 'SERVICE_RESULT=signal', 'EXIT_CODE=killed', 'EXIT_STATUS=KILL'];
    const r = await lab.exec(hosts.h1, [...env, process.execPath, CLI_PATH, 'cleanup', ...args('h1', 0)], 30_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await lab.vipHolders(VIP)).toEqual([]);
  });
});
