// Forged and replayed adverts at a real two-host cluster in network namespaces: a third host and the
// observer send them over real multicast (and unicast with --peer). Nothing they send may change a role;
// every datagram must show up in the SIGUSR1 drop counters under the right reason, with one warning per
// reason and source at most.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, netnsUnavailable, sleep, waitUntil, type AgentLine, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import {
  Capture,
  GROUP,
  NsScript,
  PORT,
  SENDER,
  addAddresses,
  claimedSender,
  dropsBetween,
  dump,
  dumpOnceCounted,
  repeatedWarnings,
  send,
  stopScripts,
  total,
  transitionsSince,
  warningKeys,
  warningsSince,
  withAddresses,
  type Captured,
  type Dump,
} from './tools.js';

const VIP = '198.51.100.100';
const VHID = 10;
// The unicast cluster of the --peer test: its own vhid, VIP and port, so it runs beside the multicast one.
const U_VIP = '198.51.100.101';
const U_VHID = 20;
const U_PORT = 5799;
// host2 -k 50 waits 3 × 200 ms + 50/256 s before it promotes: long enough for any believed forgery to act.
const SETTLE_MS = 1000;
// Far above any real epoch: a master that believed such an advert would step down at once.
const HUGE_EPOCH = '1000000';
const WRONG_KEY = 'not-the-lab-secret';

const unavailable = process.env.CI === 'true' ? undefined : netnsUnavailable();
const title = `forged and replayed adverts at a two-host cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`;

const becomes = (state: string) => (l: AgentLine) => l.event === 'transition' && l.state === state;
const isAdvertFrom = (host: LabHost, type: 'advert' | 'resign', epoch?: number) => (p: Captured) =>
  p.from === host.ip && p.advert?.type === type && (epoch === undefined || p.advert.epoch === epoch);

