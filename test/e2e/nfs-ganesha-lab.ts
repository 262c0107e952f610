// NFS-Ganesha on the service lab (test/e2e/service-lab.ts): each candidate's Ganesha config and the pack's nfs.env,
// the LUN seeded through s1, floatd with hooks/nfs on a candidate, and the client's tools: libnfs-utils (nfs-cp,
// nfs-cat: NFSv4.0, one client per command) for the data set, and test/fixtures/nfs/nfs41-reader.mjs, a long-lived
// NFSv4.1 client that reclaims after a failover, for the pauses.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentProcess, AgentLine } from '../support/netns.js';
import { PollingClient } from './service-client.js';
import { VIP, type ServiceHost, type ServiceLab } from './service-lab.js';

export const NFS_PACK = fileURLToPath(new URL('../../hooks/nfs/', import.meta.url));
export const READER = fileURLToPath(new URL('../fixtures/nfs/nfs41-reader.mjs', import.meta.url));
// Short leases keep the suite quick; the grace is sized from the lease as the pack requires (lease ≤ grace ≤ 1.5 lease + 5).
export const LEASE = 5;
export const GRACE = 8;

export const ganeshaConf = (h: ServiceHost) => join(h.dir, 'ganesha.conf');
export const nfsEnv = (h: ServiceHost) => join(h.dir, 'nfs.env');
export const ganeshaLog = (h: ServiceHost) => join(h.dir, 'ganesha.log');

// Writes each candidate's ganesha.conf and nfs.env (NFSv4 only, NLM off: grace may end once the clients reclaimed).
export function configureGanesha(lab: ServiceLab, extraEnv: string[] = []): void {
  for (const h of lab.hosts.filter((x) => x.loop)) {
    writeFileSync(ganeshaConf(h), [
      'NFS_CORE_PARAM { Protocols = 4; Enable_NLM = false; Enable_RQUOTA = false; NFS_Port = 2049; }',
      `NFSv4 { RecoveryBackend = fs; RecoveryRoot = ${lab.lun}/ganesha; Lease_Lifetime = ${LEASE}; Grace_Period = ${GRACE}; }`,
      `EXPORT { Export_Id = 1; Path = ${lab.lun}/export; Pseudo = /export; Access_Type = RW; Squash = No_Root_Squash; Protocols = 4; Transports = TCP; SecType = sys; FSAL { Name = VFS; } }`,
      'LOG { Default_Log_Level = EVENT; }',
      '',
    ].join('\n'));
    writeFileSync(nfsEnv(h), [
      'NFS_SERVER=ganesha', 'NFS_SERVICE=direct', `NFS_SHARED_DEVICE=${h.loop ?? ''}`, `NFS_SHARED_MOUNT=${lab.lun}`, 'NFS_GUARD=mmp',
      `NFS_GANESHA_CONF=${ganeshaConf(h)}`, `NFS_GANESHA_PIDFILE=${join(h.dir, 'ganesha.pid')}`, `NFS_GANESHA_LOG=${ganeshaLog(h)}`,
      'NFS_START_TIMEOUT=30', 'NFS_STOP_TIMEOUT=20', ...extraEnv, '',
    ].join('\n'));
  }
}

// Creates the export directory on the LUN through H, then unmounts it.
export function seedLun(lab: ServiceLab, h: ServiceHost, dirs = ['export']) {
  return lab.shell(h, `mount ${h.loop ?? ''} ${lab.lun} && mkdir -p ${dirs.map((d) => join(lab.lun, d)).join(' ')} && umount ${lab.lun}`);
}

// floatd with the NFS pack on H: -b 0.3, the pack as --hooks-dir and takeover check, its check on the master, and a
// 3 s cooldown after a failed mastership (10 s by default) to keep the suite short.
export function startNfsFloatd(lab: ServiceLab, h: ServiceHost, advskew: number, extra: string[] = []): AgentProcess {
  return lab.floatd(h, ['-b', '0.3', '-k', String(advskew), '--hooks-dir', NFS_PACK, '--takeover-check', join(NFS_PACK, 'takeover-check'),
    '--check', `on=master interval=1 fall=2 -- ${join(NFS_PACK, 'check')}`, '--cooldown', '3', '--phase-timeout', 'prepare=60', '--phase-timeout', 'down=40', ...extra], { FLOATD_NFS_CONFIG: nfsEnv(h) });
}

export const url = (name: string) => `nfs://${VIP}/export/${name}?version=4`;

// Writes random files (1-3.8 KB) through the VIP with nfs-cp; returns their sha256 by name. libnfs 4.0's NFSv4 write
// fails on the client, before anything is sent, for 3996 bytes and more ("Failed to write to dest file").
export async function writeFiles(lab: ServiceLab, names: readonly string[]): Promise<Map<string, string>> {
  const cl = lab.host('cl');
  const sums = new Map<string, string>();
  for (const name of names) {
    const data = randomBytes(1024 + Math.floor(Math.random() * 2800));
    const local = join(cl.dir, name);
    writeFileSync(local, data);
    const r = await lab.exec(cl, ['nfs-cp', local, url(name)], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`nfs-cp ${name}: exit ${String(r.code)}: ${r.out}`);
    sums.set(name, createHash('sha256').update(data).digest('hex'));
  }
  return sums;
}

// Reads every file back through the VIP with nfs-cat (retrying while the server is in grace or moving, up to
// timeoutMs); returns the sha256 by name.
export async function readFiles(lab: ServiceLab, names: readonly string[], timeoutMs = 60_000): Promise<Map<string, string>> {
  const cl = lab.host('cl');
  const deadline = Date.now() + timeoutMs;
  const sums = new Map<string, string>();
  for (const name of names) {
    for (;;) {
      const r = await lab.shell(cl, `nfs-cat '${url(name)}' | sha256sum`, 20_000);
      const sum = r.stdout.split(' ')[0] ?? '';
      // sha256sum of nothing: nfs-cat failed (grace, no server yet); its own exit status is lost in the pipe.
      if (r.code === 0 && sum !== 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855') { sums.set(name, sum); break; }
      if (Date.now() > deadline) throw new Error(`nfs-cat ${name} kept failing for ${timeoutMs} ms: ${r.out}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  return sums;
}

// The NFSv4.1 reader on the client host, reading FILE through the VIP every intervalMs.
export class Reader extends PollingClient {
  constructor(lab: ServiceLab, file: string, intervalMs: number, owner: string) {
    super(lab, lab.host('cl'), [process.execPath, READER, VIP, `/export/${file}`, String(intervalMs), owner]);
  }
}

// The client records in RecoveryRoot as host H sees them (the LUN must be mounted there).
export async function records(lab: ServiceLab, h: ServiceHost): Promise<string[]> {
  const r = await lab.shell(h, `find ${lab.lun}/ganesha -mindepth 3 -maxdepth 3 -type d -printf '%f\\n' 2>/dev/null || true`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

export const lineOf = (re: RegExp) => (l: AgentLine) => re.test(l.msg);

// The lines the pack's hooks printed ("nfs NAME: …") in an agent's log from `since` on.
export function nfsLines(a: AgentProcess, since = 0): string[] {
  return a.lines.slice(since).filter((l) => typeof l.hook === 'string' && l.msg.startsWith('nfs ')).map((l) => l.msg);
}
