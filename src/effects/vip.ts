// The VIP on the interface, through real ip(8). Both operations are idempotent: an address already
// there (added by a ucarp-style vip-up script, say) is left as it is, and removing an absent one succeeds.
import { spawnSync } from 'node:child_process';
import type { Logger } from '../log/log.js';
import { runCommand } from './command.js';

// Outcome of one VIP operation; never thrown, so the effect queue can decide what a failure means.
export type VipResult = { ok: true; changed: boolean } | { ok: false; error: string };

// How the agent touches the VIP: the real interface, or only a record (demo and unprivileged tests).
export interface VipDriver {
  add(): Promise<VipResult>;
  remove(): Promise<VipResult>;
  // Synchronous, every prefix, for the crash path only: the event loop may not run again.
  removeNow(): VipResult;
}

export interface IpVipOptions {
  iface: string;
  vip: string;
  log: Logger;
  // A ucarp-style -u script may have added the VIP with its own prefix: look before adding, and look for
  // other prefixes after removing.
  lookFirst: boolean;
}

// What ip(8) says for "already there" and "not there", in the older errno wording and the newer extack wording.
const ALREADY_THERE = /File exists|Address already assigned/;
const NOT_THERE = /Cannot assign requested address|Address not found/;
// A deleted interface (a VLAN or bond being rebuilt) took its addresses with it: nothing left to remove.
const NO_DEVICE = /Cannot find device|does not exist/;

// The VIP as a /32 host address on the interface, like ucarp's documented `ip addr add $2 dev $1`.
export function ipVipDriver(o: IpVipOptions): VipDriver {
  const { iface, vip, log } = o;
  const ip = async (...args: string[]) => {
    const r = await runCommand('ip', args);
    return { ...r, text: `ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
  };
  // Prefix lengths the VIP currently has on the interface.
  const prefixes = async (): Promise<number[] | string> => {
    const r = await ip('-j', '-4', 'addr', 'show', 'dev', iface);
    if (r.exitCode !== 0) return r.text;
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
    return links.flatMap((l) => l.addr_info ?? []).filter((a) => a.local === vip).map((a) => a.prefixlen);
  };
  return {
    async add() {
      if (o.lookFirst) {
        const have = await prefixes();
        if (typeof have === 'string') return { ok: false, error: have };
        if (have.length > 0) {
          log.info({ vip, iface, prefixes: have }, 'VIP already on the interface (added by a hook)');
          return { ok: true, changed: false };
        }
      }
      const r = await ip('addr', 'add', `${vip}/32`, 'dev', iface);
      if (r.exitCode === 0) return { ok: true, changed: true };
      // Already there is what we want.
      return ALREADY_THERE.test(r.stderr) ? { ok: true, changed: false } : { ok: false, error: r.text };
    },
    async remove() {
      const r = await ip('addr', 'del', `${vip}/32`, 'dev', iface);
      if (r.exitCode !== 0 && NO_DEVICE.test(r.stderr)) return { ok: true, changed: false };
      if (r.exitCode !== 0 && !NOT_THERE.test(r.stderr)) return { ok: false, error: r.text };
      let changed = r.exitCode === 0;
      // Only a ucarp-style script adds the VIP with another prefix (/24); without one, the /32 was all there was.
      if (changed && !o.lookFirst) return { ok: true, changed };
      const left = await prefixes();
      if (typeof left === 'string') return { ok: false, error: left };
      for (const prefix of left) {
        const d = await ip('addr', 'del', `${vip}/${prefix}`, 'dev', iface);
        if (d.exitCode !== 0 && !NOT_THERE.test(d.stderr)) return { ok: false, error: d.text };
        changed ||= d.exitCode === 0;
      }
      return { ok: true, changed };
    },
    removeNow() {
      const run = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8', timeout: 2000 });
      const shown = run('-j', '-4', 'addr', 'show', 'dev', iface);
      if (shown.status !== 0) return NO_DEVICE.test(shown.stderr ?? '') ? { ok: true, changed: false } : { ok: false, error: `ip addr show dev ${iface}: ${(shown.stderr ?? '').trim() || String(shown.error ?? shown.status)}` };
      const links = JSON.parse(shown.stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
      let changed = false;
      for (const a of links.flatMap((l) => l.addr_info ?? []).filter((x) => x.local === vip)) {
        const d = run('addr', 'del', `${vip}/${a.prefixlen}`, 'dev', iface);
        if (d.status !== 0 && !NOT_THERE.test(d.stderr ?? '')) return { ok: false, error: `ip addr del ${vip}/${a.prefixlen} dev ${iface}: ${(d.stderr ?? '').trim()}` };
        changed ||= d.status === 0;
      }
      return { ok: true, changed };
    },
  };
}

// Records instead of touching the interface: the demo cluster runs on loopback without root.
export function recordVipDriver(iface: string, vip: string, log: Logger): VipDriver {
  let held = false;
  const set = (next: boolean): VipResult => {
    const changed = held !== next;
    held = next;
    log.info({ vip, iface, recorded: true }, next ? 'VIP add (recorded only)' : 'VIP remove (recorded only)');
    return { ok: true, changed };
  };
  return { add: async () => set(true), remove: async () => set(false), removeNow: () => set(false) };
}
