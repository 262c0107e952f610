// The kernel channel and its VIP driver against a real interface, inside a throwaway network namespace
// (root only): addresses of both families added and removed over netlink, the helper killed and re-opened,
// the fallback to ip(8) used and logged, and the gratuitous ARP seen on the wire within 1 ms of the add.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { vethNamespace } from '../support/veth-namespace.js';

const NS = `nlch-${randomBytes(3).toString('hex')}`;
const VIP = '198.51.100.100';
const VIP6 = '2001:db8::100';
const DRIVE = resolve('test/fixtures/vip/channel-drive.mjs');
const WATCH = resolve('test/fixtures/vip/watch-garp.pl');
const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';

interface Line {
  op: string;
  ok?: boolean;
  changed?: boolean;
  errno?: number;
  error?: string;
  reopened?: boolean;
  addresses?: { address: string; prefixLen: number }[];
  logs: { level: number; event?: string; msg: string }[];
}

const ip = (...args: string[]) => execa('ip', ['-n', NS, ...args]);
const drive = async (ops: string[], env: Record<string, string> = {}): Promise<Line[]> => {
  const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'nl0', VIP, ...ops], { env });
  return r.stdout.split('\n').map((l) => JSON.parse(l) as Line);
};
const addresses = async (family: '-4' | '-6') => {
  const r = await ip('-j', family, 'addr', 'show', 'dev', 'nl0');
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info).map((a) => `${a.local}/${a.prefixlen}`);
};

