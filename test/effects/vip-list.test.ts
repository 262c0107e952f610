// The ip VIP driver with several addresses of both families, against a real interface in a
// throwaway network namespace (root only): all added, all removed, also on the crash path (removeNow).
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { vethNamespace } from '../support/veth-namespace.js';

const NS = `v6vip-${randomBytes(3).toString('hex')}`;
const VIPS = ['198.51.100.100', '2001:db8::100', '198.51.100.101'];
const DRIVE = resolve('test/fixtures/vip/drive.mjs');
const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';

const ip = (...args: string[]) => execa('ip', ['-n', NS, ...args]);
const drive = async (...ops: string[]) => {
  const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'd0', VIPS.join(','), 'plain', ...ops]);
  return r.stdout.split('\n').map((l) => JSON.parse(l) as { op: string; ok: boolean; changed?: boolean; error?: string });
};
// The VIPs on d0 with their prefix lengths, e.g. "2001:db8::100/128".
const held = async () => {
  const r = await ip('-j', 'addr', 'show', 'dev', 'd0');
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info).filter((a) => VIPS.includes(a.local)).map((a) => `${a.local}/${a.prefixlen}`).sort();
};
const sysctl = async (name: string) => (await execa('ip', ['netns', 'exec', NS, 'cat', `/proc/sys/net/ipv6/conf/d0/${name}`])).stdout.trim();

describe.skipIf(!isRoot)('ip VIP driver with several addresses (real ip in a network namespace)', () => {
  vethNamespace(NS, 'd0', 'd1');

  it('adds every address, IPv4 as /32 and IPv6 as /128, with the interface set up for the kernel NA', async () => {
    const [add, again] = await drive('add', 'add');
    expect(add).toEqual({ op: 'add', ok: true, changed: true });
    expect(again).toEqual({ op: 'add', ok: true, changed: false });
    expect(await held()).toEqual(['198.51.100.100/32', '198.51.100.101/32', '2001:db8::100/128']);
    expect([await sysctl('accept_dad'), await sysctl('ndisc_notify')]).toEqual(['0', '1']);
    // Usable at once: not tentative, so the kernel sent its unsolicited NA as the address became valid.
    const r = await ip('-6', 'addr', 'show', 'dev', 'd0', 'tentative');
    expect(r.stdout).not.toContain('2001:db8::100');
  });

  it('removes every address, and removing them again succeeds without change', async () => {
    const [first, second] = await drive('remove', 'remove');
    expect(first).toEqual({ op: 'remove', ok: true, changed: true });
    expect(second).toEqual({ op: 'remove', ok: true, changed: false });
    expect(await held()).toEqual([]);
  });

  it('removeNow (the crash path) takes every address off, whatever its prefix', async () => {
    await drive('add');
    await ip('addr', 'add', '198.51.100.101/24', 'dev', 'd0');
    const [now] = await drive('removeNow');
    expect(now).toEqual({ op: 'removeNow', ok: true, changed: true });
    expect(await held()).toEqual([]);
  });
});
