// The shared strategy with real MooseFS daemons (issue 7 §1, §4): one ext4 image (with "mmp") as the LUN, one
// loop device per master host, each host with its own mount namespace; hooks run as floatd would run them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksums, writeDataSet, writeOne } from './mfs-data.js';
import { createMfsLab, unavailable, type MfsHost, type MfsLab } from './mfs-lab.js';

const STARTUP = { FLOATD_PHASE: 'down', FLOATD_STATE: 'BACKUP', FLOATD_PREVIOUS_STATE: 'INIT', FLOATD_PREVIOUS_RUN: 'none', FLOATD_NEWER_EPOCH_SEEN: 'no', FLOATD_MAX_EPOCH: '0' };
const promote = (epoch: number, last = '') => ({ FLOATD_STATE: 'MASTER', FLOATD_PREVIOUS_STATE: 'BACKUP', FLOATD_EPOCH: String(epoch), FLOATD_MAX_EPOCH: String(epoch), FLOATD_LAST_MASTER: last });

describe.skipIf(unavailable !== undefined)(`MooseFS shared strategy${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2, shared: true });
    m1 = lab.host('m1');
    m2 = lab.host('m2');
    // The LUN gets a DATA_PATH owned by mfs and the package's empty metadata, as an operator seeds it.
    const lun = join(m1.dir, 'lun');
    const r = await lab.shell(m1, `mount ${m1.loop ?? ''} ${lun} && mkdir ${m1.data} && cp /var/lib/mfs/metadata.mfs.empty ${m1.data}/metadata.mfs && chown -R mfs:mfs ${m1.data} && umount ${lun}`);
    expect(r.code, r.out).toBe(0);
  }, 60_000);
  afterAll(() => {
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('the first master checks and mounts the LUN, starts mfsmaster and serves on the VIP', async () => {
    expect((await lab.phase(m1, 'down', STARTUP)).code).toBe(0);
    const prep = await lab.phase(m1, 'prepare', { ...STARTUP, FLOATD_PHASE: 'prepare', ...promote(1) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/fsck -p \/dev\/loop\d+: exit [01] \(\d+ ms\)/);
    expect(prep.out).toMatch(/mount \/dev\/loop\d+ at .*: ok \(\d+ ms\)/);
    await lab.addVip(m1);
    expect((await lab.phase(m1, 'up', promote(1))).code).toBe(0);
    expect((await lab.startChunkserver()).code).toBe(0);
    const m2down = await lab.phase(m2, 'down', { ...STARTUP, FLOATD_LAST_MASTER: m1.ip });
    expect(m2down.code, m2down.out).toBe(0);
    expect((await lab.mount()).code).toBe(0);
    await writeDataSet(lab, false);
    expect((await lab.hook(m1, 'check')).code).toBe(0);
  }, 120_000);

  it('with ext4 mmp, a standby refuses a LUN that is mounted and active on another host', async () => {
    const img = lab.mmpImage();
    const d1 = lab.loop(img);
    const d2 = lab.loop(img);
    const at1 = join(m1.dir, 'mmp');
    expect((await lab.shell(m1, `mkdir -p ${at1} && mount ${d1} ${at1}`, 60_000)).code).toBe(0);
    const env = `${m2.env}.mmp`;
    writeFileSync(env, readFileSync(m2.env, 'utf8').replace(/MFS_SHARED_DEVICE=.*/, `MFS_SHARED_DEVICE=${d2}`));
    const r = await lab.hook(m2, 'prepare.d/20-mount-shared', { FLOATD_PHASE: 'prepare', FLOATD_MFS_CONFIG: env, ...promote(2, m1.ip) }, 60_000);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED: (fsck -p .* exited \d+|mount .* exited \d+)/);
    expect((await lab.exec(m2, ['findmnt', '-rn', '-S', d2])).stdout).toBe('');
    await lab.shell(m1, `umount ${at1}`);
  }, 90_000);

  it('after a host death the standby fscks, mounts, restores from the LUN and serves every file', async () => {
    // What reached the LUN before the power loss: flushed here; with CHANGELOG_SAVE_MODE=0 later changes may be lost.
    expect((await lab.shell(m1, `sync -f ${m1.data}`)).code).toBe(0);
    const before = await checksums(lab);
    lab.kill(m1);
    await lab.shell(m1, `xfs_io -x -c shutdown ${join(m1.dir, 'lun')}; umount -l ${join(m1.dir, 'lun')}`);
    const facts = { FLOATD_PREVIOUS_RUN: 'none', FLOATD_NEWER_EPOCH_SEEN: 'no', FLOATD_LAST_MASTER_EPOCH: '1' };
    const gate = await lab.hook(m2, 'takeover-check', { ...facts, FLOATD_PHASE: 'takeover-check', FLOATD_LAST_MASTER: m1.ip, FLOATD_MAX_EPOCH: '1' });
    expect(gate.code, gate.out).toBe(0);
    const prep = await lab.phase(m2, 'prepare', { ...facts, ...promote(2, m1.ip) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/restore: metadata reaches change \d+/);
    await lab.addVip(m2);
    expect((await lab.phase(m2, 'up', promote(2, m1.ip))).code).toBe(0);
    expect(await checksums(lab, 90_000)).toBe(before);
    await writeOne(lab, 'after-failover', 60_000);
  }, 180_000);

  it('the down hooks stop mfsmaster, unmount the LUN and rejoin as metalogger', async () => {
    const down = await lab.phase(m2, 'down', { FLOATD_PHASE: 'down', FLOATD_STATE: 'BACKUP', FLOATD_PREVIOUS_STATE: 'MASTER', FLOATD_EPOCH: '2' });
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/stop mfsmaster .*: ok/);
    expect(down.out).toMatch(/unmount .*: ok/);
    expect(down.out).toMatch(/start mfsmetalogger .*: ok/);
    expect((await lab.exec(m2, ['findmnt', '-rn', '-S', m2.loop ?? ''])).stdout).toBe('');
  }, 60_000);
  it('a node refuses the LUN when it is already mounted at another place on the same host', async () => {
    const other = join(m2.dir, 'elsewhere');
    const r = await lab.shell(m2, `mkdir -p ${other} && mount ${m2.loop ?? ''} ${other}`);
    expect(r.code, r.out).toBe(0);
    const h = await lab.hook(m2, 'prepare.d/20-mount-shared', { FLOATD_PHASE: 'prepare', ...promote(2, m1.ip) });
    await lab.shell(m2, `umount ${other}`);
    expect(h.code).not.toBe(0);
    expect(h.out).toMatch(/is already mounted at ".*elsewhere"/);
  }, 60_000);

});
