// Failover end to end: two floatd hosts in network namespaces elect over real multicast, put the VIP on
// their veth with ip(8) and announce it with arping; an observer host checks what the wire says.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, netnsUnavailable, sleep, waitUntil, type AgentLine, type AgentProcess, type Lab, type LabHost, watchLab, expectOnlyKillOverlap } from '../support/netns.js';


const VIP = '198.51.100.100';
const VHID = 10;
const ADVBASE_MS = 200;
const DEADRATIO = 3;
// Gratuitous ARP must repoint the observer this soon after the new master adds the VIP.
const GARP_WITHIN_MS = 1000;

const unavailable = netnsUnavailable();
const title = `failover between two hosts on a bridge${unavailable ? ` (skipped: ${unavailable})` : ''}`;

const becomes = (state: string) => (l: AgentLine) => l.event === 'transition' && l.state === state;
const vipOp = (op: 'add' | 'remove') => (l: AgentLine) => l.event === 'vip' && l.op === op;

describe.skipIf(unavailable !== undefined)(title, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let obs: LabHost;
  let hooksDir: string;
  // Filled in as the scenario goes; later steps build on earlier ones.
  let first: AgentProcess;
  let second: AgentProcess;
  let restarted: AgentProcess;
  let killedAt = 0;
  let restartedAt = 0;

  // host1 -k 0 is preferred over host2 -k 50; neither preempts (no -P). -z: resign on SIGTERM.
  const startAgent = (host: LabHost, advskew: number): AgentProcess =>
    lab.spawnAgent(host, [...lab.agentArgs(host, VHID, VIP), '-b', String(ADVBASE_MS / 1000), '-r', String(DEADRATIO), '-k', String(advskew), '-z', '--hooks-dir', hooksDir]);

  const upMarkers = (host: LabHost): string => {
    try {
      return readFileSync(join(lab.dir, `up-${host.ip}`), 'utf8');
    } catch {
      return '';
    }
  };

  // The VIP as ip(8) shows it on the host's veth ("198.51.100.100/32"), or undefined.
  const vipOnVeth = async (host: LabHost): Promise<string | undefined> => {
    const r = await lab.exec(host, ['ip', '-j', '-4', 'addr', 'show', 'dev', host.iface]);
    const info = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info ?? []);
    const a = info.find((x) => x.local === VIP);
    return a && `${a.local}/${a.prefixlen}`;
  };

  // The observer's entry for the VIP moves to `host` on its own (gratuitous ARP): nothing is sent to look it up.
  const observerLearns = async (host: LabHost, since: number): Promise<number> => {
    await waitUntil(`the observer's neighbour entry for ${VIP} to show ${host.name} (${host.mac})`, async () => (await lab.neighbour(obs, VIP))?.lladdr === host.mac, {
      timeoutMs: GARP_WITHIN_MS,
      everyMs: 10,
    });
    return performance.now() - since;
  };

  const observerReaches = async (host: LabHost): Promise<void> => {
    const r = await lab.reach(obs, VIP);
    expect(r.ok, `observer → ${VIP} over ${r.via}: ${r.detail}`).toBe(true);
    expect((await lab.neighbour(obs, VIP))?.lladdr).toBe(host.mac);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, observer: true });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    obs = lab.host('obs');
    hooksDir = join(lab.dir, 'hooks');
    mkdirSync(join(hooksDir, 'up.d'), { recursive: true });
    writeFileSync(join(hooksDir, 'up.d', '10-marker'), `#!/bin/sh\necho "$FLOATD_STATE epoch=$FLOATD_EPOCH" >> "${lab.dir}/up-$FLOATD_SRCIP"\n`, { mode: 0o755 });
  });

  watchLab(() => lab);

  it('elects one master: only it holds the VIP on its veth, its up hook ran, and the observer reaches the VIP at its MAC', async () => {
    first = startAgent(h1, 0);
    // host1 listens before host2 starts, so host2's longer skew decides and the start is not a race.
    await first.waitFor('floatd starting', (l) => l.msg === 'floatd starting');
    second = startAgent(h2, 50);
    await first.waitFor('host1 MASTER', becomes('MASTER'));
    await first.waitFor('host1 serving', (l) => l.event === 'serving');
    await second.waitFor('host2 BACKUP', becomes('BACKUP'));

    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(await vipOnVeth(h1)).toBe(`${VIP}/32`);
    expect(upMarkers(h1)).toBe('MASTER epoch=1\n');
    await observerReaches(h1);
    expect([first.state, second.state]).toEqual(['MASTER', 'BACKUP']);
  });

  it('replaces a master killed with SIGKILL after the master-down interval, and gratuitous ARP repoints the observer', async () => {
    // The first GARP burst must be over, or an arping orphaned by the kill could answer for host1 afterwards.
    await waitUntil("host1's arping to finish", () => first.arpings().length === 0, { timeoutMs: 4000 });
    const since = second.mark();
    killedAt = performance.now();
    first.kill('SIGKILL');
    await first.exited;

    const promoted = await second.waitFor('host2 MASTER after the crash', becomes('MASTER'), { since, timeoutMs: 3000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11/);
    // 3 × 200 ms + 50/256 s after host1's last advert, which left at most one interval before the kill.
    expect(promoted.at - killedAt).toBeGreaterThan(DEADRATIO * ADVBASE_MS - ADVBASE_MS);
    const added = await second.waitFor('host2 VIP added', vipOp('add'), { since });
    expect(await observerLearns(h2, added.at)).toBeLessThan(GARP_WITHIN_MS);

    // As with ucarp and keepalived, a crashed agent leaves its VIP behind on a host that stays up.
    expect(await lab.vipHolders(VIP)).toEqual(['h1', 'h2']);
    await second.waitFor('host2 serving', (l) => l.event === 'serving', { since });
    expect(upMarkers(h2)).toBe('MASTER epoch=2\n');
    await observerReaches(h2);
  });

  it('removes the VIP a crashed run left behind when floatd restarts, before it could promote, and rejoins as BACKUP', async () => {
    restartedAt = performance.now();
    restarted = startAgent(h1, 0);
    const joined = await restarted.waitFor('host1 BACKUP', becomes('BACKUP'));
    const removed = await restarted.waitFor('the stale VIP removed', vipOp('remove'));
    expect(removed.changed).toBe(true);
    // Joining starts its master-down timer (3 × 200 ms): the earliest it could claim the VIP again.
    expect(removed.at - joined.at).toBeLessThan(DEADRATIO * ADVBASE_MS);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);

    // Several master-down intervals later it still follows host2: no -P, so no preemption.
    await sleep(3 * DEADRATIO * ADVBASE_MS);
    expect(restarted.lines.some(becomes('MASTER'))).toBe(false);
    expect([restarted.state, second.state]).toEqual(['BACKUP', 'MASTER']);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('hands over on SIGTERM with -z through the resign, the VIP never on both hosts', async () => {
    expect((await lab.neighbour(obs, VIP))?.lladdr).toBe(h2.mac);
    const since = restarted.mark();
    const stoppedAt = performance.now();
    second.kill('SIGTERM');
    await second.waitFor('host2 resign', (l) => l.event === 'resign');
    expect((await second.exited).code).toBe(0);

    const promoted = await restarted.waitFor('host1 MASTER after the resign', becomes('MASTER'), { since, timeoutMs: 3000 });
    expect(promoted.reason).toBe('master 198.51.100.12 resigned');
    const added = await restarted.waitFor('host1 VIP added', vipOp('add'), { since });
    expect(await observerLearns(h1, added.at)).toBeLessThan(GARP_WITHIN_MS);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    // In kernel order: host2's address went away before host1's arrived.
    const changes = lab.addresses.changesSince(VIP, stoppedAt, 'h2');
    expect(changes).toEqual(['del h2', 'add h1']);
    await observerReaches(h1);
  });

  it('never had the VIP on both hosts, except from the SIGKILL until the restarted node removed it', () => {
    expectOnlyKillOverlap(lab, VIP, { host: 'h1', other: 'h2', killedAt, restartedAt });
  });
});
