// The send probe on real loopback sockets: it names the errno an advert would meet and the destination,
// and puts nothing on the wire. (The TTL-0 multicast probe of real interfaces is exercised in
// test/netns/faults/send-failure.test.ts, behind a firewall that rejects it.)
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { probeSend, sendHint } from '../../src/net/send-probe.js';

async function listener(address: string): Promise<{ port: number; got: Buffer[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  return { port: s.address().port, got, close: () => s.close() };
}

describe('probeSend (loopback)', () => {
  it('passes for a unicast peer it can route to, and sends it nothing', async () => {
    const peer = await listener('127.0.0.2');
    try {
      expect(await probeSend('127.0.0.1', peer.port, { kind: 'unicast', peers: [{ address: '127.0.0.2', port: peer.port }] })).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
      expect(peer.got).toEqual([]);
    } finally {
      peer.close();
    }
  });

  it('passes for multicast and broadcast over loopback', async () => {
    expect(await probeSend('127.0.0.1', 5999, { kind: 'multicast', group: '239.255.5.98' })).toBeUndefined();
    expect(await probeSend('127.0.0.1', 5999, { kind: 'broadcast', address: '127.255.255.255' })).toBeUndefined();
  });

  it('names the errno and the first destination that fails: a broadcast address used as a unicast peer is EACCES', async () => {
    const peers = [
      { address: '127.0.0.2', port: 5999 },
      { address: '255.255.255.255', port: 5998 },
    ];
    expect(await probeSend('127.0.0.1', 5999, { kind: 'unicast', peers })).toEqual({ code: 'EACCES', to: '255.255.255.255:5998' });
  });

  it('fails at bind with EADDRNOTAVAIL when --srcip is not an address of this host', async () => {
    const problem = await probeSend('198.51.100.250', 5999, { kind: 'multicast', group: '239.255.5.98' });
    expect(problem).toEqual({ code: 'EADDRNOTAVAIL', to: '239.255.5.98:5999' });
    expect(sendHint('EADDRNOTAVAIL', '198.51.100.250')).toBe('198.51.100.250 is not an address of this host');
  });
});
