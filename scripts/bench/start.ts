// A start with every agent spawned at the same instant: how long until one holds the VIP, and for how long
// two do (ucarp's known weakness). Pairs as in the failover trials, and three nodes, where floatd runs with
// its quorum. The failover and partition cases stagger their starts instead.
import { performance } from 'node:perf_hooks';
import { sleep, type Lab } from '../../test/support/netns.js';
import { VIP, type Agent, type AgentFiles, type Impl } from './agents.js';
import { startAll, type GroupConfig } from './group.js';
import { clearVip } from './lab-tools.js';
import { additions, holdersAt, twoHolderMs } from './stats.js';
import { settle } from './trial.js';

export interface StartResult {
  impl: Impl;
  advbaseS: number;
  nodes: number;
  variant?: string;
  rep: number;
  electionMs?: number; // spawn of all → first VIP added
  twoHoldersMs?: number; // spawn → settled
  winner?: string;
  error?: string;
}

export async function runStart(lab: Lab, cfg: GroupConfig, files: AgentFiles, rep: number): Promise<StartResult> {
  const res: StartResult = { impl: cfg.impl, advbaseS: cfg.advbaseS, nodes: cfg.nodes.length, rep, ...(cfg.variant ? { variant: cfg.variant } : {}) };
  const events = lab.addresses.events;
  const advMs = cfg.advbaseS * 1000;
  const agents: Agent[] = [];
  try {
    const t0 = performance.now();
    startAll(lab, cfg, files, agents);
    const settled = await settle(lab, Math.max(600, 1.5 * advMs), 3 * advMs + 8000);
    if (!settled) throw new Error(`no single VIP holder (holders: ${[...holdersAt(events, VIP, Infinity)].join(', ') || 'none'})`);
    const first = additions(events, VIP, t0)[0];
    if (first) res.electionMs = first.at - t0;
    res.twoHoldersMs = twoHolderMs(events, VIP, t0, settled.at);
    res.winner = settled.holder.name;
  } catch (err) {
    res.error = `${(err as Error).message}\n${agents.map((a) => `--- ${a.impl} on ${a.host.name}:\n${a.tail()}`).join('\n')}`;
  } finally {
    for (const a of agents) a.crash();
    await Promise.race([Promise.all(agents.map((a) => a.exited)), sleep(3000)]);
    await clearVip(lab, VIP);
  }
  return res;
}
