// Whether adverts could leave now, found out without putting one on the wire: a node whose adverts
// could not be sent stands for election again only once this passes.
import dgram from 'node:dgram';
import { multicastInterface } from './transport.js';
import { once } from 'node:events';
import { scoped, socketType, type Destination } from './transport.js';

// Why an advert cannot leave: the errno code and the destination it was for.
export interface SendProblem {
  code: string;
  to: string;
}

// Probes each destination from a fresh socket bound to `srcip`, as the advert sender is. Multicast: an
// empty datagram with TTL 0 and loopback off, which the kernel routes and passes through the output
// firewall, then drops before the wire (TTL-0 multicast never leaves the host). Unicast, broadcast and
// loopback (where multicast is delivered like unicast, TTL 0 or not): connect(), which looks the route
// up (prohibit, unreachable, blackhole) but cannot see a firewall.
export async function probeSend(srcip: string, port: number, d: Destination, iface = ''): Promise<SendProblem | undefined> {
  const targets = d.kind === 'unicast' ? d.peers : [{ address: d.kind === 'multicast' ? d.group : d.address, port }];
  for (const t of targets) {
    const code = await probeOne(srcip, d.kind, scoped(t.address, iface), t.port, iface);
    if (code !== undefined) return { code, to: `${t.address}:${t.port}` };
  }
  return undefined;
}

// What an operator should check for a send error, in a few words.
export function sendHint(code: string, srcip: string): string {
  switch (code) {
    case 'EADDRNOTAVAIL':
      return `${srcip} is not an address of this host`;
    case 'ENODEV':
      return 'the interface the sockets were opened on is gone';
    case 'ENETUNREACH':
      return 'is the interface up, with --srcip on it?';
    case 'EPERM':
      return 'a firewall rejects it';
    case 'EACCES':
      return 'a prohibit route, or a firewall';
    case 'EHOSTUNREACH':
      return 'an unreachable route';
    case 'EINVAL':
      return 'a blackhole route?';
    default:
      return 'check the interface, routes and firewall';
  }
}

async function probeOne(srcip: string, kind: Destination['kind'], address: string, port: number, iface: string): Promise<string | undefined> {
  const sock = dgram.createSocket(socketType(srcip));
  const failed = once(sock, 'error').then(([e]) => codeOf(e));
  try {
    sock.bind({ address: srcip, port: 0 });
    const bindError = await Promise.race([once(sock, 'listening').then(() => undefined), failed]);
    if (bindError !== undefined) return bindError;
    if (kind === 'multicast') sock.setMulticastInterface(multicastInterface(srcip, iface));
    if (kind === 'multicast' && !srcip.startsWith('127.')) {
      sock.setMulticastTTL(0);
      sock.setMulticastLoopback(false);
      return await new Promise((resolve) => sock.send(Buffer.alloc(0), port, address, (err) => resolve(err ? codeOf(err) : undefined)));
    }
    if (kind === 'broadcast') sock.setBroadcast(true);
    return await new Promise((resolve) => sock.connect(port, address, (err?: Error) => resolve(err ? codeOf(err) : undefined)));
  } catch (err) {
    return codeOf(err);
  } finally {
    try {
      sock.close();
    } catch {
      // never bound: nothing to close
    }
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String((err as Error).message ?? err);
}
