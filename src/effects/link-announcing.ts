// Whether the VIPs on the interface are announced at all, by the channel's frames or by arping: on a
// layer-3 link (tun, WireGuard, GRE, PPP: no Ethernet address, or NOARP) nobody resolves neighbours, so
// there is nothing to announce and the VIP is only added. Read from sysfs at each use (an interface
// re-created under the same name may be of another kind), said in the log at start and whenever it changes.
import type { Logger } from '../log/log.js';
import { announcingOn } from '../net/announce-frames.js';
import { readLinkLayer } from '../net/link.js';

// A function telling whether to announce now; an interface that does not exist (yet) counts as announcing,
// so the add or the send reports it.
export function linkAnnouncing(iface: string, log: Logger): () => boolean {
  let said: string | undefined;
  const now = (): boolean => {
    const link = readLinkLayer(iface);
    if (link === undefined) return true;
    const a = announcingOn(link);
    const verdict = a.announce ? '' : a.why;
    if (verdict !== (said ?? '')) {
      if (a.announce) log.info({ event: 'announce', iface, announce: true }, `${iface} now has an Ethernet address: VIPs added there are announced again`);
      else log.info({ event: 'announce', iface, announce: false, why: a.why }, `VIPs on ${iface} are added without gratuitous ARP or neighbour advertisements: ${a.why}; traffic reaches them by routing`);
    }
    said = verdict;
    return a.announce;
  };
  now();
  return now;
}