describe.skipIf(unavailable !== undefined)(title, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let h3: LabHost;
  let obs: LabHost;
  let master: AgentProcess; // host1, -k 0 -P
  let backup: AgentProcess; // host2, -k 50
  let captured: Captured[] = [];

  const start = (host: LabHost, extra: string[]): AgentProcess => lab.spawnAgent(host, [...lab.agentArgs(host, VHID, VIP), '-b', '0.2', '-r', '3', ...extra]);

  // Dumps of both nodes before, and after every datagram sent in between has been counted.
  const around = async (expected: { master: number; backup: number }, act: () => Promise<void>) => {
    const marks = { master: master.mark(), backup: backup.mark() };
    const before = { master: await dump(master), backup: await dump(backup) };
    await act();
    await sleep(SETTLE_MS);
    const after = { master: await dumpOnceCounted(master, before.master, expected.master), backup: await dumpOnceCounted(backup, before.backup, expected.backup) };
    return { marks, before, after };
  };

  // Neither node moved: no transition line, and the dump still shows host1 as master followed by host2.
  const expectUnmoved = (marks: { master: number; backup: number }, after: { master: Dump; backup: Dump }) => {
    expect(transitionsSince(master, marks.master)).toEqual([]);
    expect(transitionsSince(backup, marks.backup)).toEqual([]);
    expect([after.master.state, after.backup.state]).toEqual(['MASTER', 'BACKUP']);
    expect(after.backup.master).toBe(h1.ip);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3, observer: true });
    [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    obs = lab.host('obs');
    const capture = new Capture(obs, [h1.ip, h2.ip]);
    await capture.ready();

    // A history worth replaying: host2 masters alone (epoch 1); host1 preempts it (epoch 2); host1 steps
    // back with SIGUSR2 and resigns; host2 takes over (epoch 3); host1 preempts again after its cooldown (epoch 4).
    backup = start(h2, ['-k', '50']);
    await backup.waitFor('host2 MASTER alone', becomes('MASTER'), { timeoutMs: 3000 });
    await waitUntil('3 adverts of host2 at the observer', () => capture.packets().filter(isAdvertFrom(h2, 'advert', 1)).length >= 3);
    const alone = backup.mark();
    master = start(h1, ['-k', '0', '-P', '--cooldown', '1']);
    await master.waitFor('host1 MASTER by preemption', becomes('MASTER'), { timeoutMs: 3000 });
    await backup.waitFor('host2 BACKUP', becomes('BACKUP'), { since: alone });
    const stepBack = master.mark();
    master.kill('SIGUSR2');
    await master.waitFor('host1 resign', (l) => l.event === 'resign', { since: stepBack });
    await master.waitFor('host1 MASTER again after its cooldown', (l) => becomes('MASTER')(l) && l.epoch === 4, { since: stepBack, timeoutMs: 4000 });
    await waitUntil('3 adverts of host1 in epoch 4 at the observer', () => capture.packets().filter(isAdvertFrom(h1, 'advert', 4)).length >= 3);
    await capture.script.stop();
    captured = capture.packets();
    expect(backup.state).toBe('BACKUP');
  });

  watchLab(() => lab, { before: stopScripts });

  it('drops the cluster’s own adverts and resign captured on the wire as address-mismatch when relayed from the observer, and as stale or replay when replayed from their senders’ own addresses; one warning per reason and source', async () => {
    // The capture holds every epoch of the history, and host1's resign: believed, it would promote host2.
    for (const [host, type, epoch] of [[h2, 'advert', 1], [h1, 'advert', 2], [h1, 'resign', 2], [h2, 'advert', 3], [h1, 'advert', 4]] as const) {
      expect(captured.some(isAdvertFrom(host, type, epoch)), `captured ${type} of ${host.name} in epoch ${epoch}`).toBe(true);
    }
    const packets = captured.map((p) => p.raw);
    const ofH1 = packets.filter((p) => claimedSender(p) === h1.ip);
    const ofH2 = packets.filter((p) => claimedSender(p) === h2.ip);
    expect(ofH1.length + ofH2.length).toBe(packets.length);
    const rounds = 3;
    const replay = (name: string, list: readonly Buffer[]) => {
      const hexFile = join(lab.dir, `${name}.hex`);
      writeFileSync(hexFile, list.map((p) => p.toString('hex')).join('\n'));
      return ['--to', `${GROUP}:${PORT}`, '--kind', 'replay', '--hex-file', hexFile, '--count', String(list.length * rounds), '--rate', '2000'];
    };
    // Relayed copies (the observer's source address, another node's signed sender) never reach verify(), so they
    // cannot touch a replay mark. Sent from the address it claims, each packet reaches the node that did not
    // send it, where only the replay mark stops it; the node that sent it never counts it (to the kernel, a
    // datagram from one of its own addresses arriving from outside is a martian).
    const expected = {
      master: { 'address-mismatch': rounds * packets.length, staleOrReplay: rounds * ofH2.length },
      backup: { 'address-mismatch': rounds * packets.length, staleOrReplay: rounds * ofH1.length },
    };
    const counted = (e: typeof expected.master) => e['address-mismatch'] + e.staleOrReplay;

    const { marks, after, before } = await around({ master: counted(expected.master), backup: counted(expected.backup) }, async () => {
      await send(obs, replay('relayed', packets));
      // host3 as each node in turn, source address included.
      await withAddresses(h3, [h1.ip, h2.ip], async () => {
        await send(h3, ['--bind', h1.ip, ...replay('host1', ofH1)]);
        await send(h3, ['--bind', h2.ip, ...replay('host2', ofH2)]);
      });
    });

    expectUnmoved(marks, after);
    const cases = [
      [master, before.master, after.master, expected.master, marks.master, h2],
      [backup, before.backup, after.backup, expected.backup, marks.backup, h1],
    ] as const;
    for (const [node, b, a, e, mark, other] of cases) {
      const drops = dropsBetween(b, a);
      const what = `${node.host.name} drops ${JSON.stringify(drops)}`;
      expect(Object.keys(drops).filter((r) => r !== 'address-mismatch' && r !== 'stale' && r !== 'replay' && r !== 'behind'), what).toEqual([]);
      expect(drops['address-mismatch'], what).toBe(e['address-mismatch']);
      expect((drops.stale ?? 0) + (drops.replay ?? 0) + (drops.behind ?? 0), what).toBe(e.staleOrReplay);
      // host1 kept advertising after the capture, so host2's mark for it is usually past every captured packet:
      // each one is behind the first time (it may hold host2 back, never promote it), stale on every later
      // round. When the capture ended on host1's latest advert (a busy machine delays the next one), that one
      // packet is host2's mark itself: a replay, at most once a round. host1's mark for host2 may be host2's
      // last captured advert too (replay).
      if (node === backup) {
        expect(drops.stale, what).toBeGreaterThan(0);
        expect(drops.behind ?? 0, what).toBeLessThanOrEqual(ofH1.length);
        expect(drops.replay ?? 0, what).toBeLessThanOrEqual(rounds);
      }
      // One warning per reason and source: the mismatches from the observer, the replays from the other node's address.
      const warnings = warningsSince(node, mark);
      expect(repeatedWarnings(warnings)).toEqual([]);
      expect(warningKeys(warnings)).toEqual(Object.keys(drops).map((r) => `${r} ${r === 'address-mismatch' ? obs.ip : other.ip}`).sort());
      // The first relayed packet is the first the node warned about.
      expect(warnings.find((w) => w.drop === 'address-mismatch')?.msg).toBe(`advert claiming sender ${String(claimedSender(packets[0] as Buffer))} arrived from ${obs.ip}: ignored (NAT or spoofing?)`);
    }
  });

  it('ignores adverts signed with a wrong key that claim a better, newer master (advskew 0, epoch 10⁶), or host1’s resign: address-mismatch unless sent from the address they claim, then bad-hmac', async () => {
    const forged = (sender: string, type: 'advert' | 'resign') => [
      '--to', `${GROUP}:${PORT}`, '--kind', 'sign', '--key', WRONG_KEY, '--type', type, '--vhid', String(VHID), '--vip', VIP,
      '--advskew', '0', '--advbase-ms', '200', '--epoch', type === 'resign' ? '4' : HUGE_EPOCH, '--sender', sender, '--count', '100', '--rate', '500',
    ];
    // From host3's own address: as itself (bad-hmac), and as host1 (address-mismatch, at host1 too). Then from
    // host1's address, held by host3: bad-hmac at host2; host1 never counts a datagram from its own address.
    const expected = { master: { 'bad-hmac': 100, 'address-mismatch': 200 }, backup: { 'bad-hmac': 200, 'address-mismatch': 200 } };
    const { marks, before, after } = await around({ master: total(expected.master), backup: total(expected.backup) }, async () => {
      await send(h3, forged(h3.ip, 'advert'));
      await send(h3, forged(h1.ip, 'advert'));
      await send(h3, forged(h1.ip, 'resign'));
      await withAddresses(h3, [h1.ip], () => send(h3, ['--bind', h1.ip, ...forged(h1.ip, 'resign')]));
    });

    expectUnmoved(marks, after);
    expect(dropsBetween(before.master, after.master)).toEqual(expected.master);
    expect(dropsBetween(before.backup, after.backup)).toEqual(expected.backup);
    for (const [node, mark] of [
      [master, marks.master],
      [backup, marks.backup],
    ] as const) {
      const warnings = warningsSince(node, mark);
      expect(warningKeys(warnings)).toEqual([`address-mismatch ${h3.ip}`]);
      expect(warnings.find((w) => w.drop === 'address-mismatch')?.msg).toBe(`advert claiming sender ${h1.ip} arrived from ${h3.ip}: ignored (NAT or spoofing?)`);
      // Bad HMACs for our vhid are not a warning but a condition (net/auth-alarm.ts): one error line at once,
      // naming the first source; further sources join its periodic repeat.
      const alarms = node.lines.slice(mark).filter((l) => l.event === 'auth-failure');
      expect(alarms.map((l) => [l.level, l.from])).toEqual([[50, h3.ip]]);
      expect(alarms[0]?.msg).toMatch(/check that the secret \(--passfile\), vhid and virtual IP match on every node/);
    }
  });

  it('ignores correctly signed adverts and resigns for another vhid, from their true source or from host1’s address: wrong-vhid', async () => {
    const other = (sender: string, type: 'advert' | 'resign') => [
      '--to', `${GROUP}:${PORT}`, '--kind', 'sign', '--key-file', lab.secretFile, '--type', type, '--vhid', String(VHID + 1), '--vip', VIP,
      '--advskew', '0', '--advbase-ms', '200', '--epoch', HUGE_EPOCH, '--sender', sender, '--count', '100', '--rate', '500',
    ];
    // host3 as itself, then host1's resign for the other vhid from host1's address (held by host3), which
    // only host2 counts.
    const expected = { master: { 'wrong-vhid': 200 }, backup: { 'wrong-vhid': 300 } };
    const { marks, before, after } = await around({ master: total(expected.master), backup: total(expected.backup) }, async () => {
      await send(h3, other(h3.ip, 'advert'));
      await send(h3, other(h3.ip, 'resign'));
      await withAddresses(h3, [h1.ip], () => send(h3, ['--bind', h1.ip, ...other(h1.ip, 'resign')]));
    });

    expectUnmoved(marks, after);
    expect(dropsBetween(before.master, after.master)).toEqual(expected.master);
    expect(dropsBetween(before.backup, after.backup)).toEqual(expected.backup);
    expect(warningKeys(warningsSince(master, marks.master))).toEqual([`wrong-vhid ${h3.ip}`]);
    expect(warningKeys(warningsSince(backup, marks.backup))).toEqual([`wrong-vhid ${h1.ip}`, `wrong-vhid ${h3.ip}`]);
  });

  it('with --peer, ignores correctly signed adverts from a host that is not a peer, even when signed as the peer: not-a-peer', async () => {
    const startU = (host: LabHost, peer: LabHost, skew: string) =>
      lab.spawnAgent(host, [...lab.agentArgs(host, U_VHID, U_VIP), '--port', String(U_PORT), '--peer', peer.ip, '-b', '0.2', '-r', '3', '-k', skew]);
    const u1 = startU(h1, h2, '0');
    await u1.waitFor('unicast host1 starting', (l) => l.msg === 'floatd starting');
    const u2 = startU(h2, h1, '50');
    await u1.waitFor('unicast host1 MASTER', becomes('MASTER'), { timeoutMs: 3000 });
    await u2.waitFor('unicast host2 BACKUP', becomes('BACKUP'));
    await waitUntil('unicast host2 to follow host1', async () => (await dump(u2)).master === h1.ip);
    const byKey = (sender: string, to: LabHost) => [
      '--to', `${to.ip}:${U_PORT}`, '--kind', 'sign', '--key-file', lab.secretFile, '--vhid', String(U_VHID), '--vip', U_VIP,
      '--advskew', '0', '--advbase-ms', '200', '--epoch', HUGE_EPOCH, '--sender', sender, '--count', '100', '--rate', '500',
    ];
    const marks = [u1.mark(), u2.mark()] as const;
    const before = [await dump(u1), await dump(u2)] as const;
    // As itself, and as the other peer of each node (right key, but from host3's address).
    await send(h3, [...byKey(h3.ip, h1), '--to', `${h2.ip}:${U_PORT}`]);
    await send(h3, byKey(h2.ip, h1));
    await send(h3, byKey(h1.ip, h2));
    await sleep(SETTLE_MS);
    const after = [await dumpOnceCounted(u1, before[0], 200), await dumpOnceCounted(u2, before[1], 200)] as const;

    expect(transitionsSince(u1, marks[0])).toEqual([]);
    expect(transitionsSince(u2, marks[1])).toEqual([]);
    expect([after[0].state, after[1].state, after[1].master]).toEqual(['MASTER', 'BACKUP', h1.ip]);
    expect(dropsBetween(before[0], after[0])).toEqual({ 'not-a-peer': 200 });
    expect(dropsBetween(before[1], after[1])).toEqual({ 'not-a-peer': 200 });
    for (const [u, mark] of [[u1, marks[0]], [u2, marks[1]]] as const) {
      expect(warningsSince(u, mark).map((w) => `${String(w.drop)} ${String(w.from)}`)).toEqual([`not-a-peer ${h3.ip}`]);
    }
    u1.kill('SIGTERM');
    u2.kill('SIGTERM');
    await Promise.all([u1.exited, u2.exited]);
  });

  // Last: when it fails, the cluster fails over. A restarted backup has no replay marks, so an old authentic
  // packet is fresh to it; its state file still tells it the newest epoch (4), which an epoch-2 resign is not.
  it('a restarted backup ignores the master’s old resign (epoch 2) replayed from the master’s address while the master pauses for less than the master-down interval', async () => {
    const resign = captured.find(isAdvertFrom(h1, 'resign', 2));
    expect(resign).toBeDefined();
    // host3 sends as host1 (source address included), from a relay started beforehand so the replay is instant.
    addAddresses(h3, [h1.ip]);
    const relay = new NsScript(h3, SENDER, ['--bind', h1.ip, '--to', `${GROUP}:${PORT}`, '--kind', 'stdin', '--max-seconds', '30']);
    backup.kill('SIGTERM');
    await backup.exited;
    const marks = { master: master.mark() };
    let restarted: AgentProcess | undefined;
    const pausedAt = performance.now();
    master.kill('SIGSTOP');
    try {
      restarted = start(h2, ['-k', '50']);
      const up = await restarted.waitFor('host2 listening again', (l) => l.msg === 'floatd starting');
      relay.write(JSON.stringify(Array.from({ length: 3 }, () => resign?.raw.toString('hex'))));
      await relay.line('the replayed resign sent', (l) => l.sent === 3);
      // A pause well inside host2's master-down interval (3 × 200 ms + 50/256 s after it started).
      await sleep(Math.max(0, up.at + 450 - performance.now()));
    } finally {
      master.kill('SIGCONT');
      await relay.stop();
      addAddresses(h3, [h1.ip], 'del');
    }
    await sleep(SETTLE_MS);
    backup = restarted;

    // One comparison, so a failure shows every consequence at once: who moved, and when the VIP was on both hosts.
    const overlaps = lab.addresses.overlaps(VIP).filter((o) => o.from >= pausedAt).map((o) => `${o.hosts.join('+')} for ${o.to === undefined ? '?' : Math.round(o.to - o.from)} ms`);
    expect({ restarted: transitionsSince(restarted, 0), master: transitionsSince(master, marks.master), overlaps }).toEqual({ restarted: ['INIT -> BACKUP: started'], master: [], overlaps: [] });
    const [m, b] = [await dump(master), await dump(restarted)];
    expect([m.state, b.state, b.master]).toEqual(['MASTER', 'BACKUP', h1.ip]);
  });
});
