// The quorum suites' lab: agents started with --nodes, and partitions between groups of hosts, one way or
// both, made with tc at the hosts' bridge ports: a host's port drops, on the way to the host, every packet
// whose IPv4 source is a host it must not hear. Hosts inside one group still hear each other (a real 2|3
// split, not each host alone).
import { createLab, type AgentProcess, type Lab, type LabHost } from '../../support/netns.js';
import { deafenPort, healPort } from '../../support/tc-cut.js';
import { expect } from 'vitest';
import { agentArgs, becomes, isServing, isStarting, joined, markers, startAgent, type AgentSpec } from '../faults/fault-lab.js';

// -b 0.2 with skews 0, 50, 100, …: a hold of 600 ms, a lease of 488 ms, a guard of 100 ms.
export function quorumSpecs(n: number, vhid: number, vip: string): AgentSpec[] {
  return Array.from({ length: n }, (_, i) => ({ vhid, vip, advbase: 0.2, advskew: i * 50, up: ['mark'], down: ['mark'], extra: ['--nodes', String(n)] }));
}

// A lab of n hosts, h1 started first (so it is the master), the others joined as its backups.
export async function quorumLab(n: number, specs: AgentSpec[]): Promise<{ lab: Lab; agents: AgentProcess[] }> {
  const lab = await createLab({ hosts: n });
  const first = startAgent(lab, lab.hosts[0]!, specs[0]!);
  await first.waitFor('h1 listening', isStarting);
  const agents = [first, ...lab.hosts.slice(1).map((h, i) => startAgent(lab, h, specs[i + 1]!))];
  await first.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
  await Promise.all(agents.slice(1).map((a) => joined(a)));
  return { lab, agents };
}

// A master that lost its majority since line `since` let go in order: the VIP dropped at once, then its
// down hooks (the mark fixture records them), then BACKUP with the reason said.
export async function expectLetGo(lab: Lab, agent: AgentProcess, since: number, vhid: number): Promise<void> {
  const dropped = await agent.waitFor('VIP dropped at once', (l) => l.event === 'vip' && l.op === 'remove' && l.immediate === true, { since });
  const released = await agent.waitFor('released to BACKUP', becomes('BACKUP'), { since });
  expect(released.reason).toMatch(/^lost the quorum: fewer than \d+ voters support this node \(\d+ now\)$/);
  expect(agent.lines.indexOf(dropped)).toBeLessThan(agent.lines.indexOf(released));
  expect(markers(lab, agent.host, vhid).at(-1)).toMatch(/^down BACKUP previous=MASTER epoch=\d+ lost the quorum/);
}

// `floatd witness` on `host`: the agent's arguments without the VIP and the hooks.
export function startWitness(lab: Lab, host: LabHost, spec: AgentSpec): AgentProcess {
  const args = agentArgs(lab, host, { ...spec, up: [], down: [] });
  const drop = (flag: string) => {
    const i = args.indexOf(flag);
    if (i >= 0) args.splice(i, 2);
  };
  for (const flag of ['-a', '--hooks-dir']) drop(flag);
  return lab.spawnAgent(host, ['witness', ...args]);
}

// `host` stops hearing every host in `from` (its own sending is untouched).
export async function deafen(lab: Lab, host: LabHost, from: readonly LabHost[]): Promise<void> {
  await deafenPort(lab.bridgePort(host), from.map((h) => h.ip));
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
  for (const h of lab.hosts) await healPort(lab.bridgePort(h));
}
