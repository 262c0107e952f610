// A throwaway lab for the NFS and service packs: two server candidates (s1, s2) and a client host (cl), each in
// its own network AND mount namespace, on one bridge with no address in the root namespace. The candidates share
// one ext4 image (with multi-mount protection, "mmp", unless told otherwise) through a loop device each, as two
// hosts see one LUN; each mounts it at the same path (LUN below) in its own mount namespace. Every process in a lab namespace is killed
// by PID, every mount, loop device, link and namespace removed on teardown, also when a test failed.
import { keepMountNamespace } from '../support/mount-namespace.js';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess, CLI_PATH, type LabHost } from '../support/netns.js';

// RFC 5737 TEST-NET-3, only inside the lab.
export const NET = '203.0.113';
export const VIP = `${NET}.100`;

export interface RunResult {
  code: number | null;
  out: string;
  stdout: string;
}

export interface ServiceHost {
  name: string;
  ns: string;
  mntns: string;
  iface: string;
  port: string; // root-namespace end of its veth (cut it to cut the host)
  ip: string;
  dir: string;
  loop?: string; // its own loop device on the shared image (candidates)
}

function sh(cmd: string, args: readonly string[], timeoutMs = 20_000): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

function must(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args, 60_000);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${String(r.code)}: ${r.out.trim()}`);
  return r.stdout;
}

// Why a suite is skipped: only off root outside CI, or a missing program.
export function missing(programs: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return process.env.CI === 'true' ? undefined : 'needs root for namespaces';
  return programs.find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0)?.replace(/^/, 'missing ');
}

// Builds the lab; a half-built lab is torn down before the error is rethrown.
export function createServiceLab(prefix: string, opts: { mmp?: boolean } = {}): ServiceLab {
  const lab = new ServiceLab(`${prefix}${randomBytes(2).toString('hex')}`, opts.mmp ?? true);
  try {
    lab.build();
  } catch (err) {
    lab.teardown();
    throw err;
  }
  return lab;
}

export class ServiceLab {
  readonly prefix: string;
  readonly dir: string;
  readonly lun: string; // the mount point of the shared filesystem, the same path on every candidate
  readonly hosts: ServiceHost[] = [];
  private readonly bridge: string;
  private readonly mntDir: string;
  private readonly holders = new Set<number>(); // pids keeping a host's mount namespace when the bind failed
  private readonly image: string;
  private readonly loops: string[] = [];
  private readonly cleanups: (() => void)[] = [];
  private torn = false;
  readonly mmp: boolean;

  constructor(prefix: string, mmp = true) {
    this.prefix = prefix;
    this.mmp = mmp;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    chmodSync(this.dir, 0o755);
    this.bridge = `${prefix}br`;
    this.mntDir = `/run/${prefix}-mnt`;
    this.image = join(this.dir, 'lun.img');
    this.lun = join(this.dir, 'lun');
  }

  build(): void {
    must('ip', 'link', 'add', this.bridge, 'type', 'bridge', 'mcast_snooping', '0');
    must('ip', 'link', 'set', this.bridge, 'arp', 'off', 'up');
    mkdirSync(this.mntDir, { recursive: true });
    must('mount', '--bind', this.mntDir, this.mntDir);
    must('mount', '--make-private', this.mntDir);
    mkdirSync(this.lun);
    must('truncate', '-s', '64M', this.image);
    must('mkfs.ext4', '-q', '-F', ...(this.mmp ? ['-O', 'mmp', '-E', 'mmp_update_interval=1'] : []), this.image);
    for (const [name, n] of [['s1', 11], ['s2', 12], ['cl', 30]] as const) this.hosts.push(this.addHost(name, `${NET}.${n}`));
  }

  private addHost(name: string, ip: string): ServiceHost {
    const ns = `${this.prefix}${name}`;
    const port = `${this.prefix}${name}p`;
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    must('ip', 'netns', 'add', ns);
    try {
      must('ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}x`);
      must('ip', 'link', 'set', `${port}x`, 'netns', ns);
      must('ip', '-n', ns, 'link', 'set', `${port}x`, 'name', 'eth0');
      must('ip', 'link', 'set', port, 'master', this.bridge, 'up');
      must('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      must('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      must('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      // The host's own mount namespace with its own sysfs (floatd checks the interface in /sys/class/net).
      const file = join(this.mntDir, name);
      writeFileSync(file, '');
      const mntns = keepMountNamespace(file, ns, this.holders);
      const h: ServiceHost = { name, ns, mntns, iface: 'eth0', port, ip, dir };
      if (name !== 'cl') h.loop = this.loopDevice();
      return h;
    } catch (err) {
      for (const pid of this.holders) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      sh('umount', [join(this.mntDir, name)]);
      sh('ip', ['netns', 'del', ns]);
      sh('ip', ['link', 'del', port]);
      throw err;
    }
  }

  // A loop device on the shared image (one per host, as each host sees its own path to a LUN).
  loopDevice(): string {
    const dev = must('losetup', '-f', '--show', this.image).trim();
    this.loops.push(dev);
    return dev;
  }

  host(name: string): ServiceHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.prefix} has no host "${name}"`);
    return h;
  }

  // Runs a command in the host's network and mount namespaces under `timeout -k`; never throws on failure.
  exec(h: ServiceHost, cmd: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    const secs = String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000));
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const args = [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', 'timeout', '-k', '2', secs, 'env', ...env, ...cmd];
    return new Promise((resolve) => {
      const child = spawn('nsenter', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.stdin.on('error', () => { /* the command exited before reading its input */ });
      child.stdin.end(opts.input ?? '');
      child.on('close', (code) => resolve({ code, out, stdout }));
    });
  }

  shell(h: ServiceHost, script: string, timeoutMs = 60_000): Promise<RunResult> {
    return this.exec(h, ['sh', '-ec', script], { timeoutMs });
  }

  // Starts a long-running process in the host (a client loop); it dies with the host or at teardown.
  spawnIn(h: ServiceHost, cmd: readonly string[]): ReturnType<typeof spawn> {
    return spawn('nsenter', [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  // Starts floatd in the host with ARGS after the lab's common flags (-i, -s, -a, -o, state files); ENV adds to its
  // environment (the packs' config paths).
  floatd(h: ServiceHost, args: readonly string[], env: Record<string, string> = {}): AgentProcess {
    const secret = join(this.dir, 'secret');
    if (!existsSync(secret)) writeFileSync(secret, `svc-${this.prefix}\n`, { mode: 0o600 });
    const argv = [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', process.execPath, CLI_PATH, '-i', h.iface, '-s', h.ip, '-v', '9', '-a', VIP, '-o', secret, '-z',
      '--state-file', join(h.dir, 'floatd-state.json'), '--run-record', join(h.dir, 'floatd-record.json'), '--control-socket', join(h.dir, 'floatd.sock'), '--log-format', 'json', ...args];
    const child = spawn('nsenter', argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const host: LabHost = { name: h.name, ns: h.ns, iface: h.iface, ip: h.ip, mac: '' };
    return new AgentProcess(host, child);
  }

  // The master H's agent follows, from its run record (what --fence and the takeover checks name as the last master).
  followed(h: ServiceHost): string | undefined {
    try {
      return (JSON.parse(readFileSync(join(h.dir, 'floatd-record.json'), 'utf8')) as { lastMaster?: string | null }).lastMaster ?? undefined;
    } catch {
      return undefined;
    }
  }

  // A --fence hook for the lab: a host death here is already complete when the fence runs (its link cut, its
  // processes gone), so it only says so; on real hosts this is the IPMI power-off of docs/guide.md's Fencing.
  fenceScript(): string {
    const f = join(this.dir, 'fence-peer');
    writeFileSync(f, '#!/bin/sh\necho "fencing ${FLOATD_FENCE_TARGET:-?}: the lab host is off (link cut, processes killed)"\n', { mode: 0o755 });
    return f;
  }

  // A host death: its link cut first (no FIN/RST leaves), then every process SIGKILLed. Its mounts stay, as a
  // dead host's do until its power goes; `powerOff` drops the LUN's unwritten blocks and its mmp updates.
  kill(h: ServiceHost): void {
    must('ip', 'link', 'set', h.port, 'down');
    this.killAll(h);
  }

  // What is left of the host's hold on the LUN once its power is gone: the filesystem shut down unflushed and
  // unmounted, and its mmp block as a dead host leaves it. A namespace is not a machine: its kernel lives on, and
  // its mmp thread marks the block clean when the filesystem is shut down or unmounted, which a host that lost its
  // power never does; so the block gets back the live-looking sequence a dead host's last update left there, and
  // the next mount waits out the mmp interval as it would after a real power loss.
  async powerOff(h: ServiceHost): Promise<RunResult> {
    const r = await this.shell(h, `if mountpoint -q ${this.lun}; then xfs_io -x -c shutdown ${this.lun}; umount -l ${this.lun}; fi`);
    if (this.mmp) staleMmp(this.image);
    return r;
  }

  // A dead host back as after a reboot: the VIP it held gone from its interface, its link up.
  reboot(h: ServiceHost): void {
    sh('ip', ['-n', h.ns, 'addr', 'del', `${VIP}/32`, 'dev', h.iface]);
    must('ip', 'link', 'set', h.port, 'up');
  }

  onTeardown(f: () => void): void {
    this.cleanups.push(f);
  }

  pids(h: ServiceHost): number[] {
    return sh('ip', ['netns', 'pids', h.ns]).stdout.split('\n').filter(Boolean).map(Number);
  }

  // The processes of the host whose /proc/PID/comm is NAME.
  processes(h: ServiceHost, name: string): number[] {
    return this.pids(h).filter((pid) => sh('cat', [`/proc/${pid}/comm`]).stdout.trim() === name);
  }

  // Every process of the host but the holder of its mount namespace (its mounts die with the host only at teardown).
  killAll(h: ServiceHost): void {
    const victims = () => this.pids(h).filter((pid) => !this.holders.has(pid));
    for (let i = 0; i < 20 && victims().length > 0; i++) {
      for (const pid of victims()) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      spawnSync('sleep', ['0.1']);
    }
  }

  // Tears everything down; returns what could not be removed (empty when clean).
  teardown(): string[] {
    if (this.torn) return [];
    this.torn = true;
    for (const f of this.cleanups) try { f(); } catch { /* carry on */ }
    const left: string[] = [];
    for (const h of this.hosts) this.killAll(h);
    for (const h of this.hosts) {
      const mounts = sh('nsenter', [`--mount=${h.mntns}`, 'findmnt', '-rn', '-o', 'TARGET']).stdout.split('\n').filter((t) => t.startsWith(this.dir));
      for (const t of mounts.reverse()) sh('nsenter', [`--mount=${h.mntns}`, 'umount', '-l', t], 10_000);
      for (const pid of this.pids(h).filter((p) => this.holders.has(p))) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      sh('umount', [h.mntns]);
      sh('ip', ['netns', 'del', h.ns]);
      sh('ip', ['link', 'del', h.port]);
      if (this.pids(h).length > 0) left.push(`processes in ${h.ns}`);
      if (existsSync(`/run/netns/${h.ns}`)) left.push(`netns ${h.ns}`);
    }
    for (const dev of this.loops) if (sh('losetup', ['-d', dev]).code !== 0) left.push(`loop ${dev}`);
    sh('ip', ['link', 'del', this.bridge]);
    sh('umount', [this.mntDir]);
    rmSync(this.mntDir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
    return left;
  }
}

// CRC32C (Castagnoli, reflected), without the initial and final inversion: the kernel's crc32c(seed, data), which
// ext4 uses for its metadata checksums.
function crc32c(seed: number, data: Uint8Array): number {
  let crc = seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc >>> 0;
}

// Writes a live-looking sequence into the mmp block of the ext4 IMAGE (fs/ext4/ext4.h: struct mmp_struct, its
// seq at byte 4, its checksum at byte 1020 over the bytes before it, seeded with crc32c(~0, the filesystem's UUID)).
export function staleMmp(image: string, seq = 0x2f6e6e57): void {
  const fd = openSync(image, 'r+');
  try {
    const sb = Buffer.alloc(1024);
    readSync(fd, sb, 0, 1024, 1024);
    const blockSize = 1024 << sb.readUInt32LE(0x18);
    const mmpAt = Number(sb.readBigUInt64LE(0x168)) * blockSize;
    const mmp = Buffer.alloc(1024);
    readSync(fd, mmp, 0, 1024, mmpAt);
    if (mmp.readUInt32LE(0) !== 0x004d4d50) throw new Error(`${image}: no mmp block at ${mmpAt}`);
    mmp.writeUInt32LE(seq, 4);
    // metadata_csum_seed (INCOMPAT 0x2000) keeps the seed in the superblock; else it is the UUID's checksum.
    const seed = sb.readUInt32LE(0x60) & 0x2000 ? sb.readUInt32LE(0x270) : crc32c(0xffffffff, sb.subarray(0x68, 0x78));
    mmp.writeUInt32LE(crc32c(seed, mmp.subarray(0, 1020)), 1020);
    writeSync(fd, mmp, 0, 1024, mmpAt);
  } finally {
    closeSync(fd);
  }
}
