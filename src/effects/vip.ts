// The VIPs on the interface, through real ip(8). Both operations are idempotent: an address already
// there (added by a ucarp-style vip-up script, say) is left as it is, and removing an absent one succeeds.
// Several addresses (-a repeated) are added and removed together, in the order given.
import { spawnSync } from 'node:child_process';
import type { Logger } from '../log/log.js';
import { canonicalAddress, familyOf } from '../protocol/address.js';
import { IP_TIMEOUT_MS, runCommand } from './command.js';
import { prepareUnsolicitedNa } from './ndisc.js';

// Outcome of one VIP operation; never thrown, so the effect queue can decide what a failure means.
export type VipResult = { ok: true; changed: boolean } | { ok: false; error: string };

// How the agent touches the VIPs: the real interface, or only a record (demo and unprivileged tests).
export interface VipDriver {
  add(): Promise<VipResult>;
  remove(): Promise<VipResult>;
  // Synchronous, every prefix, for the crash path only: the event loop may not run again.
  removeNow(): VipResult;
}

export interface IpVipOptions {
  iface: string;
  vips: readonly string[];
  log: Logger;
  // A ucarp-style -u script may have added the VIP with its own prefix: look before adding, and look for
  // other prefixes after removing.
  lookFirst: boolean;
  // Whether VIPs added on the interface are announced now (link-announcing.ts); always, when absent.
  announcing?: () => boolean;
}

// What ip(8) says for "already there" and "not there", in the older errno wording and the newer extack wording.
const ALREADY_THERE = /File exists|address already assigned/i;
// IPv6 says "ipv6: address not found".
const NOT_THERE = /Cannot assign requested address|address not found/i;
// A deleted interface (a VLAN or bond being rebuilt) took its addresses with it: nothing left to remove.
const NO_DEVICE = /Cannot find device|does not exist/;

type AddrInfo = { local: string; prefixlen: number };

// The addresses `vips` has on the interface now, each with its prefix length (canonical spelling compared).
function held(stdout: string, vips: readonly string[]): AddrInfo[] {
  const links = JSON.parse(stdout || '[]') as { addr_info?: AddrInfo[] }[];
  return links.flatMap((l) => l.addr_info ?? []).flatMap((a) => (familyOf(a.local) !== undefined && vips.includes(canonicalAddress(a.local)) ? [{ local: canonicalAddress(a.local), prefixlen: a.prefixlen }] : []));
}

// A host address: /32 like ucarp's documented `ip addr add $2 dev $1`, or /128 for IPv6 (ndisc.ts says
// why it is not added with `nodad` when the kernel's unsolicited NA is to announce it).
const host = (vip: string) => `${vip}/${familyOf(vip) === 6 ? 128 : 32}`;

