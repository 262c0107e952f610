// The ip(8) VIP driver against a real interface, inside a throwaway network namespace (root only).
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { vethNamespace } from '../support/veth-namespace.js';

const NS = `fdvip-${randomBytes(3).toString('hex')}`;
const VIP = '198.51.100.100';
const DRIVE = resolve('test/fixtures/vip/drive.mjs');
// Developers without root skip this file; CI (root) must run it, so there it never skips.
const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';

const ip = (...args: string[]) => execa('ip', ['-n', NS, ...args]);
const drive = async (lookFirst: boolean, ...ops: ('add' | 'remove')[]) => {
  const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'd0', VIP, lookFirst ? 'look' : 'plain', ...ops]);
  return r.stdout.split('\n').map((l) => JSON.parse(l) as { op: string; ok: boolean; changed?: boolean; error?: string });
};
const prefixes = async () => {
  const r = await ip('-j', '-4', 'addr', 'show', 'dev', 'd0');
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info).filter((a) => a.local === VIP).map((a) => a.prefixlen);
};

describe.skipIf(!isRoot)('ip VIP driver (real ip in a network namespace)', () => {
  vethNamespace(NS, 'd0', 'd1');

  it('adds the VIP as a /32 once, and a second add is a harmless no-op', async () => {
    const [first, second] = await drive(false, 'add', 'add');
    expect(first).toEqual({ op: 'add', ok: true, changed: true });
    expect(second).toEqual({ op: 'add', ok: true, changed: false });
    expect(await prefixes()).toEqual([32]);
  });

  it('removes it, and removing an absent VIP succeeds without change', async () => {
    const [first, second] = await drive(false, 'remove', 'remove');
    expect(first).toEqual({ op: 'remove', ok: true, changed: true });
    expect(second).toEqual({ op: 'remove', ok: true, changed: false });
    expect(await prefixes()).toEqual([]);
  });

  it('leaves a VIP that a ucarp-style script added as /24 alone, then removes every prefix', async () => {
    await ip('addr', 'add', `${VIP}/24`, 'dev', 'd0');
    const [add] = await drive(true, 'add');
    expect(add).toEqual({ op: 'add', ok: true, changed: false });
    expect(await prefixes()).toEqual([24]);
    const [remove] = await drive(false, 'remove');
    expect(remove).toEqual({ op: 'remove', ok: true, changed: true });
    expect(await prefixes()).toEqual([]);
  });

  it('removing the VIP from an interface that is gone succeeds without change: deleting the interface took the VIP with it', async () => {
    for (const look of ['plain', 'look']) {
      const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'nosuch0', VIP, look, 'remove']);
      expect(r.stdout.split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ op: 'remove', ok: true, changed: false }]);
    }
  });

  it('reports a failure naming the command when adding to an interface that is gone', async () => {
    const r = await execa('ip', ['netns', 'exec', NS, process.execPath, DRIVE, 'nosuch0', VIP, 'plain', 'add']);
    const [res] = r.stdout.split('\n').map((l) => JSON.parse(l) as { ok: boolean; error?: string });
    expect(res?.ok).toBe(false);
    expect(res?.error).toMatch(/ip addr add 198\.51\.100\.100\/32 dev nosuch0/);
  });
});
