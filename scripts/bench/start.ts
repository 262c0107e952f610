// The start of a pair with both agents spawned at the same instant: how long until one holds the VIP,
// and for how long two do (ucarp's known weakness). The failover trials stagger their starts instead.
import { performance } from 'node:perf_hooks';
import { sleep, type Lab, type LabHost } from '../../test/support/netns.js';
import { startAgent, VIP, type Agent, type AgentFiles, type Impl } from './agents.js';
import { clearVip } from './lab-tools.js';
import { additions, holdersAt, twoHolderMs } from './stats.js';
import { settle, type PairConfig } from './trial.js';

export interface StartResult {
  impl: Impl;
  advbaseS: number;
  rep: number;
  electionMs?: number; // spawn of both → first VIP added
  twoHoldersMs?: number; // spawn → settled
  winner?: string;
  error?: string;
}

export async function runStart(lab: Lab, cfg: PairConfig, files: AgentFiles, rep: number): Promise<StartResult> {
  const res: StartResult = { impl: cfg.impl, advbaseS: cfg.advbaseS, rep };
  const [h1, h2] = lab.hosts as [LabHost, LabHost];
  const events = lab.addresses.events;
  const advMs = cfg.advbaseS * 1000;
  const agents: Agent[] = [];
  try {
    const t0 = performance.now();
    agents.push(startAgent(cfg.impl, lab, h1, cfg.master, files), startAgent(cfg.impl, lab, h2, cfg.backup, files));
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
