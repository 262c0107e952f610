// A throwaway network namespace holding one veth pair (this kernel has no dummy driver), the first end
// up with 198.51.100.11/24: where the VIP drivers' tests add and remove real addresses (root only).
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';

// Registers the namespace's set-up and teardown with the surrounding describe.
export function vethNamespace(ns: string, end: string, peer: string): void {
  const ip = (...args: string[]) => execa('ip', ['-n', ns, ...args]);
  beforeAll(async () => {
    await execa('ip', ['netns', 'add', ns]);
    await ip('link', 'add', end, 'type', 'veth', 'peer', 'name', peer);
    await ip('link', 'set', peer, 'up');
    await ip('addr', 'add', '198.51.100.11/24', 'dev', end);
    await ip('link', 'set', end, 'up');
  });
  afterAll(async () => {
    await execa('ip', ['netns', 'del', ns], { reject: false });
  });
}
