// How an IPv6 VIP is announced: by the kernel's own unsolicited neighbour advertisement (RFC 4861
// §7.2.6), to all nodes, with the Override flag and our link-layer address, so neighbours with an entry
// for the VIP take the new owner at once. Node.js has no raw ICMPv6 socket, and Debian's ndisc6 sends no
// unsolicited NA. Measured in namespaces (docs/guide.md: IPv6): the kernel sends one when
// ndisc_notify=1 and the address is added *tentative* on an interface whose accept_dad is 0 (DAD
// skipped, the address usable at once, the NA sent as the address becomes valid); added with `nodad` it
// sends none, and with DAD on only after DAD, a second or more later. So the interface gets
// accept_dad=0 and ndisc_notify=1, and the VIP is added without `nodad`: in effect nodad, plus the NA.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../log/log.js';

const SETTINGS = { accept_dad: '0', ndisc_notify: '1' } as const;

// Sets the interface up for kernel NAs; true when it is, false (logged) when it cannot be (no IPv6, no
// root, a read-only /proc): then the caller adds with `nodad` and neighbours learn the VIP when they ask.
export function prepareUnsolicitedNa(iface: string, log: Logger): boolean {
  const changed: string[] = [];
  try {
    for (const [name, want] of Object.entries(SETTINGS)) {
      const path = `/proc/sys/net/ipv6/conf/${iface}/${name}`;
      const was = readFileSync(path, 'latin1').trim();
      if (was === want) continue;
      writeFileSync(path, want);
      changed.push(`${name} ${was} → ${want}`);
    }
  } catch (err) {
    log.warn({ event: 'ndisc', iface, err: (err as Error).message }, `cannot set net.ipv6.conf.${iface}.accept_dad=0 and ndisc_notify=1 (${(err as Error).message}): IPv6 VIPs are added with nodad and NOT announced; neighbours follow when their cache entry goes stale`);
    return false;
  }
  if (changed.length > 0) log.info({ event: 'ndisc', iface, changed }, `net.ipv6.conf.${iface}: ${changed.join(', ')}, so the kernel announces each IPv6 VIP with an unsolicited neighbour advertisement as it is added (no DAD on this interface)`);
  return true;
}