describe.skipIf(!isRoot)('kernel channel (netlink and a packet socket through floatd-kernel-helper, in a network namespace)', () => {
  vethNamespace(NS, 'nl0', 'nl1');

  it('adds the VIP as a /32 and removes it, each a no-op the second time, without spawning ip(8)', async () => {
    const [a1, a2, , r1, r2] = await drive(['add', 'add', 'list', 'remove', 'remove']);
    expect([a1, a2].map((l) => [l?.ok, l?.changed])).toEqual([[true, true], [true, false]]);
    expect([r1, r2].map((l) => [l?.ok, l?.changed])).toEqual([[true, true], [true, false]]);
    // No fallback was logged: every change went through the channel.
    expect([a1, a2, r1, r2].flatMap((l) => l?.logs ?? []).filter((l) => l.event === 'vip-path')).toEqual([]);
    expect(await addresses('-4')).toEqual(['198.51.100.11/24']);
  });

  it('lists the addresses and adds and removes an IPv6 one (nodad: usable at once, not tentative)', async () => {
    const [list, add, again] = await drive(['list', `add6=${VIP6}`, `add6=${VIP6}`]);
    expect(list?.addresses).toContainEqual({ ifindex: expect.any(Number), address: '198.51.100.11', prefixLen: 24 });
    expect([add?.errno, again?.errno]).toEqual([0, 17]); // then EEXIST
    const shown = await ip('-j', '-6', 'addr', 'show', 'dev', 'nl0');
    const v6 = (JSON.parse(shown.stdout) as { addr_info: { local: string; tentative?: boolean }[] }[])[0]?.addr_info.find((a) => a.local === VIP6);
    expect(v6 && !v6.tentative).toBe(true);
    const [del, gone] = await drive([`remove6=${VIP6}`, `remove6=${VIP6}`]);
    expect([del?.errno, gone?.errno]).toEqual([0, 99]); // then EADDRNOTAVAIL
    expect((await addresses('-6')).filter((a) => a.startsWith('2001:db8'))).toEqual([]);
  });

  it('a helper killed mid-run is re-opened, and the next change goes through the channel again', async () => {
    const [add, kill, remove] = await drive(['add', 'kill', 'remove']);
    expect(add?.changed).toBe(true);
    expect(kill?.reopened).toBe(true);
    expect(kill?.logs.map((l) => l.msg)).toEqual([expect.stringMatching(/^kernel channel down \(helper killed by SIGKILL\)/), 'kernel channel re-opened']);
    expect([remove?.ok, remove?.changed]).toEqual([true, true]);
    expect(remove?.logs.filter((l) => l.event === 'vip-path')).toEqual([]);
  });

  it('with no helper the change still happens through ip(8), and the fallback is logged', async () => {
    const [add, remove] = await drive(['add', 'remove'], { FLOATD_TEST_HELPER: 'false' });
    expect([add?.ok, add?.changed, remove?.ok, remove?.changed]).toEqual([true, true, true, true]);
    expect(add?.logs.find((l) => l.event === 'vip-path')?.msg).toMatch(/^VIP add through ip\(8\): kernel channel is down/);
    expect(remove?.logs.find((l) => l.event === 'vip-path')?.msg).toMatch(/^VIP remove through ip\(8\)/);
  });

  it('with the helper missing, one warning for the whole run and every change through ip(8)', async () => {
    const lines = await drive(['wait=700', 'add', 'remove', 'add', 'announce', 'wait=700', 'remove'], { FLOATD_TEST_HELPER: `/nonexistent/${NS}/floatd-kernel-helper` });
    const changes = lines.filter((l) => l.op === 'add' || l.op === 'remove');
    expect(changes.map((l) => [l.op, l.ok, l.changed])).toEqual([
      ['add', true, true],
      ['remove', true, true],
      ['add', true, true],
      ['remove', true, true],
    ]);
    expect(lines.find((l) => l.op === 'announce')?.ok).toBe(false);
    // Warnings are pino level 40; each change through ip(8) is only a debug line now.
    const warnings = lines.flatMap((l) => l.logs).filter((l) => l.level >= 40);
    expect(warnings.map((l) => l.msg)).toEqual([expect.stringMatching(/^kernel helper cannot run \(helper could not start \(spawn \/nonexistent\/.* ENOENT\)\): VIP changes and ARP go through ip\(8\) and arping\(8\) for the life of this agent$/)]);
    expect(changes.every((l) => l.logs.some((g) => g.event === 'vip-path'))).toBe(true);
    expect(await addresses('-4')).toEqual(['198.51.100.11/24']);
  });

  it('an unsolicited neighbour advertisement repoints the neighbour entry for an IPv6 address (RFC 4861 §7.2.5: override)', async () => {
    const peer = `${NS}p`;
    await execa('ip', ['netns', 'add', peer]);
    try {
      await ip('link', 'add', 'nl2', 'type', 'veth', 'peer', 'name', 'nl3', 'netns', peer);
      await ip('link', 'set', 'nl2', 'up');
      await execa('ip', ['-n', peer, 'link', 'set', 'nl3', 'up']);
      await ip('addr', 'add', `${VIP6}/128`, 'dev', 'nl2', 'nodad');
      // The neighbour still believes another host has the address.
      await execa('ip', ['-n', peer, 'neigh', 'replace', VIP6, 'lladdr', '02:00:00:00:00:99', 'dev', 'nl3', 'nud', 'stale']);
      const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'nl2', VIP, `announce=${VIP6}`]);
      expect((JSON.parse(r.stdout) as Line).ok).toBe(true);
      const mac = (await execa('ip', ['netns', 'exec', NS, 'cat', '/sys/class/net/nl2/address'])).stdout.trim();
      const shown = await execa('ip', ['-n', peer, '-j', 'neigh', 'show', 'to', VIP6, 'dev', 'nl3']);
      expect((JSON.parse(shown.stdout) as { lladdr?: string }[])[0]?.lladdr).toBe(mac);
    } finally {
      await execa('ip', ['netns', 'del', peer], { reject: false });
    }
  });

  it('the gratuitous ARP (request and reply) is on the wire within 1 ms of the address being added', async () => {
    // A perl observer in the namespace timestamps the kernel's RTM_NEWADDR and the outgoing ARP frames.
    // Three adds: the observer's times are when it read them, and a busy machine can delay one read.
    const watcher = execa('ip', ['netns', 'exec', NS, 'perl', WATCH, 'nl0', VIP, '6'], { reject: false });
    await new Promise((r) => setTimeout(r, 300));
    // The helper sends the announcement as soon as the kernel has accepted the address.
    const lines = await drive(['add', 'remove', 'add', 'remove', 'add', 'remove', 'announce']);
    expect(lines.filter((l) => l.op === 'add').map((l) => l.changed)).toEqual([true, true, true]);
    expect(lines.at(-1)?.ok).toBe(true);
    const out = (await watcher).stdout.trim().split('\n');
    const arps = out.filter((l) => l.startsWith('ARP'));
    expect(arps.map((l) => l.split(' ')[2])).toEqual(['request', 'reply', 'request', 'reply', 'request', 'reply']);
    // Each add's first frame against the add itself, in ms.
    const gaps = out.flatMap((l, i) => (l.startsWith('ADDR') && out[i + 1]?.startsWith('ARP') ? [(Number(out[i + 1]?.split(' ')[1]) - Number(l.split(' ')[1])) * 1000] : []));
    expect(gaps).toHaveLength(3);
    expect(gaps.every((g) => g >= 0)).toBe(true);
    expect([...gaps].sort((a, b) => a - b)[1]).toBeLessThan(1);
  });
});
