// The pack's checks that need no daemons: config validation as the startup down hooks and install run
// it, the archive keep rule, and whose metadata a promotion picks (lib/mfs-decide.sh) over hand-made DATA_PATHs.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACK, unavailable } from './mfs-lab.js';

let dir: string;
let data: string;
const mfs = Number(spawnSync('id', ['-u', 'mfs'], { encoding: 'utf8' }).stdout.trim() || '0');

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', FLOATD_MFS_CONFIG: join(dir, 'mfs.env'), FLOATD_MFS_CACHE_DIR: join(dir, 'run'), ...env } });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

function config(lines: string[]) {
  writeFileSync(join(dir, 'mfs.env'), lines.join('\n') + '\n');
}

// Runs lib functions in a shell that sourced the pack's library with the lab config.
function lib(script: string, env: Record<string, string> = {}) {
  return run('bash', ['-c', `set -eu; MFS_HOOK=test; . ${PACK}lib/mfs-common.sh; mfs_load_config; ${script}`], env);
}

// A stand-in for mfsmaster/mfsmetalogger (APP) whose `test` answers as MooseFS 3.0 does for a running or a stopped
// daemon (mfscommon/main.c: "APP pid: N" exit 0, or "APP is not running" and a NUL byte, exit 1).
export function stub(at: string, app: 'mfsmaster' | 'mfsmetalogger', state: 'running' | 'stopped'): string {
  const path = join(at, `${app}-${state}`);
  const say = state === 'running' ? `echo "${app} pid: 4242" >&2; exit 0` : `printf '${app} is not running\\n\\0' >&2; exit 1`;
  writeFileSync(path, `#!/bin/sh\n${say}\n`, { mode: 0o755 });
  return path;
}

// Sets a DATA_PATH file's times SECONDS back (which copy came after which is read from the files' times).
function age(name: string, seconds: number) {
  const t = Date.now() / 1000 - seconds;
  utimesSync(join(data, name), t, t);
}

// A changelog file with change ids FROM..TO.
function changelog(name: string, from: number, to: number) {
  const lines = [];
  for (let i = from; i <= to; i++) lines.push(`${i}: 1796146306|ACCESS(${i})`);
  writeFileSync(join(data, name), lines.join('\n') + '\n');
}

