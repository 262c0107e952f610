// Partitions between groups of lab hosts, one way or both, made with tc at the hosts' bridge ports: a
// host's port drops, on the way to the host, every packet whose IPv4 source is a host it must not hear.
// Hosts inside one group still hear each other (a real 2|3 split, not each host alone).
import { execFile } from 'node:child_process';
import type { Lab, LabHost } from '../../support/netns.js';

// Classic BPF for cls_bpf in direct-action mode: load the IPv4 source word (Ethernet 14 + 12), compare it with
// each address to drop (2 = TC_ACT_SHOT), else -1 (TC_ACT_UNSPEC: carry on).
function dropFrom(ips: readonly string[]): string {
  const words = ips.map((ip) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0));
  const ops = ['32 0 0 26', ...words.map((w, i) => `21 ${words.length - i} 0 ${w}`), '6 0 0 4294967295', '6 0 0 2'];
  return `${ops.length},${ops.join(',')}`;
}

// `host` stops hearing every host in `from` (its own sending is untouched).
export async function deafen(lab: Lab, host: LabHost, from: readonly LabHost[]): Promise<void> {
  const port = lab.bridgePort(host);
  await tc(['qdisc', 'replace', 'dev', port, 'clsact']);
  await tc(['filter', 'replace', 'dev', port, 'egress', 'prio', '1', 'handle', '1', 'bpf', 'da', 'bytecode', dropFrom(from.map((h) => h.ip))]);
}

// Cuts the lab into `groups`: nobody hears a host of another group.
export async function split(lab: Lab, groups: readonly (readonly LabHost[])[]): Promise<void> {
  for (const g of groups) {
    const others = groups.filter((x) => x !== g).flat();
    for (const h of g) await deafen(lab, h, others);
  }
}

// Every host hears every other again.
export async function healAll(lab: Lab): Promise<void> {
  for (const h of lab.hosts) await tc(['qdisc', 'del', 'dev', lab.bridgePort(h), 'clsact']).catch(() => undefined);
}

function tc(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('tc', args, { timeout: 10_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`tc ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve())),
  );
}
