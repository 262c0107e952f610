// The known data set the MooseFS e2e tests write through the client mount and read back by sha256.
import { readFileSync } from 'node:fs';
import { VIP, type MfsHost, type MfsLab } from './mfs-lab.js';

// Hundreds of small files in directories, renames and deletes, and (big) one file over 64 MiB spanning two chunks.
export async function writeDataSet(lab: MfsLab, big: boolean): Promise<void> {
  const script = `
cd ${lab.mnt}
mkdir -p set/a set/b set/c
i=0
while [ $i -lt 200 ]; do
  head -c $((i * 37 + 1)) /dev/urandom > set/$(echo abc | cut -c $((i % 3 + 1)))/f$i
  i=$((i + 1))
done
mv set/a/f0 set/b/renamed0 && mv set/c set/c2 && rm set/b/f1 set/a/f3
${big ? 'head -c 70000000 /dev/urandom > big.bin' : ''}
sync`;
  const r = await lab.shell(lab.host('cl'), script, 120_000);
  if (r.code !== 0) throw new Error(`writing the data set failed: ${r.out}`);
}

// Writes one more named file through the mount (before a crash, or after a failover).
export async function writeOne(lab: MfsLab, name: string, timeoutMs = 30_000): Promise<void> {
  const r = await lab.shell(lab.host('cl'), `head -c 4096 /dev/urandom > ${lab.mnt}/${name} && sync`, timeoutMs);
  if (r.code !== 0) throw new Error(`writing ${name} failed: ${r.out}`);
}

// "sha256  path" lines of every file under the mount, sorted, with the directory list; each read has a timeout.
export async function checksums(lab: MfsLab, timeoutMs = 60_000): Promise<string> {
  const r = await lab.shell(lab.host('cl'), `cd ${lab.mnt} && find . -type d | sort && find . -type f | sort | xargs -r sha256sum`, timeoutMs);
  if (r.code !== 0) throw new Error(`reading the data set back failed (exit ${String(r.code)}): ${r.out.slice(-2000)}`);
  return r.stdout;
}

// Pids of the client's mfsmount processes: the same before and after a failover means it was never remounted.
export function mountPids(lab: MfsLab): number[] {
  return lab.pids(lab.host('cl')).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'mfsmount';
    } catch {
      return false;
    }
  }).sort((a, b) => a - b);
}

// The chunkservers the master behind the VIP knows (mfscli's plain listing), asked from the client host.
export async function chunkservers(lab: MfsLab): Promise<string> {
  const r = await lab.exec(lab.host('cl'), ['mfscli', '-H', VIP, '-p', '-SCS'], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`mfscli -SCS failed (exit ${String(r.code)}): ${r.out}`);
  return r.stdout;
}

// Waits until the standby's metalogger holds the change the master was at just before (the master is read first:
// a client that keeps writing moves it on meanwhile).
export async function waitCaughtUp(lab: MfsLab, standby: MfsHost, master: MfsHost, timeoutMs = 30_000): Promise<number> {
  const version = async (h: MfsHost) => Number((await lab.hook(h, 'metadata-version')).stdout.trim());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await version(master);
    const s = await version(standby);
    if (s >= m && m > 0) return s;
    if (Date.now() > deadline) throw new Error(`${standby.name}'s metalogger is at change ${s}, ${master.name} at ${m} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
