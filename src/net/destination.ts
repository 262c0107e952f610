// Where adverts go, from the configuration: the multicast group (default), the subnet's broadcast
// address (ucarp -M) or the --peer list; and how the startup line names it.
import type { Config } from '../config/config.js';
import { IP_TIMEOUT_MS, runCommand } from '../effects/command.js';
import type { Destination } from './transport.js';

// The advert destination of one agent; -M reads the broadcast address from the interface.
export async function destinationOf(c: Config): Promise<Destination> {
  if (c.peers.length > 0) return { kind: 'unicast', peers: c.peers };
  if (c.broadcast) return { kind: 'broadcast', address: await broadcastAddress(c.interface, c.srcip) };
  return { kind: 'multicast', group: c.mcast };
}

// The `transport` field of the "floatd starting" line.
export function describeDestination(d: Destination, port: number): string {
  switch (d.kind) {
    case 'unicast':
      return `unicast to ${d.peers.map((p) => `${p.address}:${p.port}`).join(', ')}`;
    case 'broadcast':
      return `broadcast port ${port}`;
    case 'multicast':
      return `multicast ${d.group}:${port}`;
  }
}

// The directed broadcast address of the subnet --srcip is on (ucarp -M).
async function broadcastAddress(iface: string, srcip: string): Promise<string> {
  const r = await runCommand('ip', ['-j', '-4', 'addr', 'show', 'dev', iface], { timeoutMs: IP_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new Error(`--nomcast: cannot read the addresses of --interface ${iface}: ip -j -4 addr show dev ${iface}: ${r.stderr.trim() || `exit ${String(r.exitCode)}`}`);
  const infos = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; broadcast?: string }[] }[]).flatMap((l) => l.addr_info ?? []);
  const mine = infos.find((a) => a.local === srcip);
  if (!mine?.broadcast) throw new Error(`--nomcast: --srcip ${srcip} on --interface ${iface} has no broadcast address`);
  return mine.broadcast;
}
