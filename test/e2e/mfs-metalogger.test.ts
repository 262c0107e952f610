// The metalogger strategy driven by real floatd agents: m1 (-k 0) and m2 (-k 50) run floatd with the
// pack as --hooks-dir and hooks/mfs/takeover-check as the gate; a client mounted through the VIP checks every file
// by sha256 and is never remounted. One lab, steps in order: each test builds on the cluster the previous one left.
import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AddressMonitor, AgentProcess } from '../support/netns.js';
import { checksums, chunkservers, mountPids, waitCaughtUp, writeDataSet, writeOne } from './mfs-data.js';
import { becomes, daemons, agentReport, hookStarted, killDaemon, isServing, MasterWatch, packLines, refused, startFloatd, stopAgents, vipAddedOn, watchAddresses, type FloatdSpec } from './mfs-floatd.js';
import { createMfsLab, PACK, unavailable, type MfsHost, type MfsLab } from './mfs-lab.js';

const S1: FloatdSpec = { advbase: 0.3, advskew: 0 };
const S2: FloatdSpec = { advbase: 0.3, advskew: 50 };

describe.skipIf(unavailable !== undefined)(`MooseFS metalogger strategy under floatd${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let masters: MasterWatch;
  let mounted: number[] = [];

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2 });
    m1 = lab.host('m1');
    m2 = lab.host('m2');
    addresses = await watchAddresses(lab);
    masters = new MasterWatch(lab);
  });
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2]))));
  afterAll(async () => {
    masters?.stop();
    await stopAgents([a1, a2]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('a standby whose metalogger holds nothing refuses, stays BACKUP without ever holding the VIP, and says what is missing', async () => {
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('two refusals', () => a2!.lines.filter(refused).length >= 2, { timeoutMs: 20_000 });
    expect(a2.lines.find(refused)?.msg).toMatch(/^takeover check refused \(.*takeover-check exited 1\): staying BACKUP, next try in 1\.0 s$/);
    expect(packLines(a2)).toContainEqual(expect.stringMatching(/FAILED: local metadata cannot give a valid restore: the metalogger holds nothing to restore in .* \(no metadata_ml.mfs.back\* or metadata_ml.tmp\)/));
    expect(a2.lines.filter(becomes('MASTER'))).toEqual([]);
    expect(a2.lines.filter(hookStarted('prepare.d'))).toEqual([]);
    expect(vipAddedOn(addresses)).toEqual([]);
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']); // its startup down hooks started it
  });

  it('a freshly seeded master promotes under floatd; the standby follows it and its metalogger catches up', async () => {
    lab.seed(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/keep own master files: first run/));
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/seeded metadata.mfs .* nothing to restore/));
    expect((await lab.startChunkserver()).code).toBe(0);
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    mounted = mountPids(lab);
    await writeDataSet(lab, true);
    await waitCaughtUp(lab, m2, m1);
    expect(a2?.state).toBe('BACKUP');
    expect(vipAddedOn(addresses)).toEqual(['m1']);
  }, 180_000);

  it('a host death of the master: m2 promotes from its metalogger, the chunkserver re-registers, the client carries on and every file reads back', async () => {
    await writeOne(lab, 'just-before-crash');
    await waitCaughtUp(lab, m2, m1);
    const before = await checksums(lab);
    const since = a2!.mark();
    const died = performance.now();
    lab.kill(m1);
    await a1!.exited;
    await a2!.waitFor('m2 serving', isServing, { since, timeoutMs: 30_000 });
    const steps = packLines(a2!, since);
    expect(steps).toContainEqual(expect.stringMatching(/no MooseFS master at last master 203\.0\.113\.11:9421/));
    expect(steps).toContainEqual(expect.stringMatching(/decision metalogger: no own master files/));
    expect(steps).toContainEqual(expect.stringMatching(/restore: metadata reaches change \d+ \(needed \d+\)/));
    expect(vipAddedOn(addresses, died)).toEqual(['m2']);
    expect(await chunkservers(lab)).toContain(lab.host('cs').ip);
    expect(await checksums(lab, 90_000)).toBe(before);
    await writeOne(lab, 'after-failover', 60_000);
    expect(await checksums(lab)).toMatch(/ {2}\.\/after-failover\n/);
    expect(mountPids(lab)).toEqual(mounted);
  }, 180_000);

  it('fails back: the old master restarts and rejoins as metalogger, a graceful stop of m2 (-z) promotes it again with every file', async () => {
    lab.reboot(m1);
    const crashed = readdirSync(m1.data).filter((f) => /^(metadata\.mfs|changelog\.\d+\.mfs)$/.test(f));
    expect(crashed.length).toBeGreaterThan(0);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await a1.waitFor('m1 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    await writeOne(lab, 'before-failback');
    await waitCaughtUp(lab, m1, m2);
    const before = await checksums(lab);
    const since = a1.mark();
    a2!.kill('SIGTERM');
    expect((await a2!.exited).code).toBe(0);
    await a1.waitFor('m1 serving again', isServing, { since, timeoutMs: 30_000 });
    expect(packLines(a2!)).toEqual(expect.arrayContaining([expect.stringMatching(/stop mfsmaster .*: ok \(\d+ ms\)/), expect.stringMatching(/archive master files after mastership \(epoch 2\)/), expect.stringMatching(/start mfsmetalogger .*: ok/)]));
    expect(packLines(a1, since)).toContainEqual(expect.stringMatching(/decision metalogger: previous run master, newer epoch seen: yes/));
    expect(await checksums(lab, 90_000)).toBe(before);
    // The crashed mastership's files were archived (never deleted) as "replaced" when m1 restored m2's copy.
    const archives = readdirSync(m1.data).filter((f) => f.startsWith('floatd-archive-')).map((a) => join(m1.data, a));
    const replaced = archives.find((a) => /reason=replaced/.test(readFileSync(join(a, 'floatd-archive.info'), 'utf8')));
    expect(replaced && readdirSync(replaced)).toEqual(expect.arrayContaining(crashed));
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']);
    expect(mountPids(lab)).toEqual(mounted);
  }, 180_000);

  it('a standby whose metalogger died mid-write refuses its cut changelog, never starting on older metadata; the old master restarted alone serves its newer data and the standby rejoins as its metalogger', async () => {
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await writeOne(lab, 'only-on-the-last-master');
    await waitCaughtUp(lab, m2, m1);
    const newest = await checksums(lab);
    // m2's metalogger dies in the middle of a write (its changelog loses the end of its last line), then m1's host dies.
    killDaemon(lab, m2, 'mfsmetalogger');
    const cl = join(m2.data, 'changelog_ml.0.mfs');
    truncateSync(cl, statSync(cl).size - 7);
    expect(readFileSync(cl, 'utf8')).not.toMatch(/\n$/);
    const since = a2.mark();
    const died = performance.now();
    lab.kill(m1);
    await a1!.exited;
    await a2.waitFor('m2 refuses', refused, { since, timeoutMs: 20_000 });
    expect(packLines(a2, since)).toContainEqual(expect.stringMatching(/FAILED: changelog .*changelog_ml\.0\.mfs ends in a cut line: a restore would skip it/));
    expect(a2.lines.slice(since).filter(hookStarted('prepare.d'))).toEqual([]);
    expect(daemons(lab, m2)).toEqual([]);

    lab.reboot(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 serving alone', isServing, { timeoutMs: 30_000 });
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/keep own master files: previous run ended as master \(epoch 3\)/));
    // Its metalogger files stopped when it promoted at epoch 3: set aside at start-up, before it heard anyone
    // (mfsmetalogger would append the next master's stream to them, with a hole between).
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/metalogger files from before the previous run's mastership \(epoch 3\): moved to .*floatd-archive-/));
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/decision own: previous run ended as master/));
    expect(vipAddedOn(addresses, died)).toEqual(['m1']);
    expect(await checksums(lab, 90_000)).toBe(newest);
    expect(a2.state).toBe('BACKUP');

    // Its floatd restarted (as after the metalogger's crash), m2 sets the torn copy aside and follows m1 afresh.
    await stopAgents([a2]);
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    expect(packLines(a2)).toContainEqual(expect.stringMatching(/metalogger changelog\(s\) changelog_ml\.0\.mfs end in a cut line .*: moved the metalogger's files to .*floatd-archive-/));
    await writeOne(lab, 'after-the-outage');
    await waitCaughtUp(lab, m2, m1);
    expect(mountPids(lab)).toEqual(mounted);
  }, 180_000);

  it('an agent-only death on the master (floatd SIGKILLed, mfsmaster still serving the VIP): the standby refuses and never starts a second mfsmaster; once the host dies it promotes', async () => {
    const since = a2!.mark();
    process.kill(a1!.pid, 'SIGKILL');
    await a1!.exited;
    await a2!.waitFor('two refusals', () => a2!.lines.slice(since).filter(refused).length >= 2, { timeoutMs: 20_000 });
    expect(packLines(a2!, since)).toContainEqual(expect.stringMatching(/still answers ARP for the VIP 203\.0\.113\.100 — the old master still holds it/));
    expect(a2!.lines.slice(since).filter(hookStarted('prepare.d'))).toEqual([]);
    expect(daemons(lab, m1)).toContain('mfsmaster');
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']);
    await writeOne(lab, 'during-agent-death');
    const before = await checksums(lab);
    lab.kill(m1);
    await a2!.waitFor('m2 serving', isServing, { since, timeoutMs: 60_000 });
    expect(await checksums(lab, 90_000)).toBe(before);
    expect(mountPids(lab)).toEqual(mounted);
  }, 120_000);

  it('the mfsmaster process dies on a live master host: its service check (--check on=master, hooks/mfs/check) hands over in order and the standby restores every file', async () => {
    // m1 comes back as the standby, with the service check; then m2 hands mastership to it gracefully.
    const S1check: FloatdSpec = { ...S1, extra: ['--check', `on=master interval=0.5 fall=2 timeout=5 -- ${join(PACK, 'check')}`] };
    lab.reboot(m1);
    a1 = startFloatd(lab, m1, S1check);
    await a1.waitFor('m1 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    await waitCaughtUp(lab, m1, m2);
    let since = a1.mark();
    a2!.kill('SIGTERM');
    await a2!.exited;
    await a1.waitFor('m1 serving', isServing, { since, timeoutMs: 30_000 });
    // m2's metalogger copy stopped when it promoted: set aside, so its metalogger starts afresh (a stale copy
    // continued by m1's changes has a hole, and the restore below would refuse it).
    expect(packLines(a2!)).toContainEqual(expect.stringMatching(/metalogger files from before this mastership: moved to .*floatd-archive-/));
    // m2's release already started its metalogger; its agent comes back as the standby.
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']);
    await writeOne(lab, 'before-the-service-dies');
    await waitCaughtUp(lab, m2, m1);
    const before = await checksums(lab);

    // Only the daemon dies: the host, its floatd and the VIP stay. The check notices, m1 releases and resigns.
    since = a1.mark();
    const since2 = a2.mark();
    killDaemon(lab, m1, 'mfsmaster');
    const released = await a1.waitFor('m1 releases', becomes('RELEASING'), { since, timeoutMs: 20_000 });
    expect(released.reason).toMatch(/^health check ".*hooks\/mfs\/check" failed 2 times in a row \(exit code 1\)$/);
    await a1.waitFor('m1 BACKUP', becomes('BACKUP'), { since, timeoutMs: 60_000 });
    const promoted = await a2.waitFor('m2 MASTER', becomes('MASTER'), { since: since2, timeoutMs: 30_000 });
    expect(promoted.reason).toMatch(/resigned$/);
    // m1 resigned after its down hooks: m2's check skips the ARP and port probes.
    expect(packLines(a2, since2)).toContainEqual(expect.stringMatching(/probes skipped: the master 203\.0\.113\.11 resigned/));
    await a2.waitFor('m2 serving', isServing, { since: since2, timeoutMs: 60_000 });
    expect(packLines(a2, since2)).toContainEqual(expect.stringMatching(/restore: metadata reaches change \d+ \(needed \d+\)/));
    expect(await checksums(lab, 90_000)).toBe(before);
    expect(mountPids(lab)).toEqual(mounted);
    expect(daemons(lab, m1)).toEqual(['mfsmetalogger']);
    // Never two mfsmasters at once over the whole run (sampled every 100 ms).
    expect(masters.overlaps).toEqual([]);
    expect(masters.most).toBe(1);
  }, 180_000);
});
