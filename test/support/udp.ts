// Small UDP helpers for tests on loopback.
import dgram from 'node:dgram';

// A UDP port free on 127.0.0.1 at the moment of asking.
export async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  s.close();
  return port;
}

// Sends `packets` to 127.0.0.1:port from a socket bound to `address`, then gives the receiver 50 ms.
export async function sendFrom(address: string, port: number, packets: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  for (const p of packets) await new Promise<void>((r) => s.send(p, port, '127.0.0.1', () => r()));
  s.close();
  await new Promise((r) => setTimeout(r, 50));
}
