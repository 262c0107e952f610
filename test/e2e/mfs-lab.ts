// A throwaway MooseFS lab: master candidates, a chunkserver host and a FUSE client host, each in its
// own network AND mount namespace (a persistent `unshare --mount=FILE` with the host's sysfs), on one bridge with
// no address in the root namespace. Per-node cfg files and DATA_PATHs live in a per-run temp dir; daemons run
// directly (MFS_SERVICE=direct); every process in a lab namespace is killed by PID on teardown.
import { keepMountNamespace } from '../support/mount-namespace.js';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// RFC 5737 TEST-NET-3, only inside the lab (the other suites use 198.51.100.0/24).
export const MFS_NET = '203.0.113';
export const VIP = `${MFS_NET}.100`;
export const PACK = fileURLToPath(new URL('../../hooks/mfs/', import.meta.url));

// Why the suite is skipped: only off root outside CI, or without the MooseFS packages.
export const unavailable: string | undefined =
  process.getuid?.() !== 0 ? (process.env.CI === 'true' ? undefined : 'needs root for namespaces') : ['mfsmaster', 'mfsmetalogger', 'mfschunkserver', 'mfsmount'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0)?.replace(/^/, 'missing ');

export interface RunResult {
  code: number | null;
  out: string; // stdout + stderr, as floatd would log them
  stdout: string;
}

export type Role = 'master' | 'chunkserver' | 'client';

// One lab host: its namespaces, address and (for master candidates) its MooseFS files.
export interface MfsHost {
  name: string;
  role: Role;
  ns: string;
  mntns: string; // bind-mounted mount namespace file
  iface: string;
  port: string; // root-namespace end of its veth (cut it to cut the host)
  ip: string;
  dir: string;
  data: string; // DATA_PATH
  env: string; // mfs.env for the pack
  loop?: string; // its own loop device on the shared LUN image
}

function sh(cmd: string, args: readonly string[], timeoutMs = 20_000): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

