// Bad datagrams at a running master's port: garbage, a wrong key, a wrong vhid or VIP, senders that are
// not peers, and replays of real adverts captured on the wire. The master must stay master, keep
// advertising and warn at a bounded rate (transport: one warning per reason and source per 10 s).
import { randomBytes } from 'node:crypto';
import dgram, { type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { Advert } from '../../src/protocol/advert.js';
import { sign } from '../../src/protocol/auth.js';
import { SECRET, VHID, VIP, clusterPerTest, sleep, type Cluster, type ClusterNode } from '../support/cluster.js';

const cluster = clusterPerTest();
const WARN = 40; // pino's level number for warn
// An epoch far above anything real: were such a packet believed, the master would step down at once.
const HUGE_EPOCH = 1_000_000;

// A master (node1) that took over from node2 by preemption, so it has accepted node2's real adverts,
// which the observer captured for replay.
async function masterWithCapturedAdverts(): Promise<{ c: Cluster; master: ClusterNode; other: ClusterNode; captured: Buffer[] }> {
  const c = await cluster({ nodes: [{ advskew: 0, preempt: true, deferred: true }, { advskew: 50 }] });
  const [master, other] = c.nodes as [ClusterNode, ClusterNode];
  await c.waitForMaster(other);
  await c.waitFor(() => c.advertsFrom(other).length >= 2, 5_000, 'adverts from node2 to capture');
  await c.start(master);
  await c.waitForMaster(master);
  const captured = c.advertsFrom(other).map((p) => p.raw);
  return { c, master, other, captured };
}

function advert(over: Partial<Advert>): Advert {
  return { type: 'advert', vhid: VHID, advskew: 0, advbaseMs: 200, epoch: HUGE_EPOCH, seq: BigInt(Date.now()) * 2000n, sender: '127.0.0.2', vip: VIP, ...over };
}

async function socketOn(address: string): Promise<Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  return s;
}

// Sends in bursts of 50, each fully handed to the kernel, with a breath between bursts so the test
// measures the agent rather than the loopback queue overflowing.
async function sendAll(from: Socket, packets: Buffer[], to: ClusterNode, port: number): Promise<void> {
  for (let i = 0; i < packets.length; i += 50) {
    const burst = packets.slice(i, i + 50).map((p) => new Promise<void>((resolve, reject) => from.send(p, port, to.ip, (err) => (err ? reject(err) : resolve()))));
    await Promise.all(burst);
    await sleep(5);
  }
}

// The drop counters from a SIGUSR1 state dump.
async function dumpDrops(c: Cluster, n: ClusterNode): Promise<{ state: unknown; drops: Record<string, number> }> {
  const since = c.mark();
  c.kill(n, 'SIGUSR1');
  const dump = await c.waitForEvent(n, { event: 'dump' }, { since });
  return { state: dump.state, drops: dump.drops as Record<string, number> };
}

