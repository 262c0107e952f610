// The partition case: three nodes, the master cut off from the other two for a while, then
// healed. The cut is the quorum suite's tc/BPF filter at the bridge ports, so every link stays up and no
// agent sees a link loss: each side just stops hearing the other. Measured: how long two hosts held the
// VIP, when the majority side served, and whether (and when) the cut-off master let go.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLab, sleep, type Lab, type LabHost } from '../../test/support/netns.js';
import { healAll, split } from '../../test/netns/quorum/quorum-lab.js';
import { VIP, type Agent, type AgentFiles, type Impl } from './agents.js';
import { startGroup, type GroupConfig } from './group.js';
import { additions, holdersAt, twoHolderMs } from './stats.js';
import { settle } from './trial.js';

export interface PartitionResult {
  impl: Impl;
  advbaseS: number;
  variant?: string;
  rep: number;
  phase: number; // where in the advert interval the cut began, as a fraction of it (after settling)
  cutMs?: number; // how long the cut lasted
  master?: string; // the host cut off alone: it held the VIP when the cut began
  majorityServesMs?: number; // cut → a host of the majority side added the VIP
  letGoMs?: number; // cut → the cut-off master removed the VIP (more than cutMs: only after the heal)
  twoHoldersMs?: number; // cut → one holder again after the heal
  twoHoldersCutMs?: number; // of that, during the cut
  stillTwoHolders?: boolean; // two holders still when the window after the heal ended
  finalHolder?: string;
  heldAtHeal?: string[]; // `ip -4 addr` in every namespace just before the heal
  recorderAgrees?: boolean; // … and the address recorder said the same
  load1?: number;
  error?: string;
}

interface Running {
  cfg: GroupConfig;
  lab: Lab;
  agents: Agent[];
  res: PartitionResult;
  master?: LabHost;
  cutAt?: number;
  healAt?: number;
}

const tails = (agents: readonly Agent[]) => agents.map((a) => `--- ${a.impl} on ${a.host.name}:\n${a.tail()}`).join('\n');

// One round: every config in its own lab, side by side; all settled groups are cut at once for `cutMs`,
// healed at once, and watched until one host holds the VIP again. All configs share one advert interval.
export async function partitionRound(configs: readonly GroupConfig[], files: AgentFiles, rep: number, phase: number, cutMs: number): Promise<PartitionResult[]> {
  const advMs = Math.max(...configs.map((c) => c.advbaseS)) * 1000;
  const runs: Running[] = [];
  try {
    for (const cfg of configs) {
      const res: PartitionResult = { impl: cfg.impl, advbaseS: cfg.advbaseS, rep, phase, ...(cfg.variant ? { variant: cfg.variant } : {}) };
      runs.push({ cfg, lab: await createLab({ hosts: cfg.nodes.length }), agents: [], res });
    }
    await Promise.all(runs.map((r) => prepare(r, files)));
    const ready = runs.filter((r) => r.res.error === undefined);
    if (ready.length === 0) return runs.map((r) => r.res);
    await sleep(phase * advMs);

    await Promise.all(ready.map((r) => cut(r)));
    const first = Math.min(...ready.map((r) => r.cutAt ?? Infinity));
    await sleep(Math.max(0, first + cutMs - performance.now()));
    await Promise.all(ready.map((r) => heal(r)));
    await Promise.all(ready.filter((r) => r.res.error === undefined).map((r) => watchAfterHeal(r)));
  } finally {
    for (const r of runs) for (const a of r.agents) a.crash();
    await Promise.race([Promise.all(runs.flatMap((r) => r.agents.map((a) => a.exited))), sleep(3000)]);
    for (const r of runs) {
      await r.lab.teardown();
      const left = r.lab.leftovers();
      if (left.length) r.res.error = `${r.res.error ?? ''}lab ${r.lab.prefix} left behind: ${left.join(', ')}`;
    }
  }
  const load1 = loadavg()[0];
  return runs.map((r) => ({ ...r.res, load1 }));
}

// Start the group (h1 first, so h1 is the master) and wait until one host has held the VIP, unchanged,
// for a while; the quiet time also lets a quorum's leases and a backup's timers run at their steady pace.
async function prepare(r: Running, files: AgentFiles): Promise<void> {
  const advMs = r.cfg.advbaseS * 1000;
  try {
    await startGroup(r.lab, r.cfg, files, r.agents);
    const settled = await settle(r.lab, Math.max(1000, 2 * advMs), 3 * advMs + 15_000);
    if (!settled) throw new Error(`no single VIP holder (holders: ${[...holdersAt(r.lab.addresses.events, VIP, Infinity)].join(', ') || 'none'})`);
    const dead = r.agents.find((a) => !a.alive());
    if (dead) throw new Error(`${dead.impl} on ${dead.host.name} exited during the start`);
    r.master = settled.holder;
    r.res.master = settled.holder.name;
  } catch (err) {
    r.res.error = `${(err as Error).message}\n${tails(r.agents)}`;
  }
}

// {master} | {the others}: neither side hears the other; links, ARP and each side's own traffic are untouched.
async function cut(r: Running): Promise<void> {
  const master = r.master as LabHost;
  const others = r.lab.hosts.filter((h) => h !== master);
  r.cutAt = performance.now();
  await split(r.lab, [[master], others]).catch((err: Error) => (r.res.error = `cannot cut: ${err.message}`));
}

// Reads every namespace's addresses before the heal, as a check on the recorder's view of the holders.
async function heal(r: Running): Promise<void> {
  const held = await r.lab.vipHolders(VIP);
  const recorded = [...holdersAt(r.lab.addresses.events, VIP, Infinity)].sort();
  r.res.heldAtHeal = held;
  r.res.recorderAgrees = held.join() === recorded.join();
  r.healAt = performance.now();
  await healAll(r.lab).catch((err: Error) => (r.res.error = `cannot heal: ${err.message}`));
}

// After the heal two masters hear each other and one steps down within an advert interval (ucarp and VRRP:
// the preferred one stays; floatd: the newer epoch); the window ends once one host has held the VIP for a while.
async function watchAfterHeal(r: Running): Promise<void> {
  const advMs = r.cfg.advbaseS * 1000;
  const events = r.lab.addresses.events;
  const { cutAt = 0, healAt = 0 } = r;
  const master = r.res.master;
  const settled = await settle(r.lab, Math.max(600, 1.5 * advMs), 4 * advMs + 4000);
  const end = settled?.at ?? performance.now();
  const res = r.res;
  res.cutMs = healAt - cutAt;
  res.twoHoldersMs = twoHolderMs(events, VIP, cutAt, end);
  res.twoHoldersCutMs = twoHolderMs(events, VIP, cutAt, healAt);
  res.stillTwoHolders = holdersAt(events, VIP, Infinity).size >= 2;
  const served = additions(events, VIP, cutAt).find((e) => e.host !== master);
  if (served) res.majorityServesMs = served.at - cutAt;
  const letGo = events.find((e) => e.address === VIP && e.op === 'del' && e.host === master && e.at > cutAt);
  if (letGo) res.letGoMs = letGo.at - cutAt;
  const final = [...holdersAt(events, VIP, Infinity)];
  if (final.length === 1) res.finalHolder = final[0];
  const dead = r.agents.find((a) => !a.alive());
  if (dead) res.error = `${dead.impl} on ${dead.host.name} exited during the partition\n${tails(r.agents)}`;
}