function must(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${String(r.code)}: ${r.out.trim()}`);
  return r.stdout;
}

// The packages' `mfs` user, looked up when first needed: importing this file must not fail where the
// suite is skipped (no MooseFS installed).
let mfsIds: [number, number] | undefined;
function mfsUser(): [number, number] {
  mfsIds ??= [Number(must('id', '-u', 'mfs').trim()), Number(must('id', '-g', 'mfs').trim())];
  return mfsIds;
}

function mfsDir(path: string): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, ...mfsUser());
  return path;
}

export interface MfsLabOptions {
  masters: number;
  shared?: boolean; // an ext4 image as the shared LUN, one loop device per master host
  prefix?: string; // of every name the lab creates (default "mf"); 4 random hex digits follow
}

// Builds the lab; a half-built lab is torn down before the error is rethrown.
export function createMfsLab(opts: MfsLabOptions): MfsLab {
  const lab = new MfsLab(`${opts.prefix ?? 'mf'}${randomBytes(2).toString('hex')}`);
  try {
    lab.build(opts);
  } catch (err) {
    lab.teardown();
    throw err;
  }
  return lab;
}

export class MfsLab {
  readonly dir: string;
  readonly bridge: string;
  readonly hosts: MfsHost[] = [];
  readonly lun: string;
  private readonly mntDir: string;
  private readonly startedAt = Date.now();
  private readonly loops: string[] = [];
  private readonly holders = new Set<number>(); // pids keeping a host's mount namespace when the bind failed
  private torn = false;
  private readonly cleanups: (() => void)[] = [];

  readonly prefix: string;
  // The pack's per-promotion cache (FLOATD_MFS_CACHE_DIR), inside the lab instead of the host's /run.
  get runDir(): string {
    return join(this.dir, 'run');
  }

  constructor(prefix: string) {
    this.prefix = prefix;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    chmodSync(this.dir, 0o755);
    this.bridge = `${prefix}br`;
    this.mntDir = `/run/${prefix}-mnt`;
    this.lun = join(this.dir, 'lun.img');
  }

  build(opts: MfsLabOptions): void {
    // No IGMP snooping: floatd's multicast adverts must reach a restarted agent before it re-joins the group.
    must('ip', 'link', 'add', this.bridge, 'type', 'bridge', 'mcast_snooping', '0');
    must('ip', 'link', 'set', this.bridge, 'arp', 'off', 'up');
    mkdirSync(this.mntDir, { recursive: true });
    must('mount', '--bind', this.mntDir, this.mntDir);
    must('mount', '--make-private', this.mntDir);
    if (opts.shared) {
      must('truncate', '-s', '256M', this.lun);
      must('mkfs.ext4', '-q', '-F', this.lun);
    }
    const roles: [string, Role, number][] = [
      ...Array.from({ length: opts.masters }, (_, i): [string, Role, number] => [`m${i + 1}`, 'master', 11 + i]),
      ['cs', 'chunkserver', 20],
      ['cl', 'client', 30],
    ];
    for (const [name, role, n] of roles) this.hosts.push(this.addHost(name, role, `${MFS_NET}.${n}`, opts.shared ?? false));
  }

  // A mount namespace of the host's own (with its sysfs), kept by binding it onto MNTNS; returns the path for
  // `nsenter --mount=`. Inside scripts/ci-fresh-check.sh's own namespace that bind failed now and then with
  // EINVAL for the later hosts of a lab even on a private mount point (never in the root namespace); then a
  // sleeping holder process keeps the namespace instead, and its /proc path is used (host deaths spare it).
  // FLOATD_TEST_FORCE_HOLDER=1 takes that path on purpose, to exercise it.
  private persistMountNamespace(mntns: string, ns: string): string {
    return keepMountNamespace(mntns, ns, this.holders);
  }

  private addHost(name: string, role: Role, ip: string, shared: boolean): MfsHost {
    const ns = `${this.prefix}${name}`;
    const iface = 'eth0';
    const port = `${this.prefix}${name}p`;
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    must('ip', 'netns', 'add', ns);
    // A host that fails half-way is not in this.hosts yet: undo its namespace and link here.
    try {
      must('ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}x`);
      must('ip', 'link', 'set', `${port}x`, 'netns', ns);
      must('ip', '-n', ns, 'link', 'set', `${port}x`, 'name', iface);
      must('ip', 'link', 'set', port, 'master', this.bridge, 'up');
      must('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', iface);
      must('ip', '-n', ns, 'link', 'set', iface, 'up');
      must('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      const mntns = join(this.mntDir, name);
      writeFileSync(mntns, '');
      const host: MfsHost = { name, role, ns, mntns: this.persistMountNamespace(mntns, ns), iface, port, ip, dir, data: join(dir, 'data'), env: join(dir, 'mfs.env') };
      if (role === 'master') this.masterFiles(host, shared);
      if (role === 'chunkserver') this.chunkserverFiles(host);
      if (role === 'client') mkdirSync(join(dir, 'mnt'));
      return host;
    } catch (err) {
      for (const pid of this.holders) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      sh('umount', [join(this.mntDir, name)]);
      sh('ip', ['netns', 'del', ns]);
      sh('ip', ['link', 'del', port]);
      throw err;
    }
  }

  private masterFiles(h: MfsHost, shared: boolean): void {
    const lun = join(h.dir, 'lun');
    const data = shared ? join(lun, 'mfs') : mfsDir(h.data);
    h.data = data;
    const ml = shared ? mfsDir(join(h.dir, 'ml')) : data;
    writeFileSync(join(h.dir, 'exports.cfg'), '* / rw,alldirs,maproot=0\n');
    writeFileSync(join(h.dir, 'topology.cfg'), '');
    // On the LUN every change is fsynced (CHANGELOG_SAVE_MODE = 2): with the default 0 a power loss drops the last ones.
    const save = shared ? ['CHANGELOG_SAVE_MODE = 2'] : [];
    writeFileSync(join(h.dir, 'mfsmaster.cfg'), [`DATA_PATH = ${data}`, `EXPORTS_FILENAME = ${h.dir}/exports.cfg`, `TOPOLOGY_FILENAME = ${h.dir}/topology.cfg`, ...save, ''].join('\n'));
    writeFileSync(join(h.dir, 'mfsmetalogger.cfg'), [`DATA_PATH = ${ml}`, `MASTER_HOST = ${VIP}`, 'MASTER_RECONNECTION_DELAY = 1', ''].join('\n'));
    const env = ['MFS_SERVICE=direct', `MFS_MASTER_CFG=${h.dir}/mfsmaster.cfg`, `MFS_METALOGGER_CFG=${h.dir}/mfsmetalogger.cfg`, 'MFS_START_TIMEOUT=20', 'MFS_STOP_TIMEOUT=20', 'MFS_ARCHIVE_KEEP=3'];
    if (shared) {
      mkdirSync(lun);
      h.loop = this.loop(this.lun);
      // Fencing by floatd --fence: the floatd-driven tests pass a fence (mfs-floatd.ts labFence); the mmp LUN is
      // checked on its own (mfs-shared.test.ts).
      env.push('MFS_STRATEGY=shared', `MFS_SHARED_DEVICE=${h.loop}`, `MFS_SHARED_MOUNT=${lun}`, 'MFS_SHARED_METALOGGER=yes', 'MFS_SHARED_FENCING=floatd');
    } else env.push('MFS_STRATEGY=metalogger');
    writeFileSync(h.env, env.join('\n') + '\n');
  }

  private chunkserverFiles(h: MfsHost): void {
    mfsDir(h.data);
    const hdd = mfsDir(join(h.dir, 'hdd'));
    writeFileSync(join(h.dir, 'mfshdd.cfg'), `${hdd}\n`);
    writeFileSync(join(h.dir, 'mfschunkserver.cfg'), [`DATA_PATH = ${h.data}`, `HDD_CONF_FILENAME = ${h.dir}/mfshdd.cfg`, `MASTER_HOST = ${VIP}`, 'MASTER_RECONNECTION_DELAY = 1', 'HDD_LEAVE_SPACE_DEFAULT = 0', ''].join('\n'));
  }

  // A loop device on IMAGE (one per host, as each host sees its own path to a LUN), detached on teardown.
  loop(image: string): string {
    const dev = must('losetup', '-f', '--show', image).trim();
    this.loops.push(dev);
    return dev;
  }

  // A second, small LUN formatted with ext4 "mmp" (multi-mount protection) and a 1 s update interval.
  mmpImage(): string {
    const img = join(this.dir, 'lun-mmp.img');
    must('truncate', '-s', '32M', img);
    must('mkfs.ext4', '-q', '-F', '-O', 'mmp', '-E', 'mmp_update_interval=1', img);
    return img;
  }

  host(name: string): MfsHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.prefix} has no host "${name}"`);
    return h;
  }

  // Runs a command in the host's network and mount namespaces under `timeout -k`; never throws on failure.
  exec(h: MfsHost, cmd: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
    const secs = String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000));
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const args = [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', 'timeout', '-k', '2', secs, 'env', ...env, ...cmd];
    return new Promise((resolve) => {
      const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', (code) => resolve({ code, out, stdout }));
    });
  }

  // A shell script in the host (for client-side file work).
  shell(h: MfsHost, script: string, timeoutMs = 60_000): Promise<RunResult> {
    return this.exec(h, ['sh', '-ec', script], { timeoutMs });
  }

  // Runs a hook of the pack as floatd would: $1 interface, $2 VIP, $3 xparam, FLOATD_* and FLOATD_MFS_CONFIG.
  hook(h: MfsHost, path: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<RunResult> {
    const base = { FLOATD_MFS_CONFIG: h.env, FLOATD_MFS_CACHE_DIR: this.runDir, FLOATD_VIP: VIP, FLOATD_INTERFACE: h.iface, FLOATD_SRCIP: h.ip, FLOATD_VHID: '7', FLOATD_HOOK_TIMEOUT: String(timeoutMs / 1000) };
    return this.exec(h, [join(PACK, path), h.iface, VIP, ''], { env: { ...base, ...env }, timeoutMs });
  }

  // Runs every executable of a phase directory in lexical order, stopping at the first failure (floatd's order).
  async phase(h: MfsHost, phase: 'prepare' | 'up' | 'down', env: Record<string, string> = {}): Promise<RunResult> {
    const dir = join(PACK, `${phase}.d`);
    let out = '';
    for (const f of readdirSync(dir).sort()) {
      const r = await this.hook(h, `${phase}.d/${f}`, { FLOATD_PHASE: phase, ...env });
      out += r.out;
      if (r.code !== 0) return { code: r.code, out, stdout: r.stdout };
    }
    return { code: 0, out, stdout: '' };
  }

  // Adds the VIP on a host and announces it with a gratuitous ARP (what floatd does between prepare and up).
  async addVip(h: MfsHost): Promise<void> {
    must('ip', '-n', h.ns, 'addr', 'add', `${VIP}/24`, 'dev', h.iface);
    await this.exec(h, ['arping', '-q', '-U', '-c', '1', '-I', h.iface, VIP], { timeoutMs: 5000 });
  }

  delVip(h: MfsHost): void {
    sh('ip', ['-n', h.ns, 'addr', 'del', `${VIP}/24`, 'dev', h.iface]);
  }

  // A host death as MooseFS meets it: its link cut first (no FIN/RST leaves), then every process SIGKILLed.
  kill(h: MfsHost): void {
    must('ip', 'link', 'set', h.port, 'down');
    this.killAll(h);
  }

  heal(h: MfsHost): void {
    must('ip', 'link', 'set', h.port, 'up');
  }

  // A dead host coming back as after a reboot: the VIP it held is gone from its interface, then its link is up.
  reboot(h: MfsHost): void {
    for (const prefix of ['32', '24']) sh('ip', ['-n', h.ns, 'addr', 'del', `${VIP}/${prefix}`, 'dev', h.iface]);
    this.heal(h);
  }

  // Runs F first thing at teardown (stops watchers that use the lab).
  onTeardown(f: () => void): void {
    this.cleanups.push(f);
  }

  // PIDs of every process in the host's network namespace.
  pids(h: MfsHost): number[] {
    return sh('ip', ['netns', 'pids', h.ns]).stdout.split('\n').filter(Boolean).map(Number);
  }

  // Kills every process of the host but a mount-namespace holder (a host death keeps its disks and mounts).
  killAll(h: MfsHost): void {
    const victims = () => this.pids(h).filter((pid) => !this.holders.has(pid));
    for (let i = 0; i < 20 && victims().length > 0; i++) {
      for (const pid of victims()) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      spawnSync('sleep', ['0.1']);
    }
  }

  // Starts the chunkserver on its host.
  startChunkserver(): Promise<RunResult> {
    const h = this.host('cs');
    return this.exec(h, ['mfschunkserver', '-c', join(h.dir, 'mfschunkserver.cfg'), 'start']);
  }

  // Mounts the filesystem on the client through the VIP (direct I/O: reads really reach the chunkserver).
  mount(options: readonly string[] = []): Promise<RunResult> {
    const h = this.host('cl');
    return this.exec(h, ['mfsmount', join(h.dir, 'mnt'), '-H', VIP, '-o', ['mfscachemode=DIRECT', ...options].join(',')], { timeoutMs: 20_000 });
  }

  get mnt(): string {
    return join(this.host('cl').dir, 'mnt');
  }

  // Seeds a brand-new master: the empty metadata shipped with the package, owned by mfs.
  seed(h: MfsHost): void {
    const to = join(h.data, 'metadata.mfs');
    copyFileSync('/var/lib/mfs/metadata.mfs.empty', to);
    chownSync(to, ...mfsUser());
  }

  // Seeds the shared LUN through host H: a DATA_PATH owned by mfs with the package's empty metadata, then unmounted.
  seedShared(h: MfsHost): Promise<RunResult> {
    const lun = join(h.dir, 'lun');
    return this.shell(h, `mount ${h.loop ?? ''} ${lun} && mkdir ${h.data} && cp /var/lib/mfs/metadata.mfs.empty ${h.data}/metadata.mfs && chown -R mfs:mfs ${h.data} && umount ${lun}`);
  }

  teardown(): string[] {
    if (this.torn) return [];
    this.torn = true;
    for (const f of this.cleanups) f();
    const left: string[] = [];
    for (const h of this.hosts) this.killAll(h);
    for (const h of this.hosts) {
      // Everything a test mounted in the host's own mount namespace (the LUN, FUSE), innermost first.
      const mounts = sh('nsenter', [`--mount=${h.mntns}`, 'findmnt', '-rn', '-o', 'TARGET']).stdout.split('\n').filter((t) => t.startsWith(this.dir));
      for (const t of mounts.reverse()) sh('nsenter', [`--mount=${h.mntns}`, 'umount', '-l', t], 10_000);
      sh('umount', [h.mntns]);
      for (const pid of this.pids(h).filter((p) => this.holders.has(p))) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      spawnSync('sleep', ['0.1']);
      sh('ip', ['netns', 'del', h.ns]);
      sh('ip', ['link', 'del', h.port]);
      if (this.pids(h).length > 0) left.push(`processes in ${h.ns}`);
    }
    for (const dev of this.loops) sh('losetup', ['-d', dev]);
    sh('ip', ['link', 'del', this.bridge]);
    sh('umount', [this.mntDir]);
    rmSync(this.mntDir, { recursive: true, force: true });
    // A master that cannot write DATA_PATH leaves /tmp/metadata.mfs.emergency-style files, and -a reads them.
    for (const f of readdirSync('/tmp')) {
      const p = join('/tmp', f);
      if (/^(metadata|changelog).*\.mfs/.test(f) && statSync(p).mtimeMs >= this.startedAt) rmSync(p, { force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (existsSync(`/run/netns/${this.prefix}m1`)) left.push('netns');
    return left;
  }
}
