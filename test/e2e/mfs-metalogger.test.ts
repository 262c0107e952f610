// The metalogger strategy with real MooseFS daemons (issue 7 §1, §3, §4): the pack's hooks run as floatd would
// run them (FLOATD_* set by hand, no agent), a client mounted through the VIP checks every file by sha256.
// One lab, steps in order: each test builds on the cluster the previous one left.
import { readdirSync, readFileSync, truncateSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksums, writeDataSet, writeOne } from './mfs-data.js';
import { createMfsLab, unavailable, type MfsHost, type MfsLab } from './mfs-lab.js';

const STARTUP = { FLOATD_PHASE: 'down', FLOATD_STATE: 'BACKUP', FLOATD_PREVIOUS_STATE: 'INIT', FLOATD_REASON: 'starting' };
const FRESH = { FLOATD_PREVIOUS_RUN: 'none', FLOATD_PREVIOUS_RUN_EPOCH: '', FLOATD_NEWER_EPOCH_SEEN: 'no', FLOATD_MAX_EPOCH: '0', FLOATD_LAST_MASTER: '', FLOATD_LAST_MASTER_EPOCH: '' };
const promote = (epoch: number) => ({ FLOATD_STATE: 'MASTER', FLOATD_PREVIOUS_STATE: 'BACKUP', FLOATD_EPOCH: String(epoch), FLOATD_MAX_EPOCH: String(epoch) });

const files = (dir: string) => readdirSync(dir).sort();

