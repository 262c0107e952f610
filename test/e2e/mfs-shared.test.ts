// The shared strategy driven by real floatd agents: one ext4 image as the LUN, one loop device per
// master host, each host with its own mount namespace; m1 (-k 0) and m2 (-k 50) run floatd with the pack. The
// LUN-refusal rules (mmp, a device mounted elsewhere) run the hook directly on a second, mmp-formatted LUN.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AddressMonitor, AgentProcess } from '../support/netns.js';
import { checksums, chunkservers, mountPids, writeDataSet, writeOne } from './mfs-data.js';
import { agentReport, becomes, daemons, isServing, labFence, MasterWatch, packLines, startFloatd, stopAgents, vipAddedOn, watchAddresses, type FloatdSpec } from './mfs-floatd.js';
import { createMfsLab, unavailable, type MfsHost, type MfsLab } from './mfs-lab.js';

// Both with floatd --fence (the lab's fence: the config's MFS_SHARED_FENCING=floatd says it is there).
let S1: FloatdSpec;
let S2: FloatdSpec;
const promote = (epoch: number, last: string) => ({ FLOATD_PHASE: 'prepare', FLOATD_STATE: 'MASTER', FLOATD_PREVIOUS_STATE: 'BACKUP', FLOATD_EPOCH: String(epoch), FLOATD_MAX_EPOCH: String(epoch), FLOATD_LAST_MASTER: last });

