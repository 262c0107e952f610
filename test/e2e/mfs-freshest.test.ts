// The freshest node serves again (docs/mfs.md "A standby that fell behind"): two candidates and a witness on the
// chunkserver host. m2 is cut off while m1 goes on serving, so m2's metalogger falls behind; then m1's host dies.
// m2 refuses to promote on older metadata (the witness relays m1's last version). When m1 comes back, its start-up
// starts a metalogger that finds no master, yet its own master files hold the newest change: metadata-version
// reports them, m1 is the freshest claimant, restores its own files and serves; every file reads back by sha256 and
// the stale standby follows it as a metalogger. m1 is a fresh claimant here: nothing needs m2 to retry a claim.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil, type AddressMonitor, type AgentProcess } from '../support/netns.js';
import { checksums, mountPids, waitCaughtUp, writeDataSet, writeOne } from './mfs-data.js';
import { agentReport, becomes, daemons, isServing, MasterWatch, packLines, startFloatd, stopAgents, vipAddedOn, watchAddresses } from './mfs-floatd.js';
import { createMfsLab, unavailable, VIP, type MfsHost, type MfsLab } from './mfs-lab.js';
import { candidate, clusterView, healAll, split, startWitness } from './mfs-witness-lab.js';

const S1 = candidate(0);
const S2 = candidate(50);

describe.skipIf(unavailable !== undefined)(`MooseFS: the freshest node serves again after the standby fell behind${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let cs: MfsHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let w: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let masters: MasterWatch;
  let mounted: number[] = [];
  let before = '';
  let newest = 0; // m1's metadata version just before its host died
  const version = async (h: MfsHost) => Number((await lab.hook(h, 'metadata-version')).stdout.trim());

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2, prefix: 'mp' });
    [m1, m2, cs] = [lab.host('m1'), lab.host('m2'), lab.host('cs')];
    addresses = await watchAddresses(lab);
    masters = new MasterWatch(lab);
  });
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2, w]))));
  afterAll(async () => {
    masters?.stop();
    await stopAgents([a1, a2, w]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('m1 serves, m2 follows; cut off, m2\'s metalogger falls behind while m1 serves on; then m1\'s host dies', async () => {
    w = startWitness(lab, cs, 100);
    await w.waitFor('witness BACKUP', becomes('BACKUP'), { timeoutMs: 20_000 });
    lab.seed(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    expect((await lab.startChunkserver()).code).toBe(0);
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    mounted = mountPids(lab);
    await writeDataSet(lab, false);
    const caughtUp = await waitCaughtUp(lab, m2, m1);

    // m2 alone: it hears 1 of 3 voters and never claims; m1 keeps the witness's support and serves on.
    await split([[m1, cs, lab.host('cl')], [m2]]);
    for (let i = 0; i < 20; i++) await writeOne(lab, `while-m2-is-cut-${i}`);
    await waitUntil('m1\'s files hold the changes m2 missed', async () => (await version(m1)) > caughtUp + 20, { timeoutMs: 30_000, everyMs: 500 });
    before = await checksums(lab);
    newest = await version(m1);
    const behind = await version(m2);
    expect(behind).toBeLessThan(newest);
    // m1 dies after the witness heard its newest version (floatd reads --data-version every 3 s): a standby that
    // fell behind long before the master died. Changes made within the last reading are the documented limit.
    await waitUntil('the witness heard m1\'s newest version', async () => {
      const v = await clusterView(join(cs.dir, 'witness.sock'));
      return Number(v?.members.find((m) => m.address === m1.ip)?.dataVersion) >= newest;
    }, { timeoutMs: 20_000, everyMs: 250 });

    lab.kill(m1);
    await a1.exited;
    await healAll(lab); // m2 hears the witness again; m1's link stays down
  }, 180_000);

  it('m2 refuses to promote on its older metadata: the witness relays m1\'s newer version', async () => {
    const since = a2!.mark();
    await a2!.waitFor('m2 refuses', (l) => /reports metadata version \d+, newer than this node's \d+/.test(l.msg), { since, timeoutMs: 60_000 });
    expect(a2!.state).toBe('BACKUP');
    expect(packLines(a2!, since).some((l) => /restore: metadata reaches/.test(l))).toBe(false);
    expect(vipAddedOn(addresses)).toEqual(['m1']);
  }, 90_000);

  it('m1 comes back: its own files are the newest, it promotes and serves them; every file reads back and m2 follows', async () => {
    lab.reboot(m1);
    const back = performance.now();
    a1 = startFloatd(lab, m1, S1);
    // Its start-up kept its own master files and started a metalogger that finds no master; its version is its own.
    await a1.waitFor('m1 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    expect(packLines(a1)).toContainEqual(expect.stringMatching(/keep own master files: previous run ended as master/));
    const own = (await lab.hook(m1, 'metadata-version')).out;
    expect(own).toMatch(/own master files from this node's last mastership \(change \d+; no master served its metalogger since\)/);
    expect(Number(own.split('\n')[0])).toBeGreaterThanOrEqual(newest);

    await a1.waitFor('m1 serving', isServing, { timeoutMs: 60_000 });
    const steps = packLines(a1);
    expect(steps).toContainEqual(expect.stringMatching(/decision own: previous run ended as master/));
    const restored = Number(steps.map((l) => /restore: metadata reaches change (\d+)/.exec(l)?.[1]).find(Boolean));
    expect(restored).toBeGreaterThanOrEqual(newest);
    expect(vipAddedOn(addresses, back)).toEqual(['m1']);

    // Nothing lost: every file, including those m2 never saw, reads back through the same mount.
    expect(await checksums(lab, 90_000)).toBe(before);
    await writeOne(lab, 'after-m1-is-back', 60_000);
    expect(mountPids(lab)).toEqual(mounted);

    // The stale standby follows m1: still BACKUP, its metalogger catches up with m1's copy.
    await waitCaughtUp(lab, m2, m1, 60_000);
    expect(a2!.state).toBe('BACKUP');
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']);
    expect(addresses.overlaps(VIP)).toEqual([]);
    expect(masters.overlaps).toEqual([]);
    expect([...masters.seen]).toEqual(['m1']);
  }, 150_000);
});
