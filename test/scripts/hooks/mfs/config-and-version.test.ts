// The pack's config rules that need no daemons: shared storage without fencing is refused, one validation serves a
// whole promotion (and no more), and metadata-version reports the newest copy a restore could use — an old master's
// own files count until a master serves its metalogger again.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACK, unavailable } from '../../../e2e/mfs-lab.js';

let dir: string;
let data: string;
const mfs = () => Number(spawnSync('id', ['-u', 'mfs'], { encoding: 'utf8' }).stdout.trim());

function run(hook: string, env: Record<string, string> = {}) {
  const r = spawnSync(join(PACK, hook), [], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', FLOATD_MFS_CONFIG: join(dir, 'mfs.env'), FLOATD_MFS_CACHE_DIR: join(dir, 'run'), ...env } });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

function config(lines: string[]) {
  writeFileSync(join(dir, 'mfs.env'), lines.join('\n') + '\n');
}

const metalogger = () => ['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`];

// A DATA_PATH file with change ids FROM..TO (a changelog), written SECONDS ago.
function changelog(name: string, from: number, to: number, seconds: number) {
  const lines = [];
  for (let i = from; i <= to; i++) lines.push(`${i}: 1796146306|ACCESS(${i})`);
  writeFileSync(join(data, name), lines.join('\n') + '\n');
  age(name, seconds);
}

function age(name: string, seconds: number) {
  const t = Date.now() / 1000 - seconds;
  utimesSync(join(data, name), t, t);
}

describe.skipIf(unavailable !== undefined)(`MooseFS pack config, cache and data version${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mpcv-'));
    chmodSync(dir, 0o755);
    data = join(dir, 'data');
    mkdirSync(data);
    chownSync(data, mfs(), mfs());
    writeFileSync(join(dir, 'master.cfg'), `DATA_PATH = ${data}\n`);
    writeFileSync(join(dir, 'ml.cfg'), `DATA_PATH = ${data}\nMASTER_HOST = 203.0.113.100\n`);
    config(metalogger());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('MFS_STRATEGY=shared without fencing is refused, naming the keys and what to set', () => {
    const shared = ['MFS_STRATEGY=shared', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, 'MFS_SHARED_DEVICE=/dev/nonexistent-lun', `MFS_SHARED_MOUNT=${dir}`];
    config(shared);
    const none = run('down.d/00-validate');
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/MFS_STRATEGY=shared needs fencing, but MFS_SHARED_FENCING is not set — .*floatd with --fence and set MFS_SHARED_FENCING=floatd, or .*mkfs\.ext4 -O mmp.* and set MFS_SHARED_FENCING=mmp/);
    config([...shared, 'MFS_SHARED_FENCING=stonith']);
    expect(run('down.d/00-validate').out).toMatch(/MFS_SHARED_FENCING must be floatd or mmp, got "stonith"/);
    // Declared: only the missing device is left to report.
    config([...shared, 'MFS_SHARED_FENCING=floatd']);
    const declared = run('down.d/00-validate');
    expect(declared.out).not.toMatch(/MFS_SHARED_FENCING/);
    expect(declared.out).toMatch(/MFS_SHARED_DEVICE is not a block device: "\/dev\/nonexistent-lun"/);
    // Declared, but the floatd that runs the hook has no --fence: refused, naming both.
    const unfenced = run('down.d/00-validate', { FLOATD_PHASE: 'down', FLOATD_EPOCH: '1', FLOATD_FENCE: '' });
    expect(unfenced.out).toMatch(/MFS_SHARED_FENCING=floatd, but this floatd runs without --fence \(FLOATD_FENCE is empty\)/);
    const fenced = run('down.d/00-validate', { FLOATD_PHASE: 'down', FLOATD_EPOCH: '1', FLOATD_FENCE: '/etc/floatd/fence-peer' });
    expect(fenced.out).not.toMatch(/MFS_SHARED_FENCING/);
  });

  it('one validation serves the hooks of one promotion; a new epoch, a release or an edited config validates again', () => {
    const promote = (epoch: string, phase = 'prepare') => run('prepare.d/40-start-master', { FLOATD_PHASE: phase, FLOATD_EPOCH: epoch, MFS_START_TIMEOUT: '1' });
    // Validated at epoch 5 (mfsmaster runs: nothing to start, so the hook only loads the config).
    writeFileSync(join(dir, 'live'), '#!/bin/sh\necho "mfsmaster pid: 4242" >&2\n', { mode: 0o755 });
    config([...metalogger(), `MFS_MASTER_BIN=${dir}/live`]);
    expect(promote('5', 'takeover-check').code).toBe(0);
    // DATA_PATH loses its owner: the rest of epoch 5's promotion uses what was validated…
    chownSync(data, 0, 0);
    const same = promote('5');
    expect(same.code, same.out).toBe(0);
    expect(same.out).toMatch(/already running/);
    // …a new promotion, a release of the same epoch, or a changed config see it.
    for (const r of [promote('6'), promote('5', 'down')]) expect(r.out).toMatch(/DATA_PATH in .*master\.cfg \(".*data"\) is owned by "root", not WORKING_USER "mfs"/);
    chownSync(data, mfs(), mfs());
    expect(promote('7').code).toBe(0);
    config([...metalogger(), `MFS_MASTER_BIN=${dir}/live`, 'MFS_STOP_TIMEOUT=later']);
    expect(promote('7').out).toMatch(/MFS_STOP_TIMEOUT must be a whole number, got "later"/);
  });

  it('metadata-version counts an old master\'s own files until a master serves its metalogger again', () => {
    // The old master crashed at change 900 (its own files); its start-up archived its stale metalogger files and
    // started a metalogger that found no master: no metadata copy yet. It is the freshest node.
    writeFileSync(join(data, 'metadata.mfs.back'), Buffer.concat([Buffer.from('MFSM 2.0'), Buffer.from([0, 0, 0, 0, 0, 0, 3, 0x20])]));
    age('metadata.mfs.back', 120);
    changelog('changelog.0.mfs', 801, 900, 60);
    const crashed = run('metadata-version');
    expect(crashed.stdout, crashed.out).toBe('900\n');
    expect(crashed.out).toMatch(/own master files from this node's last mastership \(change 900; no master served its metalogger since\)/);
    // Changelogs without a metadata copy give nothing to restore from: they do not count.
    changelog('changelog_ml.0.mfs', 901, 950, 30);
    expect(run('metadata-version').stdout).toBe('900\n');
    // A master served its metalogger (a metadata copy newer than the own files): the node follows that master, and
    // its own files are superseded (or another history): only the metalogger's copy counts.
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    age('metadata_ml.mfs.back', 10);
    const following = run('metadata-version');
    expect(following.stdout).toBe('950\n');
    changelog('changelog_ml.0.mfs', 401, 450, 5);
    expect(run('metadata-version').stdout).toBe('450\n');
  });

  it('metadata-version counts the archive of the last graceful mastership until a master serves the metalogger', () => {
    const arch = join(data, 'floatd-archive-20261207T100000.000Z');
    mkdirSync(arch);
    writeFileSync(join(arch, 'floatd-archive.info'), 'reason=demoted\nversion=700\nepoch=4\n');
    utimesSync(join(arch, 'floatd-archive.info'), Date.now() / 1000 - 60, Date.now() / 1000 - 60);
    expect(run('metadata-version').stdout).toBe('700\n');
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    changelog('changelog_ml.0.mfs', 1, 20, 0);
    expect(run('metadata-version').stdout).toBe('20\n');
  });
});
