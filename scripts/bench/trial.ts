// One measured trial: start a fresh pair, let it elect and settle, apply one fault to the master, and
// time what the observer's client sees. Every trial starts from a clean lab and leaves one behind.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { sleep, type Lab, type LabHost } from '../../test/support/netns.js';
import { VIP, type Agent, type AgentFiles, type Impl, type Timers } from './agents.js';
import { startGroup, type GroupConfig } from './group.js';
import { clearVip, setLink, type ClientProbe } from './lab-tools.js';
import { additions, holdersAt, lastChange, twoHolderMs } from './stats.js';
import { measureWallOffset, milestones, type Milestones } from './steps.js';

// kill: SIGKILL of the master agent (its host stays up); cut: the master's cable pulled (its bridge port
// down); stop: SIGTERM (floatd and ucarp with -z, keepalived as it is).
export type Fault = 'kill' | 'cut' | 'stop';
export const FAULTS: readonly Fault[] = ['kill', 'cut', 'stop'];

// A pair as the bench runs it: the preferred node on h1, the backup on h2.
export interface PairConfig {
  impl: Impl;
  advbaseS: number;
  master: Timers;
  backup: Timers;
  variant?: string; // a label for a non-default setting, e.g. "-k 1"
  floatdArgs?: string[]; // extra floatd flags for both nodes
}

export interface TrialResult {
  impl: Impl;
  advbaseS: number;
  variant?: string;
  fault: Fault;
  rep: number;
  phase: number; // where in the advert interval the fault hit, as a fraction of it (after settling)
  master?: string; // the host that held the VIP when the fault hit
  electionMs?: number; // start of the first agent → first VIP added anywhere
  startTwoHoldersMs?: number; // start → settled
  failoverMs?: number; // fault → first answer from the new master's MAC (the client-visible figure)
  vipAddedMs?: number; // fault → the new master added the VIP (address monitor)
  promotion?: string; // floatd: the reason the new master logged
  faultTwoHoldersMs?: number; // fault → the old master let go (or the window ended)
  stillTwoHolders?: boolean; // the old master still held the VIP when the window ended
  load1?: number; // the machine's 1-minute load average after the trial (others' tests disturb the figures)
  steps?: Milestones; // ms after the fault at which each step was reached (steps.ts)
  log?: string[]; // both agents' lines from the fault on ("+ms host text"), to check the steps by eye
  error?: string;
}

export interface TrialLab {
  lab: Lab;
  probe: ClientProbe;
  files: AgentFiles;
  ports: Map<string, string>; // host name → its bridge port
}

// Waits until exactly one host has held the VIP, unchanged, for `quietMs` (and, with a probe, until the
// observer's client is answered by that host). Resolves with the holder, or undefined at the timeout.
export async function settle(lab: Lab, quietMs: number, timeoutMs: number, probe?: ClientProbe): Promise<{ holder: LabHost; at: number } | undefined> {
  const deadline = performance.now() + timeoutMs;
  const events = lab.addresses.events;
  while (performance.now() < deadline) {
    const held = [...holdersAt(events, VIP, Infinity)];
    const now = performance.now();
    const holder = held.length === 1 ? lab.hosts.find((h) => h.name === held[0]) : undefined;
    if (holder && now - lastChange(events, VIP, Infinity) >= quietMs && (!probe || probe.current === holder.mac)) return { holder, at: now };
    await sleep(20);
  }
  return undefined;
}

// The pair as a group of two: the preferred node on h1, started first (group.ts says why).
export function pairAsGroup(cfg: PairConfig): GroupConfig {
  return { impl: cfg.impl, advbaseS: cfg.advbaseS, nodes: [cfg.master, cfg.backup], ...(cfg.variant ? { variant: cfg.variant } : {}), ...(cfg.floatdArgs ? { floatdArgs: cfg.floatdArgs } : {}) };
}

export function startPair(lab: Lab, cfg: PairConfig, files: AgentFiles, agents: Agent[]): Promise<void> {
  return startGroup(lab, pairAsGroup(cfg), files, agents);
}

