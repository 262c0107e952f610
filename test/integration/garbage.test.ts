// Bad datagrams at a running master's port: garbage, a wrong key, a wrong vhid or VIP, senders that are
// not peers, adverts naming a sender other than their source address, and replays of real adverts captured
// on the wire. The master must stay master, keep advertising and warn at a bounded rate (transport: one
// warning per reason and source per 10 s).
import { randomBytes } from 'node:crypto';
import dgram, { type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { PACKET_LENGTH, SENDER_OFFSET, ipv4Bytes, type Advert } from '../../src/protocol/advert.js';
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

// Sends in bursts of 25, each fully handed to the kernel, with a 20 ms breath between bursts so the test
// measures the agent rather than the loopback queue overflowing: the socket buffer holds ~200 datagrams, so
// an agent descheduled for a while on a loaded 2-core machine (the e2e daemons run beside it) loses none.
// Floods at full rate are test/netns/hostile/flood.test.ts's job.
async function sendAll(from: Socket, packets: Buffer[], to: ClusterNode, port: number): Promise<void> {
  for (let i = 0; i < packets.length; i += 25) {
    const burst = packets.slice(i, i + 25).map((p) => new Promise<void>((resolve, reject) => from.send(p, port, to.ip, (err) => (err ? reject(err) : resolve()))));
    await Promise.all(burst);
    await sleep(20);
  }
}

// True when the transport drops `p` from `from` as 'address-mismatch' before any HMAC: a 64-byte datagram
// whose signed-sender bytes are not its source address.
function mismatched(p: Buffer, from: string): boolean {
  return p.length === PACKET_LENGTH && !p.subarray(SENDER_OFFSET, SENDER_OFFSET + 4).equals(Buffer.from(ipv4Bytes(from)));
}

// Per-reason growth of the drop counters between two dumps (reasons that did not grow are left out).
function dropsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([r, n]) => [r, n - (before[r] ?? 0)] as const).filter(([, d]) => d !== 0));
}

