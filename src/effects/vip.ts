// The VIP on the interface, through real ip(8). Both operations are idempotent: an address already
// there (added by a ucarp-style vip-up script, say) is left as it is, and removing an absent one succeeds.
import { execa } from 'execa';
import type { Logger } from '../log.js';

// Outcome of one VIP operation; never thrown, so the effect queue can decide what a failure means.
export type VipResult = { ok: true; changed: boolean } | { ok: false; error: string };

// How the agent touches the VIP: the real interface, or only a record (demo and unprivileged tests).
export interface VipDriver {
  add(): Promise<VipResult>;
  remove(): Promise<VipResult>;
}

interface AddrInfo {
  local: string;
  prefixlen: number;
}

// The VIP as a /32 host address on `iface`, like ucarp's documented `ip addr add $2 dev $1`.
export function ipVipDriver(iface: string, vip: string, log: Logger): VipDriver {
  const present = async (): Promise<AddrInfo[]> => {
    const r = await execa('ip', ['-j', '-4', 'addr', 'show', 'dev', iface], { reject: false });
    if (r.exitCode !== 0) throw new Error(`ip addr show dev ${iface}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: AddrInfo[] }[];
    return links.flatMap((l) => l.addr_info ?? []).filter((a) => a.local === vip);
  };
  return {
    async add() {
      try {
        if ((await present()).length > 0) {
          log.info({ vip, iface }, 'VIP already on the interface');
          return { ok: true, changed: false };
        }
        const r = await execa('ip', ['addr', 'add', `${vip}/32`, 'dev', iface], { reject: false });
        // "File exists": someone (a hook) added it between our look and our add; that is success too.
        if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) return { ok: false, error: `ip addr add ${vip}/32 dev ${iface}: ${r.stderr.trim()}` };
        return { ok: true, changed: r.exitCode === 0 };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    async remove() {
      try {
        let changed = false;
        // Remove every prefix the VIP is on: a legacy script may have added it as /24.
        for (const a of await present()) {
          const r = await execa('ip', ['addr', 'del', `${vip}/${a.prefixlen}`, 'dev', iface], { reject: false });
          if (r.exitCode !== 0 && !/Cannot assign requested address/.test(r.stderr)) {
            return { ok: false, error: `ip addr del ${vip}/${a.prefixlen} dev ${iface}: ${r.stderr.trim()}` };
          }
          changed ||= r.exitCode === 0;
        }
        return { ok: true, changed };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
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
  return { add: async () => set(true), remove: async () => set(false) };
}