describe.skipIf(unavailable !== undefined)(`MooseFS shared strategy under floatd${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let masters: MasterWatch;
  let mounted: number[] = [];

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2, shared: true });
    m1 = lab.host('m1');
    m2 = lab.host('m2');
    addresses = await watchAddresses(lab);
    masters = new MasterWatch(lab);
    S1 = { advbase: 0.3, advskew: 0, extra: ['--fence', labFence(lab)] };
    S2 = { advbase: 0.3, advskew: 50, extra: ['--fence', labFence(lab)] };
    const r = await lab.seedShared(m1);
    expect(r.code, r.out).toBe(0);
  }, 60_000);
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2]))));
  afterAll(async () => {
    masters?.stop();
    await stopAgents([a1, a2]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('the first master under floatd checks and mounts the LUN, starts mfsmaster and serves on the VIP; the standby joins', async () => {
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    expect(packLines(a1)).toEqual(expect.arrayContaining([expect.stringMatching(/fsck -p \/dev\/loop\d+: exit [01] \(\d+ ms\)/), expect.stringMatching(/mount \/dev\/loop\d+ at .*: ok \(\d+ ms\)/)]));
    expect((await lab.startChunkserver()).code).toBe(0);
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    mounted = mountPids(lab);
    await writeDataSet(lab, true);
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']);
  }, 180_000);

  it('with ext4 mmp, a standby refuses a LUN that is mounted and active on another host, and one mounted elsewhere on its own host', async () => {
    const img = lab.mmpImage();
    const d1 = lab.loop(img);
    const d2 = lab.loop(img);
    const at1 = join(m1.dir, 'mmp');
    expect((await lab.shell(m1, `mkdir -p ${at1} && mount ${d1} ${at1}`, 60_000)).code).toBe(0);
    const env = `${m2.env}.mmp`;
    writeFileSync(env, readFileSync(m2.env, 'utf8').replace(/MFS_SHARED_DEVICE=.*/, `MFS_SHARED_DEVICE=${d2}`).replace(/MFS_SHARED_FENCING=.*/, 'MFS_SHARED_FENCING=mmp'));
    // MFS_SHARED_FENCING=mmp is checked in the LUN's superblock: accepted on this LUN, refused on the lab's plain one.
    const mmpOk = await lab.hook(m2, 'down.d/00-validate', { FLOATD_MFS_CONFIG: env });
    expect(mmpOk.code, mmpOk.out).toBe(0);
    const plain = `${m2.env}.plain`;
    writeFileSync(plain, readFileSync(m2.env, 'utf8').replace(/MFS_SHARED_FENCING=.*/, 'MFS_SHARED_FENCING=mmp'));
    const refused = await lab.hook(m2, 'down.d/00-validate', { FLOATD_MFS_CONFIG: plain });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/MFS_SHARED_FENCING=mmp, but the filesystem on MFS_SHARED_DEVICE="\/dev\/loop\d+" has no mmp feature/);
    const r = await lab.hook(m2, 'prepare.d/20-mount-shared', { FLOATD_MFS_CONFIG: env, ...promote(2, m1.ip) }, 60_000);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED: (fsck -p .* exited \d+|mount .* exited \d+)/);
    expect((await lab.exec(m2, ['findmnt', '-rn', '-S', d2])).stdout).toBe('');
    expect((await lab.shell(m1, `umount ${at1}`)).code).toBe(0);

    const other = join(m2.dir, 'elsewhere');
    expect((await lab.shell(m2, `mkdir -p ${other} && mount ${d2} ${other}`, 60_000)).code).toBe(0);
    const h = await lab.hook(m2, 'prepare.d/20-mount-shared', { FLOATD_MFS_CONFIG: env, ...promote(2, m1.ip) });
    await lab.shell(m2, `umount ${other}`);
    expect(h.code).not.toBe(0);
    expect(h.out).toMatch(/is already mounted at ".*elsewhere"/);
  }, 120_000);

  it('a host death of the master: m2 fscks, mounts and restores the LUN, the chunkserver re-registers, the client carries on with every file', async () => {
    await writeOne(lab, 'just-before-crash');
    const before = await checksums(lab);
    const since = a2!.mark();
    const died = performance.now();
    lab.kill(m1);
    // The power loss: what the kernel had not written to the LUN is gone (xfs_io shutdown works on ext4).
    await lab.shell(m1, `xfs_io -x -c shutdown ${join(m1.dir, 'lun')}; umount -l ${join(m1.dir, 'lun')}`);
    await a1!.exited;
    await a2!.waitFor('m2 serving', isServing, { since, timeoutMs: 30_000 });
    // m2 fenced m1 (floatd --fence, after its takeover check) before it mounted the LUN.
    expect(readFileSync(join(lab.dir, 'fenced'), 'utf8')).toBe(`${m1.ip}\n`);
    const steps = packLines(a2!, since);
    expect(steps).toEqual(expect.arrayContaining([expect.stringMatching(/fsck -p \/dev\/loop\d+: exit [01]/), expect.stringMatching(/mount \/dev\/loop\d+ at .*: ok/), expect.stringMatching(/restore: metadata reaches change \d+/)]));
    expect(vipAddedOn(addresses, died)).toEqual(['m2']);
    expect(await chunkservers(lab)).toContain(lab.host('cs').ip);
    expect(await checksums(lab, 90_000)).toBe(before);
    await writeOne(lab, 'after-failover', 60_000);
    expect(mountPids(lab)).toEqual(mounted);
  }, 180_000);

  it('fails back: m1 restarts and rejoins as metalogger; a graceful stop of m2 (-z) unmounts the LUN and m1 serves it again with every file', async () => {
    lab.reboot(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    await a1.waitFor('m1 BACKUP', becomes('BACKUP'), { timeoutMs: 10_000 });
    const before = await checksums(lab);
    const since = a1.mark();
    a2!.kill('SIGTERM');
    expect((await a2!.exited).code).toBe(0);
    await a1.waitFor('m1 serving again', isServing, { since, timeoutMs: 30_000 });
    expect(packLines(a2!)).toEqual(expect.arrayContaining([expect.stringMatching(/stop mfsmaster .*: ok/), expect.stringMatching(/unmount .*: ok/), expect.stringMatching(/start mfsmetalogger .*: ok/)]));
    expect((await lab.exec(m2, ['findmnt', '-rn', '-S', m2.loop ?? ''])).stdout).toBe('');
    expect(await checksums(lab, 90_000)).toBe(before);
    expect(mountPids(lab)).toEqual(mounted);
    expect(masters.overlaps).toEqual([]);
    expect(masters.most).toBe(1);
  }, 180_000);
});
