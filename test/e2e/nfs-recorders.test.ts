// hooks/nfs without an NFS daemon: the Ganesha config rules, and the kernel-server path without a kernel NFS server (this machine has none): systemctl, exportfs and
// rpc.nfsd are recorders on PATH (test/fixtures/nfs/recorders) acting on a fake /proc/fs/nfsd, while the LUN (an
// mmp ext4 image on a loop device) and the bind mount of the state directory are real, in a mount namespace of the
// test's own. Each recorded call notes what was mounted at that moment, so the order is checked, not assumed.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NFS_PACK } from './nfs-ganesha-lab.js';
import { missing } from './service-lab.js';

const RECORDERS = fileURLToPath(new URL('../fixtures/nfs/recorders/', import.meta.url));
const unavailable = missing(['mkfs.ext4', 'losetup', 'unshare', 'nsenter']);

describe.skipIf(unavailable !== undefined)(`hooks/nfs without an NFS daemon (Ganesha rules, kernel path with recorders)${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const prefix = `nf${randomBytes(2).toString('hex')}`;
  let dir: string;
  let loop = '';
  let mntns = '';
  // The readiness checks connect to NFS_PORT on 127.0.0.1: a listener of the test's stands in for nfsd there.
  let listener: Server;
  let port = 0;
  const runDir = `/run/${prefix}-k`;
  const lun = () => join(dir, 'lun');
  const state = () => join(dir, 'var-lib-nfs');
  const proc = () => join(dir, 'proc-nfsd');
  const record = () => join(dir, 'record');

  function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
  }
  const inNs = (cmd: string[], env: Record<string, string> = {}) => sh('nsenter', [`--mount=${mntns}`, '--', ...cmd], env);

  function config(lines: string[] = []) {
    writeFileSync(join(dir, 'nfs.env'), ['NFS_SERVER=kernel', 'NFS_SERVICE=systemd', `NFS_SHARED_DEVICE=${loop}`, `NFS_SHARED_MOUNT=${lun()}`, `NFS_STATE_DIR=${state()}`,
      `NFS_EXPORTS_FILE=${join(dir, 'exports')}`, `NFS_PROC_NFSD=${proc()}`, 'NFS_LEASE_TIME=10', 'NFS_GRACE_TIME=12', 'NFS_STOP_TIMEOUT=2', `NFS_PORT=${port}`, ...lines, ''].join('\n'));
  }
  const env = (extra: Record<string, string> = {}) => ({ PATH: `${RECORDERS}:${process.env.PATH ?? ''}`, FLOATD_NFS_CONFIG: join(dir, 'nfs.env'), NFS_RECORD: record(), NFS_STATE_DIR: state(), NFS_SHARED_MOUNT: lun(), NFS_PROC_NFSD: proc(), ...extra });
  // Runs a phase's hooks in order as floatd does (prepare and up stop at the first failure; down runs them all).
  function phase(name: 'prepare' | 'down', extra: Record<string, string> = {}) {
    let out = '';
    let failed = 0;
    for (const f of readdirSync(join(NFS_PACK, `${name}.d`)).sort()) {
      const r = inNs([join(NFS_PACK, `${name}.d`, f), 'eth0', '203.0.113.100'], env(extra));
      out += r.out;
      if (r.code !== 0) { failed++; if (name === 'prepare') break; }
    }
    return { failed, out };
  }
  const calls = () => readFileSync(record(), 'utf8').trim().split('\n').filter(Boolean);

  beforeAll(async () => {
    listener = createServer((c) => c.destroy());
    await new Promise<void>((res) => listener.listen(0, '127.0.0.1', res));
    port = (listener.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    for (const d of [lun(), state(), proc()]) mkdirSync(d);
    const img = join(dir, 'lun.img');
    expect(sh('truncate', ['-s', '32M', img]).code).toBe(0);
    expect(sh('mkfs.ext4', ['-q', '-F', '-O', 'mmp', '-E', 'mmp_update_interval=1', img]).code).toBe(0);
    loop = sh('losetup', ['-f', '--show', img]).stdout.trim();
    mkdirSync(runDir, { recursive: true });
    expect(sh('mount', ['--bind', runDir, runDir]).code).toBe(0);
    expect(sh('mount', ['--make-private', runDir]).code).toBe(0);
    mntns = join(runDir, 'mnt');
    writeFileSync(mntns, '');
    const u = sh('unshare', [`--mount=${mntns}`, '--propagation', 'private', 'true']);
    expect(u.code, u.out).toBe(0);
    // Seed: the state directory and two exports on the LUN.
    expect(inNs(['sh', '-ec', `mount ${loop} ${lun()} && mkdir -p ${lun()}/nfs-state ${lun()}/home ${lun()}/data && umount ${lun()}`]).code).toBe(0);
  });
  afterAll(() => {
    listener?.close();
    if (mntns) for (const t of [state(), lun()]) inNs(['umount', '-l', t]);
    sh('umount', [mntns]);
    sh('umount', [runDir]);
    rmSync(runDir, { recursive: true, force: true });
    if (loop) expect(sh('losetup', ['-d', loop]).code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    writeFileSync(record(), '');
    writeFileSync(join(proc(), 'threads'), '0');
    for (const f of ['nfsv4leasetime', 'nfsv4gracetime']) rmSync(join(proc(), f), { force: true });
    writeFileSync(join(dir, 'exports'), `# floatd's exports\n${lun()}/home 198.51.100.0/24(rw,sync,no_subtree_check,fsid=1)\n${lun()}/data 198.51.100.7(ro,fsid=2) 198.51.100.8(rw,fsid=2)\n`);
    config();
  });

  it('promotes in the nfsserver order: LUN, state directory bound on /var/lib/nfs, lease and grace, nfsd, then each export; demotes in reverse', () => {
    const up = phase('prepare', { FLOATD_PHASE: 'prepare' });
    expect(up.failed, up.out).toBe(0);
    expect(up.out).toMatch(/bind .*nfs-state on .*var-lib-nfs: ok/);
    expect(calls()).toEqual([
      'systemctl start nfs-server | state=bound lun=mounted lease=10 grace=12',
      `exportfs -o rw,sync,no_subtree_check,fsid=1 198.51.100.0/24:${lun()}/home | state=bound lun=mounted lease=10 grace=12`,
      `exportfs -o ro,fsid=2 198.51.100.7:${lun()}/data | state=bound lun=mounted lease=10 grace=12`,
      `exportfs -o rw,fsid=2 198.51.100.8:${lun()}/data | state=bound lun=mounted lease=10 grace=12`,
    ]);
    writeFileSync(record(), '');
    const down = phase('down', { FLOATD_PHASE: 'down' });
    expect(down.failed, down.out).toBe(0);
    expect(calls().map((c) => c.replace(/ lease=.*/, ''))).toEqual([
      `exportfs -u 198.51.100.0/24:${lun()}/home | state=bound lun=mounted`,
      `exportfs -u 198.51.100.7:${lun()}/data | state=bound lun=mounted`,
      `exportfs -u 198.51.100.8:${lun()}/data | state=bound lun=mounted`,
      'systemctl stop nfs-server | state=bound lun=mounted',
      'systemctl stop nfsdcld | state=bound lun=mounted',
      'systemctl stop rpc-statd | state=bound lun=mounted',
    ]);
    expect(down.out).toMatch(/unmount .*var-lib-nfs: ok[\s\S]*unmount .*lun: ok/);
    expect(inNs(['findmnt', '-rn', '-S', loop]).stdout).toBe('');
  });

  it('refuses to start nfsd when an export is missing on the mounted LUN, and nothing was started', () => {
    writeFileSync(join(dir, 'exports'), `${lun()}/home 198.51.100.0/24(rw,fsid=1)\n${lun()}/missing 198.51.100.0/24(rw,fsid=3)\n`);
    const up = phase('prepare');
    expect(up.failed).toBe(1);
    expect(up.out).toMatch(/FAILED: export ".*\/missing" does not exist on the mounted filesystem/);
    expect(calls()).toEqual([]);
    expect(phase('down').failed).toBe(0);
    expect(inNs(['findmnt', '-rn', '-S', loop]).stdout).toBe('');
  });

  it('a stop that fails fails the down hooks, and the LUN and state stay mounted under the running server', () => {
    expect(phase('prepare').failed).toBe(0);
    writeFileSync(record(), '');
    const down = phase('down', { RECORD_FAIL: 'systemctl' });
    expect(down.out).toMatch(/FAILED: stop the kernel NFS server \(systemd\) exited 1/);
    expect(down.out).toMatch(/FAILED: nfsd still runs: not unmounting its state under it/);
    expect(down.out).toMatch(/FAILED: the kernel server still runs on .*: not unmounting under it/);
    expect(down.failed).toBe(3);
    expect(inNs(['findmnt', '-rn', '-S', loop]).stdout).not.toBe('');
    writeFileSync(join(proc(), 'threads'), '0');
    expect(phase('down').failed).toBe(0);
  });

  it('validation names the key and quotes the value: exports outside the LUN or without fsid, grace below the lease, an unknown server', () => {
    writeFileSync(join(dir, 'exports'), `/srv/elsewhere 198.51.100.0/24(rw,fsid=1)\n${lun()}/home 198.51.100.0/24(rw)\n`);
    config(['NFS_LEASE_TIME=20', 'NFS_GRACE_TIME=10', 'NFS_GUARD=scsi']);
    const r = inNs([join(NFS_PACK, 'down.d/00-validate')], env());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/export "\/srv\/elsewhere" in .*exports must lie under NFS_SHARED_MOUNT=/);
    expect(r.out).toMatch(/export ".*\/home" in .*exports needs fsid=N/);
    expect(r.out).toMatch(/NFS_GRACE_TIME \("10"\) must be at least NFS_LEASE_TIME \("20"\)/);
    expect(r.out).toMatch(/NFS_GUARD must be mmp or fence, got "scsi"/);
    config(['NFS_SERVER=knfsd']);
    expect(inNs([join(NFS_PACK, 'down.d/00-validate')], env()).out).toMatch(/NFS_SERVER must be auto, ganesha or kernel, got "knfsd"/);
  });

  it('NFS_SERVER=auto picks the server the host has, and refuses to guess when it has both', () => {
    config(['NFS_SERVER=auto', 'NFS_GANESHA_BIN=ganesha-not-installed']);
    expect(inNs([join(NFS_PACK, 'down.d/00-validate')], env()).out).toMatch(/server kernel \(systemd\)/);
    config(['NFS_SERVER=auto', 'NFS_GANESHA_BIN=true']);
    const both = inNs([join(NFS_PACK, 'down.d/00-validate')], env());
    expect(both.code).toBe(1);
    expect(both.out).toMatch(/NFS_SERVER=auto, but this host has both true \(NFS-Ganesha\) and rpc.nfsd \+ exportfs/);
  });

  it('the Ganesha rules: client records and exports on the LUN, a grace sized from the lease, a recovery backend that keeps records in files', () => {
    const conf = join(dir, 'ganesha.conf');
    const ganesha = (core: string, v4: string, path: string) => {
      writeFileSync(conf, `NFS_CORE_PARAM { ${core} }\nNFSv4 {\n  ${v4}\n}\nEXPORT { Export_Id = 1; Path = "${path}"; Pseudo = /export; FSAL { Name = VFS; } }\n`);
      config(['NFS_SERVER=ganesha', `NFS_GANESHA_CONF=${conf}`]);
      return inNs([join(NFS_PACK, 'down.d/00-validate')], env());
    };
    const bad = ganesha('Enable_NLM = true;', 'RecoveryBackend = rados_ng; RecoveryRoot = /var/lib/nfs/ganesha; Lease_Lifetime = 30; Grace_Period = 20;', '/srv/export');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/RecoveryBackend in .*ganesha.conf must be fs or fs_ng .*, got "rados_ng"/);
    expect(bad.out).toMatch(/RecoveryRoot in .*ganesha.conf \("\/var\/lib\/nfs\/ganesha"\) must lie under NFS_SHARED_MOUNT=/);
    expect(bad.out).toMatch(/EXPORT Path in .*ganesha.conf \("\/srv\/export"\) must lie under NFS_SHARED_MOUNT=/);
    expect(bad.out).toMatch(/Grace_Period in .*ganesha.conf \("20"\) must be at least Lease_Lifetime \("30"\)/);
    // Ganesha's defaults (lease 60 s, grace 90 s) pass; a grace far above the lease does not.
    expect(ganesha('Enable_NLM = false;', `RecoveryRoot = ${lun()}/ganesha; # a comment; Grace_Period = 1`, `${lun()}/home`).out).toMatch(/lease 60s, grace 90s, NLM false/);
    expect(ganesha('', `RecoveryRoot = ${lun()}/ganesha; Lease_Lifetime = 10; Grace_Period = 60;`, `${lun()}/home`).out).toMatch(/Grace_Period in .* \("60"\) is above Lease_Lifetime \+ Lease_Lifetime\/2 \+ 5 \(20\)/);
  });
});