describe('bad datagrams', () => {
  it('a master sent 2,000 bad datagrams stays master, keeps advertising and logs only a few rate-limited warnings', async () => {
    const { c, master, other, captured } = await masterWithCapturedAdverts();
    const key = Buffer.from(SECRET);
    const capturedSeqs = captured.map((p) => p.readBigUInt64BE(16));
    const oldSeq = capturedSeqs.reduce((a, b) => (a < b ? a : b));
    const repeat = (n: number, make: (i: number) => Buffer) => Array.from({ length: n }, (_, i) => make(i));

    const fromPeer = [
      ...repeat(300, () => sign(advert({}), Buffer.from('not-the-secret'))), // wrong key
      ...repeat(300, () => sign(advert({ vhid: VHID + 1 }), key)), // another virtual host
      ...repeat(200, () => sign(advert({ vip: '127.0.0.101' }), key)), // another VIP
      ...repeat(200, () => sign(advert({ seq: oldSeq }), key)), // right key, but a sequence number already seen
      ...repeat(200, (i) => captured[i % captured.length] as Buffer), // replayed real adverts
    ];
    const garbage = [
      ...repeat(300, () => randomBytes(Math.floor(Math.random() * 200))),
      ...repeat(200, () => randomBytes(64)),
      ...repeat(100, (i) => Buffer.concat([Buffer.from([0x46, 0x44, 1, 1 + (i % 4)]), randomBytes(60)])), // right magic, junk after it
    ];
    const stranger = repeat(200, () => sign(advert({ sender: '127.0.0.9' }), key)); // well signed, but not a --peer
    const sent = fromPeer.length + garbage.length + stranger.length;
    expect(sent).toBeGreaterThanOrEqual(2_000);

    const sockets = await Promise.all([socketOn(other.ip), socketOn(c.observerIp), socketOn('127.0.0.9')]);
    const [peerSock, observerSock, strangerSock] = sockets as [Socket, Socket, Socket];
    const since = c.mark();
    try {
      await Promise.all([sendAll(peerSock, fromPeer, master, c.port), sendAll(observerSock, garbage, master, c.port), sendAll(strangerSock, stranger, master, c.port)]);
    } finally {
      for (const s of sockets) s.close();
    }

    // Still master, still advertising on schedule, nobody else promoted.
    const after = c.mark();
    await c.waitFor(() => c.advertsFrom(master, after).length >= 5, 10_000, '5 adverts from the master after the flood');
    expect(c.events(undefined, since).filter((e) => e.event === 'transition')).toEqual([]);
    expect(c.masters()).toEqual([master]);
    expect(other.state).toBe('BACKUP');
    expect(c.advertsFrom(master, after).every((p) => p.advert?.epoch === 2)).toBe(true);

    const { state, drops } = await dumpDrops(c, master);
    expect(state).toBe('MASTER');
    for (const reason of ['malformed', 'bad-hmac', 'wrong-vhid', 'wrong-vip', 'not-a-peer']) expect(drops[reason], reason).toBeGreaterThan(0);
    expect((drops.stale ?? 0) + (drops.replay ?? 0)).toBeGreaterThan(0);
    expect(Object.values(drops).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(sent);

    // At most one warning per (reason, source address) in the 10 s window: a handful for the whole flood.
    const warnings = c.events(master, since).filter((e) => e.level === WARN);
    expect(warnings.length).toBeLessThanOrEqual(12);
    const keys = warnings.map((w) => `${String(w.drop)}:${String(w.from)}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(warnings.map((w) => w.drop))).toEqual(new Set(['malformed', 'bad-hmac', 'wrong-vhid', 'wrong-vip', 'not-a-peer', ...Object.keys(drops).filter((k) => k === 'stale' || k === 'replay')]));
    expect(warnings.find((w) => w.drop === 'bad-hmac')?.msg).toMatch(/check vhid, password and virtual IP/);
  });

  it('adverts captured on the wire and replayed at the master are all dropped as replays and change nothing', async () => {
    const { c, master, other, captured } = await masterWithCapturedAdverts();
    // Re-signed with the real key and a huge epoch but an old sequence number: only the replay check stops it.
    const oldSeq = captured[0]?.readBigUInt64BE(16) ?? 0n;
    const forged = sign(advert({ seq: oldSeq }), Buffer.from(SECRET));
    const packets = [...captured, ...captured, forged, forged];

    const sock = await socketOn(other.ip);
    const since = c.mark();
    try {
      await sendAll(sock, packets, master, c.port);
    } finally {
      sock.close();
    }
    // Datagrams queued before two more adverts went out have been read by then.
    const after = c.mark();
    await c.waitFor(() => c.advertsFrom(master, after).length >= 2, 5_000, '2 adverts from the master after the replay');
    const { state, drops } = await dumpDrops(c, master);
    expect((drops.stale ?? 0) + (drops.replay ?? 0)).toBe(packets.length);
    expect(state).toBe('MASTER');
    expect(c.events(undefined, since).filter((e) => e.event === 'transition')).toEqual([]);
    expect(c.masters()).toEqual([master]);
  });
});