describe.skipIf(unavailable !== undefined)(`MooseFS metalogger strategy${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let before = '';

  beforeAll(() => {
    lab = createMfsLab({ masters: 2 });
    m1 = lab.host('m1');
    m2 = lab.host('m2');
  });
  afterAll(() => {
    const left = lab?.teardown() ?? [];
    expect(left).toEqual([]);
  });

  it('a standby whose metalogger holds nothing refuses to promote and says what is missing', async () => {
    const r = await lab.phase(m2, 'prepare', { ...FRESH, ...promote(1), FLOATD_LAST_MASTER: m1.ip });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED: refusing to promote: the metalogger holds nothing to restore in .*metadata_ml/);
    expect(lab.pids(m2)).toEqual([]);
    expect(files(m2.data).filter((f) => !f.startsWith('.'))).toEqual([]); // `mfsmaster test` leaves only its lock
  });

  it('a freshly seeded cluster starts: startup down hooks keep the seed, prepare starts it, up checks the VIP', async () => {
    lab.seed(m1);
    const down = await lab.phase(m1, 'down', { ...STARTUP, ...FRESH });
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/keep own master files: first run/);
    const prep = await lab.phase(m1, 'prepare', { ...FRESH, ...promote(1) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/seeded metadata.mfs .* nothing to restore/);
    expect(prep.out).toMatch(/mfsmaster serving on 127.0.0.1 .*: ok \(\d+ ms\)/);
    await lab.addVip(m1);
    const up = await lab.phase(m1, 'up', { ...FRESH, ...promote(1) });
    expect(up.code, up.out).toBe(0);
    expect((await lab.startChunkserver()).code).toBe(0);
    const m2down = await lab.phase(m2, 'down', { ...STARTUP, ...FRESH, FLOATD_LAST_MASTER: m1.ip, FLOATD_LAST_MASTER_EPOCH: '1', FLOATD_MAX_EPOCH: '1' });
    expect(m2down.code, m2down.out).toBe(0);
    expect(m2down.out).toMatch(/start mfsmetalogger .*: ok/);
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
  });

  it('check and metadata-version tell the serving master from the standby', async () => {
    await writeDataSet(lab, true);
    before = await checksums(lab);
    expect(before.split('\n').filter((l) => / {2}\.\//.test(l)).length).toBeGreaterThan(190);
    expect((await lab.hook(m1, 'check')).code).toBe(0);
    const c2 = await lab.hook(m2, 'check');
    expect(c2.code).toBe(1);
    expect(c2.out).toMatch(/mfsmaster is not running/);
    // The standby's metalogger catches up with the master's changelog (streamed as it is written).
    let v1 = 0;
    let v2 = -1;
    for (let i = 0; i < 100 && v1 !== v2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      v1 = Number((await lab.hook(m1, 'metadata-version')).stdout.trim());
      v2 = Number((await lab.hook(m2, 'metadata-version')).stdout.trim());
    }
    expect(v1).toBeGreaterThan(200);
    expect(v2).toBe(v1);
  }, 120_000);

  it('after a host death the standby refuses a cut changelog, then promotes from its metalogger with every file intact', async () => {
    await writeOne(lab, 'just-before-crash');
    await new Promise((r) => setTimeout(r, 500)); // the metalogger streams changes as they happen
    before = await checksums(lab);
    lab.kill(m1);
    const facts = { ...FRESH, FLOATD_LAST_MASTER: m1.ip, FLOATD_LAST_MASTER_EPOCH: '1', FLOATD_MAX_EPOCH: '1' };
    const gate = await lab.hook(m2, 'takeover-check', { ...facts, FLOATD_PHASE: 'takeover-check', FLOATD_STATE: 'BACKUP' });
    expect(gate.code, gate.out).toBe(0);

    // A changelog cut mid-line: restore would exit 0 on older metadata. Refuse, start nothing.
    const cl = join(m2.data, 'changelog_ml.0.mfs');
    const saved = join(m2.dir, 'changelog.saved');
    const stop = await lab.hook(m2, 'prepare.d/10-stop-metalogger', { ...facts, ...promote(2), FLOATD_PHASE: 'prepare' });
    expect(stop.code, stop.out).toBe(0);
    copyFileSync(cl, saved);
    truncateSync(cl, statSync(cl).size - 7);
    const cut = await lab.phase(m2, 'prepare', { ...facts, ...promote(2) });
    expect(cut.code).not.toBe(0);
    expect(cut.out).toMatch(/changelog .*changelog_ml.0.mfs ends in a cut line/);
    expect(lab.pids(m2)).toEqual([]);
    copyFileSync(saved, cl);

    const prep = await lab.phase(m2, 'prepare', { ...facts, ...promote(2) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/decision metalogger/);
    expect(prep.out).toMatch(/restore: metadata reaches change \d+ \(needed \d+\)/);
    await lab.addVip(m2);
    const up = await lab.phase(m2, 'up', { ...facts, ...promote(2) });
    expect(up.code, up.out).toBe(0);
    expect(await checksums(lab, 90_000)).toBe(before);
    await writeOne(lab, 'after-failover', 60_000);
  }, 180_000);

  it('the dead master restarts as a replaced node: its master files go to an archive, it rejoins as metalogger', async () => {
    const own = files(m1.data).filter((f) => /^(metadata\.mfs|changelog\.\d+\.mfs)/.test(f));
    expect(own.length).toBeGreaterThan(0);
    lab.heal(m1);
    lab.delVip(m1); // the reboot took its address
    const down = await lab.phase(m1, 'down', { ...STARTUP, FLOATD_PREVIOUS_RUN: 'master', FLOATD_PREVIOUS_RUN_EPOCH: '1', FLOATD_NEWER_EPOCH_SEEN: 'yes', FLOATD_MAX_EPOCH: '2', FLOATD_LAST_MASTER: m2.ip, FLOATD_LAST_MASTER_EPOCH: '2' });
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/archive own master files \(previous run master, newer epoch seen: yes, own change \d+, local metalogger copy 0\)/);
    const archives = files(m1.data).filter((f) => f.startsWith('floatd-archive-'));
    expect(archives).toHaveLength(1);
    const kept = files(join(m1.data, archives[0] ?? ''));
    for (const f of own) expect(kept).toContain(f); // archiving never deletes
    expect(readFileSync(join(m1.data, archives[0] ?? '', 'floatd-archive.info'), 'utf8')).toMatch(/reason=replaced/);
    expect(files(m1.data).filter((f) => /^(metadata\.mfs|changelog\.\d+\.mfs)/.test(f))).toEqual([]);
    expect(down.out).toMatch(/start mfsmetalogger .*: ok/);
  }, 60_000);

  it('fails back gracefully: the master demotes (archive "demoted"), the old master restores from its fresh metalogger copy', async () => {
    let v1 = 0;
    const v2 = Number((await lab.hook(m2, 'metadata-version')).stdout.trim());
    for (let i = 0; i < 100 && v1 < v2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      v1 = Number((await lab.hook(m1, 'metadata-version')).stdout.trim());
    }
    expect(v1).toBeGreaterThanOrEqual(v2);
    const now = await checksums(lab);
    const demote = { ...FRESH, FLOATD_PHASE: 'down', FLOATD_STATE: 'BACKUP', FLOATD_PREVIOUS_STATE: 'MASTER', FLOATD_EPOCH: '2', FLOATD_MAX_EPOCH: '2' };
    const down = await lab.phase(m2, 'down', demote);
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/stop mfsmaster .*: ok \(\d+ ms\)/);
    expect(down.out).toMatch(/archive master files after mastership \(epoch 2\)/);
    lab.delVip(m2);
    const facts = { FLOATD_PREVIOUS_RUN: 'master', FLOATD_PREVIOUS_RUN_EPOCH: '1', FLOATD_NEWER_EPOCH_SEEN: 'yes', FLOATD_LAST_MASTER: m2.ip, FLOATD_LAST_MASTER_EPOCH: '2' };
    const gate = await lab.hook(m1, 'takeover-check', { ...facts, FLOATD_PHASE: 'takeover-check', FLOATD_STATE: 'BACKUP', FLOATD_MAX_EPOCH: '2' });
    expect(gate.code, gate.out).toBe(0);
    const prep = await lab.phase(m1, 'prepare', { ...facts, ...promote(3) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/decision metalogger: no own master files/);
    await lab.addVip(m1);
    expect((await lab.phase(m1, 'up', { ...facts, ...promote(3) })).code).toBe(0);
    expect(await checksums(lab, 90_000)).toBe(now);
  }, 180_000);

  it('takeover-check refuses while a master still answers at the last master address (agent-only death)', async () => {
    const gate = await lab.hook(m2, 'takeover-check', { ...FRESH, FLOATD_PHASE: 'takeover-check', FLOATD_STATE: 'BACKUP', FLOATD_LAST_MASTER: m1.ip, FLOATD_MAX_EPOCH: '3' });
    expect(gate.code).not.toBe(0);
    expect(gate.out).toMatch(/still answers ARP for the VIP|still accepts connections at the last master's address/);
  });

  it('a last master that crashed and restarts alone (the standby refused) keeps and serves its own newer data', async () => {
    const m2stop = await lab.hook(m2, 'prepare.d/10-stop-metalogger', { FLOATD_PHASE: 'prepare' }); // a standby that cannot follow
    expect(m2stop.code, m2stop.out).toBe(0);
    await writeOne(lab, 'only-on-the-last-master');
    const now = await checksums(lab);
    lab.kill(m1);
    lab.delVip(m1);
    lab.heal(m1);
    const facts = { FLOATD_PREVIOUS_RUN: 'master', FLOATD_PREVIOUS_RUN_EPOCH: '3', FLOATD_NEWER_EPOCH_SEEN: 'no', FLOATD_LAST_MASTER: '', FLOATD_LAST_MASTER_EPOCH: '' };
    const down = await lab.phase(m1, 'down', { ...STARTUP, ...facts, FLOATD_MAX_EPOCH: '3' });
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/keep own master files: previous run ended as master \(epoch 3\)/);
    const prep = await lab.phase(m1, 'prepare', { ...facts, ...promote(4) });
    expect(prep.code, prep.out).toBe(0);
    expect(prep.out).toMatch(/decision own:/);
    await lab.addVip(m1);
    expect((await lab.phase(m1, 'up', { ...facts, ...promote(4) })).code).toBe(0);
    expect(await checksums(lab, 90_000)).toBe(now);
  }, 120_000);
});