// `phase` (0–1) delays the fault by that fraction of the advert interval after the pair settled: without it
// the fault would always hit at the same point of the advert cycle (settling is deterministic), and each
// agent's figures would depend on where that point happens to fall rather than on the agent.
export async function runTrial(t: TrialLab, cfg: PairConfig, fault: Fault, rep: number, phase: number): Promise<TrialResult> {
  const res: TrialResult = { impl: cfg.impl, advbaseS: cfg.advbaseS, fault, rep, phase, ...(cfg.variant ? { variant: cfg.variant } : {}) };
  const { lab, probe } = t;
  const events = lab.addresses.events;
  const advMs = cfg.advbaseS * 1000;
  const agents: Agent[] = [];
  let cut: string | undefined;
  try {
    const t0 = performance.now();
    await startPair(lab, cfg, t.files, agents);
    // Settled: one holder, unchanged for a while, answering the client; the backup has had time to hear it.
    const settled = await settle(lab, Math.max(600, 1.5 * advMs), 3 * advMs + 8000, probe);
    if (!settled) throw new Error(`no single VIP holder answering the observer (holders: ${[...holdersAt(events, VIP, Infinity)].join(', ') || 'none'})`);
    const dead = agents.find((a) => !a.alive());
    if (dead) throw new Error(`${dead.impl} on ${dead.host.name} exited during the start`);
    const first = additions(events, VIP, t0)[0];
    res.electionMs = first ? first.at - t0 : undefined;
    res.startTwoHoldersMs = twoHolderMs(events, VIP, t0, settled.at);
    const old = agents.find((a) => a.host === settled.holder) as Agent;
    const next = agents.find((a) => a !== old) as Agent;
    res.master = old.host.name;

    await sleep(phase * advMs);
    const wallOffset = measureWallOffset(() => performance.now(), Date.now);
    const tf = performance.now();
    if (fault === 'kill') old.crash();
    else if (fault === 'stop') old.signal('SIGTERM');
    else await setLink((cut = t.ports.get(old.host.name) ?? ''), false);

    const answer = await probe.first(next.host.mac, tf, 3 * advMs + 4000);
    if (!answer) throw new Error(`the observer got no answer from ${next.host.name} after the fault`);
    res.failoverMs = answer.at - tf;
    const added = additions(events, VIP, tf).find((e) => e.host === next.host.name);
    if (added) res.vipAddedMs = added.at - tf;

    // After SIGKILL the old host keeps the VIP (true of all three); otherwise wait for it to let go.
    let end = performance.now();
    if (fault !== 'kill') {
      const until = end + Math.max(2000, 4 * advMs);
      const alone = () => {
        const held = holdersAt(events, VIP, Infinity);
        return held.size === 1 && held.has(next.host.name);
      };
      while (!alone() && performance.now() < until) await sleep(10);
      end = performance.now();
      res.stillTwoHolders = !alone();
    }
    res.faultTwoHoldersMs = twoHolderMs(events, VIP, tf, end);
    if (fault === 'stop') await Promise.race([old.exited, sleep(3000)]);
    // The new master's last lines of the takeover may still be in the pipe.
    await sleep(50);
    const [oldLines, newLines] = [old.journal(), next.journal()];
    res.steps = milestones({ impl: cfg.impl, fault, faultAt: tf, clientAt: answer.at, oldLines, newLines, oldHost: old.host.name, newHost: next.host.name, addresses: events, vip: VIP, wallOffset });
    // Both agents' lines from the fault on, to check the steps by eye (floatd's at its own wall time).
    const tagged = [...oldLines.map((l) => ({ ...l, host: old.host.name })), ...newLines.map((l) => ({ ...l, host: next.host.name }))].map((l) => ({ ...l, at: typeof l.fields?.time === 'number' ? l.fields.time + 0.5 - wallOffset : l.at }));
    res.log = tagged.filter((l) => l.at >= tf - 1).sort((a, b) => a.at - b.at).map((l) => `+${(l.at - tf).toFixed(1)} ${l.host} ${l.text}${typeof l.fields?.timerLateMs === 'number' ? ` (timerLateMs ${l.fields.timerLateMs})` : ''}`);
    const why = next.promotion?.();
    if (why) res.promotion = why;
  } catch (err) {
    res.error = `${(err as Error).message}\n${agents.map((a) => `--- ${a.impl} on ${a.host.name}:\n${a.tail()}`).join('\n')}`;
  } finally {
    for (const a of agents) a.crash();
    await Promise.race([Promise.all(agents.map((a) => a.exited)), sleep(3000)]);
    if (cut) await setLink(cut, true);
    await clearVip(lab, VIP);
  }
  res.load1 = loadavg()[0];
  return res;
}