const total = (drops: Record<string, number>): number => Object.values(drops).reduce((a, b) => a + b, 0);

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

    // From node2's address, naming node2: past the source check, so verify() gives every verdict.
    const fromPeer = [
      ...repeat(300, () => sign(advert({}), Buffer.from('not-the-secret'))), // wrong key
      ...repeat(300, () => sign(advert({ vhid: VHID + 1 }), key)), // another virtual host
      ...repeat(200, () => sign(advert({ vip: '127.0.0.101' }), key)), // another VIP
      // Right key, but a sequence number already seen, re-signed as node2 really advertised (epoch 1, advskew 50):
      // behind node2's mark, so it can only hold a node back, and this master has nothing to step down for.
      ...repeat(200, () => sign(advert({ seq: oldSeq, epoch: 1, advskew: 50 }), key)),
      ...repeat(200, (i) => captured[i % captured.length] as Buffer), // replayed real adverts
    ];
    const garbage = [
      ...repeat(300, () => randomBytes(Math.floor(Math.random() * 200))),
      ...repeat(200, () => randomBytes(64)),
      ...repeat(100, (i) => Buffer.concat([Buffer.from([0x46, 0x44, 1, 1 + (i % 4)]), randomBytes(60)])), // right magic, junk after it
    ];
    // From the observer (a --peer), well signed but naming another sender: node2's real adverts relayed, and
    // adverts naming the master itself. Dropped before any HMAC or replay mark.
    const relayed = [...repeat(100, (i) => captured[i % captured.length] as Buffer), ...repeat(100, () => sign(advert({ sender: master.ip }), key))];
    const stranger = repeat(200, () => sign(advert({ sender: '127.0.0.9' }), key)); // well signed, but not a --peer
    const fromObserver = [...garbage, ...relayed];
    const sent = fromPeer.length + fromObserver.length + stranger.length;
    expect(sent).toBeGreaterThanOrEqual(2_000);
    // What the master must count, reason by reason: a 64-byte datagram that does not name its source is an
    // address-mismatch (random bytes almost always are); the observer's other datagrams fail the codec.
    const mismatches = fromObserver.filter((p) => mismatched(p, c.observerIp)).length;
    expect(mismatches).toBeGreaterThanOrEqual(200 + 100 + relayed.length);
    expect(relayed.every((p) => mismatched(p, c.observerIp)) && fromPeer.every((p) => !mismatched(p, other.ip))).toBe(true);
    const expected = {
      'bad-hmac': 300,
      'wrong-vhid': 300,
      'wrong-vip': 200,
      staleOrReplay: 400,
      'address-mismatch': mismatches,
      malformed: fromObserver.length - mismatches,
      'not-a-peer': stranger.length,
    };

    const before = await dumpDrops(c, master);
    const sockets = await Promise.all([socketOn(other.ip), socketOn(c.observerIp), socketOn('127.0.0.9')]);
    const [peerSock, observerSock, strangerSock] = sockets as [Socket, Socket, Socket];
    const since = c.mark();
    try {
      await Promise.all([sendAll(peerSock, fromPeer, master, c.port), sendAll(observerSock, fromObserver, master, c.port), sendAll(strangerSock, stranger, master, c.port)]);
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

    const { state, drops: now } = await dumpDrops(c, master);
    expect(state).toBe('MASTER');
    const drops = dropsBetween(before.drops, now);
    // Every datagram sent was read and counted under its reason.
    const { stale = 0, replay = 0, behind = 0, ...rest } = drops;
    const { staleOrReplay, ...others } = expected;
    expect({ ...rest, staleOrReplay: stale + replay + behind }, JSON.stringify(drops)).toEqual({ ...others, staleOrReplay });
    expect(total(drops)).toBe(sent);

    // At most one warning per (reason, source address) in the 10 s window: a handful for the whole flood.
    const warnings = c.events(master, since).filter((e) => e.level === WARN);
    expect(warnings.length).toBeLessThanOrEqual(12);
    const keys = warnings.map((w) => `${String(w.drop)}:${String(w.from)}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(warnings.map((w) => w.drop))).toEqual(new Set(['malformed', 'address-mismatch', 'wrong-vhid', 'wrong-vip', 'not-a-peer', ...Object.keys(drops).filter((k) => k === 'stale' || k === 'replay' || k === 'behind')]));
    // Exactly one per reason, from the source that provoked it.
    const sourceOf = (reason: string) => (reason === 'not-a-peer' ? '127.0.0.9' : reason === 'malformed' || reason === 'address-mismatch' ? c.observerIp : other.ip);
    expect([...keys].sort()).toEqual(Object.keys(drops).filter((r) => r !== 'bad-hmac').map((r) => `${r}:${sourceOf(r)}`).sort());
    // Bad HMACs are a condition, not a warning: one error line naming the source (net/auth-alarm.ts).
    const alarms = c.events(master, since).filter((e) => e.event === 'auth-failure');
    expect(alarms.map((e) => [e.level, e.from])).toEqual([[50, other.ip]]);
    expect(alarms[0]?.msg).toMatch(/check that the secret \(--passfile\), vhid and virtual IP match on every node/);
    expect(warnings.find((w) => w.drop === 'address-mismatch')?.msg).toMatch(new RegExp(`^advert claiming sender [\\d.]+ arrived from ${c.observerIp.replaceAll('.', '\\.')}: ignored \\(NAT or spoofing\\?\\)$`));
  });

  it('adverts captured on the wire and replayed at the master are all behind, stale or replays from their sender’s address, and as address-mismatch when relayed from another, and change nothing', async () => {
    const { c, master, other, captured } = await masterWithCapturedAdverts();
    // Re-signed with the real key and an old sequence number, as node2 advertised then (epoch 1): behind, so it
    // may hold a node back but cannot move this master. (A key holder can sign anything; replay marks are
    // about captures, and a behind advert with a winning epoch would make a master step down, never promote one.)
    const oldSeq = captured[0]?.readBigUInt64BE(16) ?? 0n;
    const forged = sign(advert({ seq: oldSeq, epoch: 1, advskew: 50 }), Buffer.from(SECRET));
    const packets = [...captured, ...captured, forged, forged];

    const before = await dumpDrops(c, master);
    const sockets = await Promise.all([socketOn(other.ip), socketOn(c.observerIp)]);
    const [peerSock, observerSock] = sockets as [Socket, Socket];
    const since = c.mark();
    try {
      // Relayed copies first, from the observer (a --peer too): they must not reach verify() at all.
      await sendAll(observerSock, packets, master, c.port);
      await sendAll(peerSock, packets, master, c.port);
    } finally {
      for (const s of sockets) s.close();
    }
    // Datagrams queued before two more adverts went out have been read by then.
    const after = c.mark();
    await c.waitFor(() => c.advertsFrom(master, after).length >= 2, 5_000, '2 adverts from the master after the replay');
    const { state, drops: now } = await dumpDrops(c, master);
    const drops = dropsBetween(before.drops, now);
    expect(Object.keys(drops).filter((r) => r !== 'address-mismatch' && r !== 'stale' && r !== 'replay' && r !== 'behind'), JSON.stringify(drops)).toEqual([]);
    expect(drops['address-mismatch'], JSON.stringify(drops)).toBe(packets.length);
    expect((drops.stale ?? 0) + (drops.replay ?? 0) + (drops.behind ?? 0), JSON.stringify(drops)).toBe(packets.length);
    // Each captured packet counts as behind at most once: replaying it again only makes it stale.
    expect(drops.behind ?? 0, JSON.stringify(drops)).toBeLessThanOrEqual(captured.length);
    expect(state).toBe('MASTER');
    expect(c.events(undefined, since).filter((e) => e.event === 'transition')).toEqual([]);
    expect(c.masters()).toEqual([master]);
  });
});
