// Cuts between lab hosts made with tc at their bridge ports (the root-namespace end of each host's veth):
// a port drops, on its way to the host, every IPv4 packet whose source is an address the host must not hear.
// The links stay up and the host's own sending is untouched, so a cut looks to every daemon like a silent
// network, not a dead interface. Only IPv4 is matched: ARP still passes.
import { execFile } from 'node:child_process';

// Classic BPF for cls_bpf in direct-action mode: load the IPv4 source word (Ethernet 14 + 12), compare it with
// each address to drop (2 = TC_ACT_SHOT), else -1 (TC_ACT_UNSPEC: carry on).
function dropFrom(ips: readonly string[]): string {
  const words = ips.map((ip) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0));
  const ops = ['32 0 0 26', ...words.map((w, i) => `21 ${words.length - i} 0 ${w}`), '6 0 0 4294967295', '6 0 0 2'];
  return `${ops.length},${ops.join(',')}`;
}

// The host behind bridge port `port` stops hearing every address in `from` (replaces an earlier cut there).
export async function deafenPort(port: string, from: readonly string[]): Promise<void> {
  await tc(['qdisc', 'replace', 'dev', port, 'clsact']);
  await tc(['filter', 'replace', 'dev', port, 'egress', 'prio', '1', 'handle', '1', 'bpf', 'da', 'bytecode', dropFrom(from)]);
}

// The host behind `port` hears everyone again (nothing to undo is fine).
export async function healPort(port: string): Promise<void> {
  await tc(['qdisc', 'del', 'dev', port, 'clsact']).catch(() => undefined);
}

function tc(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('tc', args, { timeout: 10_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`tc ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve())),
  );
}