export function ipVipDriver(o: IpVipOptions): VipDriver {
  const { iface, log } = o;
  const vips = o.vips.map(canonicalAddress);
  const ip = async (...args: string[]) => {
    const r = await runCommand('ip', args, { timeoutMs: IP_TIMEOUT_MS, log });
    return { ...r, text: `ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
  };
  const show = async (): Promise<AddrInfo[] | string> => {
    const r = await ip('-j', 'addr', 'show', 'dev', iface);
    return r.exitCode === 0 ? held(r.stdout, vips) : r.text;
  };
  // Whether the kernel can announce IPv6 VIPs (decided once, at the first IPv6 add).
  let nodad: boolean | undefined;
  const addOne = async (vip: string, have: AddrInfo[]): Promise<VipResult> => {
    if (o.lookFirst && have.some((a) => a.local === vip)) {
      log.info({ vip, iface, prefixes: have.filter((a) => a.local === vip).map((a) => a.prefixlen) }, 'VIP already on the interface (added by a hook)');
      return { ok: true, changed: false };
    }
    const v6 = familyOf(vip) === 6;
    // A link that resolves no neighbours skips DAD and takes no NA: its interface settings stay as they are.
    if (v6 && nodad === undefined && (o.announcing?.() ?? true)) nodad = !prepareUnsolicitedNa(iface, log);
    const r = await ip(...(v6 ? ['-6'] : []), 'addr', 'add', host(vip), 'dev', iface, ...(v6 && nodad ? ['nodad'] : []));
    if (r.exitCode === 0) return { ok: true, changed: true };
    // Already there is what we want.
    return ALREADY_THERE.test(r.stderr) ? { ok: true, changed: false } : { ok: false, error: r.text };
  };
  const removeOne = async (vip: string): Promise<VipResult> => {
    const r = await ip('addr', 'del', host(vip), 'dev', iface);
    if (r.exitCode !== 0 && NO_DEVICE.test(r.stderr)) return { ok: true, changed: false };
    if (r.exitCode !== 0 && !NOT_THERE.test(r.stderr)) return { ok: false, error: r.text };
    return { ok: true, changed: r.exitCode === 0 };
  };
  return {
    async add() {
      let have: AddrInfo[] = [];
      if (o.lookFirst) {
        const shown = await show();
        if (typeof shown === 'string') return { ok: false, error: shown };
        have = shown;
      }
      return eachVip(vips, (vip) => addOne(vip, have), true);
    },
    async remove() {
      let missing = 0;
      const removed = await eachVip(vips, async (vip) => {
        const r = await removeOne(vip);
        if (r.ok && !r.changed) missing += 1;
        return r;
      }, false);
      if (!removed.ok) return removed;
      // Only a ucarp-style script adds a VIP with another prefix (/24); without one, and with every host
      // address found, that was all there was.
      if (!o.lookFirst && missing === 0) return removed;
      const left = await show();
      if (typeof left === 'string') return NO_DEVICE.test(left) ? removed : { ok: false, error: left };
      const rest = await eachVip(left, async (a) => {
        const d = await ip('addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', iface);
        return d.exitCode !== 0 && !NOT_THERE.test(d.stderr) ? { ok: false, error: d.text } : { ok: true, changed: d.exitCode === 0 };
      }, false);
      return rest.ok ? { ok: true, changed: removed.changed || rest.changed } : rest;
    },
    removeNow() {
      const run = (...args: string[]) => {
        const r = spawnSync('ip', args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS, killSignal: 'SIGKILL' });
        // spawnSync's own words for a timeout are "spawnSync ip ETIMEDOUT".
        const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
        return { ...r, stderr: timedOut ? `timed out after ${IP_TIMEOUT_MS} ms (killed)` : (r.stderr ?? '') || (r.error?.message ?? '') };
      };
      const shown = run('-j', 'addr', 'show', 'dev', iface);
      if (shown.status !== 0) return NO_DEVICE.test(shown.stderr) ? { ok: true, changed: false } : { ok: false, error: `ip -j addr show dev ${iface}: ${shown.stderr.trim() || `exit ${String(shown.status)}`}` };
      let changed = false;
      const errors: string[] = [];
      // Every address is tried, whatever happened to the one before: this is the last chance to drop them.
      for (const a of held(shown.stdout, vips)) {
        const d = run('addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', iface);
        if (d.status !== 0 && !NOT_THERE.test(d.stderr)) errors.push(`ip addr del ${a.local}/${a.prefixlen} dev ${iface}: ${d.stderr.trim() || `exit ${String(d.status)}`}`);
        changed ||= d.status === 0;
      }
      return errors.length === 0 ? { ok: true, changed } : { ok: false, error: errors.join('; ') };
    },
  };
}

// Runs `op` on every item in order. Adding stops at the first failure (the mastership fails and its
// removal takes every address off); removing goes on past one, so a bad address does not keep the others.
export async function eachVip<T>(items: readonly T[], op: (item: T) => Promise<VipResult>, stopAtFailure: boolean): Promise<VipResult> {
  let changed = false;
  const errors: string[] = [];
  for (const item of items) {
    const r = await op(item);
    if (!r.ok) {
      errors.push(r.error);
      if (stopAtFailure) break;
    } else changed ||= r.changed;
  }
  return errors.length === 0 ? { ok: true, changed } : { ok: false, error: errors.join('; ') };
}

// Records instead of touching the interface: the demo cluster runs on loopback without root.
export function recordVipDriver(iface: string, vips: readonly string[], log: Logger): VipDriver {
  let isHeld = false;
  const vip = vips.join(' ');
  const set = (next: boolean): VipResult => {
    const changed = isHeld !== next;
    isHeld = next;
    log.info({ vip, iface, recorded: true }, next ? 'VIP add (recorded only)' : 'VIP remove (recorded only)');
    return { ok: true, changed };
  };
  return { add: async () => set(true), remove: async () => set(false), removeNow: () => set(false) };
}