describe.skipIf(unavailable !== undefined)(`MooseFS pack config and rules${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfscfg-'));
    chmodSync(dir, 0o755); // mfsmaster's `test` runs as WORKING_USER and must reach DATA_PATH
    data = join(dir, 'data');
    mkdirSync(data);
    chownSync(data, mfs, mfs);
    writeFileSync(join(dir, 'master.cfg'), `DATA_PATH = ${data}\n`);
    writeFileSync(join(dir, 'ml.cfg'), `DATA_PATH = ${data}\nMASTER_HOST = 203.0.113.100\n`);
    config(['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`, 'MFS_ARCHIVE_KEEP=2']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('install validates the config and names every bad key with its value', () => {
    config(['MFS_STRATEGY=drbd', 'MFS_SERVICE=init.d', `MFS_MASTER_CFG=${dir}/missing.cfg`, 'MFS_STOP_TIMEOUT=soon']);
    const r = run(join(PACK, 'install'), [join(dir, 'prefix')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/MFS_STRATEGY must be metalogger or shared, got "drbd"/);
    expect(r.out).toMatch(/MFS_SERVICE must be systemd or direct, got "init.d"/);
    expect(r.out).toMatch(/MFS_STOP_TIMEOUT must be a whole number, got "soon"/);
    expect(r.out).toMatch(/MFS_MASTER_CFG names a missing file: ".*missing.cfg"/);
    expect(existsSync(join(dir, 'prefix'))).toBe(false);
  });

  it('the startup down hooks refuse a DATA_PATH not owned by WORKING_USER and a missing shared device', () => {
    chownSync(data, 0, 0);
    const r = run(join(PACK, 'down.d/00-validate'), []);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/DATA_PATH in .*master.cfg \(".*data"\) is owned by "root", not WORKING_USER "mfs"/);
    config(['MFS_STRATEGY=shared', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, 'MFS_SHARED_DEVICE=/dev/nonexistent-lun', `MFS_SHARED_MOUNT=${dir}`]);
    const s = run(join(PACK, 'down.d/00-validate'), []);
    expect(s.code).toBe(1);
    expect(s.out).toMatch(/MFS_SHARED_DEVICE is not a block device: "\/dev\/nonexistent-lun"/);
  });

  it('install copies the pack to a prefix when the config is valid', () => {
    const r = run(join(PACK, 'install'), [join(dir, 'prefix')]);
    expect(r.code, r.out).toBe(0);
    expect(readdirSync(join(dir, 'prefix')).sort()).toEqual(['check', 'down.d', 'install', 'lib', 'metadata-version', 'prepare.d', 'released.d', 'takeover-check', 'up.d']);
    expect(r.out).toMatch(/--takeover-check .*takeover-check/);
  });

  it('metadata-version prints the newest change id a restore could use, here the metalogger\'s copy', () => {
    changelog('changelog.0.mfs', 10, 40);
    changelog('changelog_ml.0.mfs', 30, 57);
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    const r = run(join(PACK, 'metadata-version'), []);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toBe('57\n');
  });

  it('metadata-version counts only the live copy: the metalogger\'s files while it runs, the master\'s while it runs', () => {
    // Own master files from an earlier mastership (change 90) beside a metalogger still catching up (change 57):
    // counting them made a standby look caught up before its metalogger had fetched the new master's copy.
    changelog('changelog.0.mfs', 10, 90);
    age('changelog.0.mfs', 60);
    changelog('changelog_ml.0.mfs', 30, 57);
    // The metalogger downloaded a master's metadata after those files were written: another master served since.
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    const base = ['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`];
    config([...base, `MFS_METALOGGER_BIN=${stub(dir, 'mfsmetalogger', 'running')}`]);
    const ml = run(join(PACK, 'metadata-version'), []);
    expect(ml.stdout, ml.out).toBe('57\n');
    expect(ml.out).toMatch(/newest change id 57 from 2 file\(s\) \(no mfsmaster here: the metalogger's copy \(change 57\)\)/);
    config([...base, `MFS_MASTER_BIN=${stub(dir, 'mfsmaster', 'running')}`]);
    expect(run(join(PACK, 'metadata-version'), []).stdout).toBe('90\n');
    config(base);
    expect(run(join(PACK, 'metadata-version'), []).stdout).toBe('57\n');
  });

  it('takeover-check skips its probes after an authenticated resign, runs them when the master went silent, and names a broken arping', () => {
    changelog('changelog_ml.0.mfs', 1, 20);
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    // Nothing listens on this loopback port: the connect probe is refused at once.
    config(['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`]);
    writeFileSync(join(dir, 'master.cfg'), `DATA_PATH = ${data}\nMATOCL_LISTEN_PORT = 1\n`);
    const facts = { FLOATD_INTERFACE: 'nosuchif0', FLOATD_VIP: '203.0.113.100', FLOATD_LAST_MASTER: '127.0.0.1', FLOATD_PREVIOUS_RUN: 'none' };
    const resigned = run(join(PACK, 'takeover-check'), [], { ...facts, FLOATD_CLAIM: 'resigned' });
    expect(resigned.code, resigned.out).toBe(0);
    expect(resigned.out).toMatch(/probes skipped: the master 127\.0\.0\.1 resigned/);
    expect(resigned.out).toMatch(/metadata ok: metalogger/);
    // Silent: both probes run; arping cannot use the interface, and that is said, not taken for "nobody answers".
    const silent = run(join(PACK, 'takeover-check'), [], { ...facts, FLOATD_CLAIM: 'silent' });
    expect(silent.code).toBe(1);
    expect(silent.out).toMatch(/arping -D -I nosuchif0 203\.0\.113\.100 exited \d+ — check that arping \(iputils\) is installed and nosuchif0 exists/);
    expect(silent.out).toMatch(/no MooseFS master at last master 127\.0\.0\.1:1 within 300 ms \(\d+ ms\)/);
    config(['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`, 'MFS_PROBE_WAIT_MS=0.3']);
    const typo = run(join(PACK, 'takeover-check'), [], { ...facts, FLOATD_CLAIM: 'silent' });
    expect(typo.code).toBe(1);
    expect(typo.out).toMatch(/MFS_PROBE_WAIT_MS must be a whole number, got "0\.3"/);
  });

  it('takeover-check logs the data versions floatd heard and refuses while a live peer reports a strictly newer one than its live copy', () => {
    changelog('changelog_ml.0.mfs', 1, 20);
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    // Nothing listens on this loopback port: the connect probe is refused at once. No daemon runs.
    writeFileSync(join(dir, 'master.cfg'), `DATA_PATH = ${data}\nMATOCL_LISTEN_PORT = 1\n`);
    const base = ['MFS_STRATEGY=metalogger', 'MFS_SERVICE=direct', `MFS_MASTER_CFG=${dir}/master.cfg`, `MFS_METALOGGER_CFG=${dir}/ml.cfg`];
    config(base);
    // No interface and VIP: only the connect probe runs when the master went silent.
    const facts = { FLOATD_INTERFACE: '', FLOATD_VIP: '', FLOATD_LAST_MASTER: '127.0.0.1', FLOATD_PREVIOUS_RUN: 'none', FLOATD_SRCIP: '203.0.113.12' };
    const check = (versions: string | undefined, claim = 'resigned') => run(join(PACK, 'takeover-check'), [], { ...facts, FLOATD_CLAIM: claim, ...(versions === undefined ? {} : { FLOATD_DATA_VERSIONS: versions }) });

    const newer = check('203.0.113.12=20 203.0.113.11=35 203.0.113.13=?');
    expect(newer.code).toBe(1);
    expect(newer.out).toMatch(/data versions seen: 203\.0\.113\.12=20 203\.0\.113\.11=35 203\.0\.113\.13=\?; this node's copy: change 20 \(no mfsmaster here: the metalogger's copy \(change 20\)\) \(\d+ ms\)/);
    expect(newer.out).toMatch(/FAILED: peer 203\.0\.113\.11 reports metadata version 35, newer than this node's 20: it holds changes this node's copy lacks/);
    expect(newer.out).not.toMatch(/metadata ok/);
    // Strictly newer: one change more is enough.
    expect(check('203.0.113.12=20 203.0.113.11=21').code).toBe(1);
    // Equal or unknown peers pass; this node's own entry (read up to 3 s ago) does not count, its live copy does.
    const same = check('203.0.113.12=7 203.0.113.11=20 203.0.113.13=?');
    expect(same.code, same.out).toBe(0);
    expect(same.out).toMatch(/metadata ok: metalogger/);
    // Own master files from an earlier mastership do not count once a master served this node's metalogger since.
    changelog('changelog.0.mfs', 1, 90);
    age('changelog.0.mfs', 60);
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    config([...base, `MFS_METALOGGER_BIN=${stub(dir, 'mfsmetalogger', 'running')}`]);
    const stale = check('203.0.113.12=90 203.0.113.11=60');
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/this node's copy: change 20 \(no mfsmaster here: the metalogger's copy \(change 20\)\)/);
    expect(stale.out).toMatch(/FAILED: peer 203\.0\.113\.11 reports metadata version 60, newer than this node's 20/);
    rmSync(join(data, 'changelog.0.mfs'));
    config(base);
    // A silent master: the versions are checked and the probes still run.
    const silent = check('203.0.113.12=20 203.0.113.11=19', 'silent');
    expect(silent.code, silent.out).toBe(0);
    expect(silent.out).toMatch(/data versions seen: 203\.0\.113\.12=20 203\.0\.113\.11=19/);
    expect(silent.out).toMatch(/no MooseFS master at last master 127\.0\.0\.1:1 within 300 ms/);
    // floatd without --data-version passes no versions: said, not refused.
    const none = check(undefined);
    expect(none.code, none.out).toBe(0);
    expect(none.out).toMatch(/data versions: none from floatd \(run without --data-version\)/);
  });

  it('a daemon that exited but is not reaped yet (a zombie: init in a container may take seconds) counts as stopped', async () => {
    // The child exits at once; its parent execs into sleep, which never reaps it.
    const parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(String(d))))).trim());
      for (let i = 0; i < 50 && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
      const alive = (pid: number) => lib(`mfs_alive ${pid} && echo alive || echo gone`).stdout.trim();
      expect([alive(zombie), alive(parent.pid!), alive(2 ** 22 + 1)]).toEqual(['gone', 'alive', 'gone']);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('archiving moves every master file and never deletes one; pruning drops only archives already in the served metadata', () => {
    for (let i = 0; i < 3; i++) {
      changelog('changelog.0.mfs', 1, 10 * (i + 1));
      writeFileSync(join(data, 'metadata.mfs.back'), 'x');
      const a = lib('mfs_archive_master_files "$MASTER_DATA_PATH" backup; sleep 0.01');
      expect(a.code, a.out).toBe(0);
    }
    const archives = () => readdirSync(data).filter((f) => f.startsWith('floatd-archive-')).sort();
    expect(archives()).toHaveLength(3);
    for (const a of archives()) expect(readdirSync(join(data, a)).sort()).toEqual(['changelog.0.mfs', 'floatd-archive.info', 'metadata.mfs.back']);
    // Keep 2: the oldest (version 10) is beyond the count, but the served metadata (5) does not contain it: kept.
    expect(lib('mfs_archive_prune "$MASTER_DATA_PATH" 5').stdout).toBe('');
    expect(archives()).toHaveLength(3);
    expect(lib('mfs_archive_prune "$MASTER_DATA_PATH" 10').stdout).toMatch(/pruned .* \(version 10 <= served 10\)/);
    expect(archives()).toHaveLength(2);
  });

  it('decides whose metadata to use from the previous run, the epochs and the files', () => {
    const decide = (env: Record<string, string>) => lib('mfs_decide "$MASTER_DATA_PATH"; echo "$MFS_DECISION|$MFS_WHY"', { FLOATD_PHASE: 'prepare', ...env }).stdout.trim();
    changelog('changelog.0.mfs', 1, 50);
    writeFileSync(join(data, 'metadata_ml.mfs.back'), 'MFSM NEW');
    changelog('changelog_ml.0.mfs', 1, 40);
    expect(decide({ FLOATD_PREVIOUS_RUN: 'master', FLOATD_PREVIOUS_RUN_EPOCH: '4', FLOATD_NEWER_EPOCH_SEEN: 'no' })).toMatch(/^own\|previous run ended as master/);
    expect(decide({ FLOATD_PREVIOUS_RUN: 'master', FLOATD_NEWER_EPOCH_SEEN: 'yes' })).toMatch(/^refuse\|ambiguous: own master files hold change 50, newer than the metalogger's 40/);
    changelog('changelog_ml.0.mfs', 1, 60);
    expect(decide({ FLOATD_PREVIOUS_RUN: 'backup', FLOATD_NEWER_EPOCH_SEEN: 'no' })).toMatch(/^metalogger\|/);
    // The same change id written differently by two masters.
    changelog('changelog_ml.0.mfs', 1, 49);
    writeFileSync(join(data, 'changelog_ml.0.mfs'), `50: 1796146399|UNLINK(1,other)\n`, { flag: 'a' });
    expect(decide({ FLOATD_PREVIOUS_RUN: 'backup' })).toMatch(/^refuse\|ambiguous: change 50 differs/);
    // A fresh cluster: a seeded first master with nothing else heard starts; the same files after hearing a master do not.
    rmSync(data, { recursive: true });
    mkdirSync(data);
    chownSync(data, mfs, mfs);
    writeFileSync(join(data, 'metadata.mfs'), 'MFSM NEW');
    expect(decide({ FLOATD_PREVIOUS_RUN: 'none', FLOATD_MAX_EPOCH: '1', FLOATD_EPOCH: '1' })).toMatch(/^own\|first run/);
    expect(decide({ FLOATD_PREVIOUS_RUN: 'none', FLOATD_MAX_EPOCH: '3', FLOATD_EPOCH: '3', FLOATD_LAST_MASTER: '203.0.113.12' })).toMatch(/^refuse\|the metalogger holds nothing/);
  });
});
