// A test host's own mount namespace (with its own sysfs: floatd checks the interface in /sys/class/net), kept
// as a bind of its nsfs file at FILE. That bind is refused by some kernels and set-ups (EINVAL, seen in a fresh
// CI run's private mount namespace), so a holder process in the namespace keeps it instead, and
// /proc/HOLDER/ns/mnt names it; HOLDERS gets its pid, which the lab must spare when it "kills the host" and kill
// at teardown. Returns the path to enter the namespace by.
import { spawn, spawnSync } from 'node:child_process';

const run = (cmd: string, args: readonly string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
};

export function keepMountNamespace(file: string, netns: string, holders: Set<number>, forceHolder = process.env.FLOATD_TEST_FORCE_HOLDER !== undefined): string {
  const setup = 'umount -l /sys && mount -t sysfs none /sys';
  const bound = forceHolder ? { code: 1, out: 'forced', stdout: '' } : run('unshare', [`--mount=${file}`, '--propagation', 'private', 'nsenter', `--net=/run/netns/${netns}`, 'sh', '-c', setup]);
  if (bound.code === 0) return file;
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'nsenter', `--net=/run/netns/${netns}`, 'sh', '-c', `${setup} && exec sleep 2147483647`], { detached: true, stdio: 'ignore' });
  holder.unref();
  const pid = holder.pid ?? 0;
  holders.add(pid);
  const path = `/proc/${pid}/ns/mnt`;
  const ours = run('readlink', ['/proc/self/ns/mnt']).stdout.trim();
  for (let i = 0; i < 100; i++) {
    const theirs = run('readlink', [path]).stdout.trim();
    if (theirs !== '' && theirs !== ours && run('nsenter', [`--mount=${path}`, 'test', '-e', '/sys/class/net/eth0']).code === 0) return path;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`cannot keep a mount namespace for ${netns}: the bind failed (${bound.out.trim()}) and holder ${pid} never got ready`);
}
