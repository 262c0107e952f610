// n agents of one kind on the first n hosts of a lab: what the partition case and the three-node starts
// run. A failover pair is the group of two (trial.ts maps it).
import { startAgent, type Agent, type AgentFiles, type Impl, type Timers } from './agents.js';
import type { Lab } from '../../test/support/netns.js';

export interface GroupConfig {
  impl: Impl;
  advbaseS: number;
  nodes: Timers[]; // one per host, h1 first
  variant?: string; // a label for a non-default setting, e.g. "--nodes 3"
  floatdArgs?: string[]; // extra floatd flags for every node
}

// The label of floatd's rows with a quorum (three nodes, --nodes 3); the zero-overlap targets apply to them.
export const QUORUM_VARIANT = '--nodes 3';

// Skew steps between neighbours: the pair's -k 0 / -k 10, continued (-k 20 for a third node).
const SKEW_STEP = 10;

// n nodes at one interval, h1 the preferred one.
export function group(impl: Impl, advbaseS: number, n: number, variant?: string, floatdArgs?: string[]): GroupConfig {
  return {
    impl,
    advbaseS,
    nodes: Array.from({ length: n }, (_, i) => ({ advbaseS, advskew: i * SKEW_STEP })),
    ...(variant ? { variant } : {}),
    ...(floatdArgs ? { floatdArgs } : {}),
  };
}

// The preferred node first, the others as soon as it has joined as BACKUP. Spawned at the very same moment,
// Node's start-up jitter (±100 ms) would exceed the 39 ms between two skews at 1 s and decide at random which
// node wins (the race docs/election.md describes); the failover and partition cases need h1 to win.
export async function startGroup(lab: Lab, cfg: GroupConfig, files: AgentFiles, agents: Agent[]): Promise<void> {
  const hosts = lab.hosts.slice(0, cfg.nodes.length);
  if (hosts.length < cfg.nodes.length) throw new Error(`${cfg.impl}: ${cfg.nodes.length} nodes need as many lab hosts, the lab has ${lab.hosts.length}`);
  const [first, ...rest] = hosts.map((h, i) => () => startAgent(cfg.impl, lab, h, cfg.nodes[i] as Timers, files, cfg.floatdArgs));
  if (!first) return;
  const a = first();
  agents.push(a);
  if (!(await a.ready(5000))) throw new Error(`${cfg.impl} on h1 did not join as BACKUP within 5 s`);
  for (const next of rest) agents.push(next());
}

// Every node spawned at the same instant (the start-together case).
export function startAll(lab: Lab, cfg: GroupConfig, files: AgentFiles, agents: Agent[]): void {
  cfg.nodes.forEach((t, i) => {
    const host = lab.hosts[i];
    if (!host) throw new Error(`${cfg.impl}: ${cfg.nodes.length} nodes need as many lab hosts, the lab has ${lab.hosts.length}`);
    agents.push(startAgent(cfg.impl, lab, host, t, files, cfg.floatdArgs));
  });
}
