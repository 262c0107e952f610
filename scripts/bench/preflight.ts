// What the bench needs from the machine, checked (and, as root on Debian, installed) before anything runs:
// network namespaces, ucarp, keepalived, arping, and a way to drop packets (netem, else nftables).
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, release } from 'node:os';
import { netnsUnavailable } from '../../test/support/netns.js';
import { lossCommand, run, type LossMethod } from './lab-tools.js';

export interface Machine {
  cores: number;
  cpu: string;
  kernel: string;
  node: string;
  ucarp: string;
  keepalived: string;
  loss: LossMethod | undefined;
  lossNote: string;
  floatd: string; // the commit the agent was built from, "+dirty" when src/ had changes, and the build time
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

// Command → the Debian package that provides it.
const TOOLS = { ucarp: 'ucarp', keepalived: 'keepalived', arping: 'iputils-arping', tc: 'iproute2' } as const;

// `cuts`: the partition case will run, so tc must be able to drop packets by source at a bridge port.
export async function preflight(say: (line: string) => void, opts: { cuts?: boolean } = {}): Promise<Machine> {
  const why = netnsUnavailable();
  if (why) throw new Error(`the bench runs real agents in network namespaces and ${why}`);

  const missing = new Set<string>();
  for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await onPath(cmd))) missing.add(pkg);
  let loss = await lossMethod();
  if (!loss) missing.add('nftables');
  if (missing.size > 0) {
    const pkgs = [...missing].join(' ');
    if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) throw new Error(`missing packages: install ${pkgs} (Debian: apt-get install -y ${pkgs})`);
    say(`installing ${pkgs} with apt-get …`);
    const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
    const update = await run([...env, 'apt-get', 'update'], 300_000);
    if (update.code !== 0) throw new Error(`apt-get update failed:\n${update.out.slice(-2000)}`);
    const install = await run([...env, 'apt-get', 'install', '-y', '--no-install-recommends', ...missing], 600_000);
    if (install.code !== 0) throw new Error(`apt-get install -y ${pkgs} failed:\n${install.out.slice(-2000)}`);
    for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await onPath(cmd))) throw new Error(`${cmd} is still missing after installing ${pkg}`);
    loss = await lossMethod();
  }

  if (opts.cuts) {
    const why = await cutUnavailable();
    if (why) throw new Error(`the partition case cuts hosts apart with a tc/BPF filter (clsact qdisc, cls_bpf), and ${why}`);
  }

  const ucarp = /ucarp [0-9.]+/.exec((await run(['ucarp', '--help'])).out)?.[0] ?? 'ucarp (version unknown)';
  const keepalived = /Keepalived v[0-9.]+/.exec((await run(['keepalived', '--version'])).out)?.[0] ?? 'keepalived (version unknown)';
  const head = (await run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'])).out.trim() || 'unknown commit';
  const dirty = (await run(['git', '-C', REPO, 'status', '--porcelain', '--', 'src'])).out.trim() !== '';
  let built = 'not built';
  try {
    const at = statSync(join(REPO, 'dist', 'cli.js')).mtimeMs;
    const stale = newestMtime(join(REPO, 'src')) > at ? ' (older than src/: run npm run build)' : '';
    built = `dist built ${new Date(at).toISOString()}${stale}`;
  } catch {
    // reported as not built
  }
  return {
    floatd: `${head}${dirty ? '+dirty' : ''}, ${built}`,
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    ucarp,
    keepalived,
    loss,
    lossNote:
      loss === 'netem' ? 'tc netem loss on the master veth (egress)'
      : loss === 'nft' ? "this kernel has no sch_netem: an nftables rule at the egress hook of the master's veth drops frames at random (numgen)"
      : 'no way to drop packets: neither sch_netem nor nft works here',
  };
}

// netem when the kernel has it, else nftables' random number generator; tried in a scratch namespace.
async function lossMethod(): Promise<LossMethod | undefined> {
  const ns = `fdb${randomBytes(2).toString('hex')}-loss`;
  const inNs = (...cmd: string[]) => run(['ip', 'netns', 'exec', ns, ...cmd]);
  try {
    if ((await run(['ip', 'netns', 'add', ns])).code !== 0) return undefined;
    // `name`: a bare "a" is read as ip(8)'s `address` keyword and no veth is made.
    if ((await run(['ip', '-n', ns, 'link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb'])).code !== 0) return undefined;
    await run(['ip', '-n', ns, 'link', 'set', 'va', 'up']);
    if ((await inNs(...lossCommand('va', 20, 'netem'))).code === 0) return 'netem';
    if (!(await onPath('nft'))) return undefined;
    return (await inNs(...lossCommand('va', 20, 'nft'))).code === 0 ? 'nft' : undefined;
  } finally {
    await run(['ip', 'netns', 'del', ns]);
  }
}

// Why a clsact qdisc with a classic-BPF filter cannot be set up (the partition case's cut), tried on a veth in
// a scratch namespace; undefined when it can.
async function cutUnavailable(): Promise<string | undefined> {
  const ns = `bq${randomBytes(2).toString('hex')}-cut`;
  const inNs = (...cmd: string[]) => run(['ip', 'netns', 'exec', ns, ...cmd]);
  try {
    if ((await run(['ip', 'netns', 'add', ns])).code !== 0) return 'cannot add a scratch namespace';
    // `name`, as above.
    const veth = await run(['ip', '-n', ns, 'link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    if (veth.code !== 0) return `cannot add a veth pair: ${veth.out.trim()}`;
    const qdisc = await inNs('tc', 'qdisc', 'add', 'dev', 'va', 'clsact');
    if (qdisc.code !== 0) return `tc qdisc add … clsact failed: ${qdisc.out.trim()}`;
    // One instruction: return -1 (TC_ACT_UNSPEC), i.e. let every packet through.
    const filter = await inNs('tc', 'filter', 'add', 'dev', 'va', 'egress', 'bpf', 'da', 'bytecode', '1,6 0 0 4294967295');
    return filter.code === 0 ? undefined : `tc filter add … bpf failed: ${filter.out.trim()}`;
  } finally {
    await run(['ip', 'netns', 'del', ns]);
  }
}

// The newest modification time of any file below `dir`.
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function onPath(cmd: string): Promise<boolean> {
  return (await run(['sh', '-c', `command -v ${cmd}`])).code === 0;
}
