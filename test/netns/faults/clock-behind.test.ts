// Fault: a node restarts with its wall clock behind and its state file gone (a reboot that wipes /run,
// RTC behind, NTP not yet synced). Its sequence numbers are then below the marks its peers keep for it, so
// its adverts are "behind". Before floatd let behind adverts hold a node back, the peers dropped them as
// stale: when the current master died, the restarted node and another backup both became MASTER at the
// same epoch and both held the VIP. Three hosts; h1 is the restarted one.
//
// The clock is not touched: h1's first run starts from a state-file floor an hour ahead (what its peers
// would have seen had its clock been an hour fast), and its second run has no state file, so its seq is
// the wall clock again — an hour below what its peers accepted from it, as after a clock set back.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, follows, holdSpans, isServing, isStarting, joined, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 36;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, shutdown: true });
// h1 (the restarted node) is preferred over h3, so when h2 dies h1 promotes first and h3 must follow it.
const [S1, S2, S3] = [spec(50), spec(100), spec(150)];
const HOUR_US = 3600n * 1_000_000n;

describe.skipIf(unavailable !== undefined)(`fault: a node restarted with its clock behind and no state file${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let h3: LabHost;
  let x: AgentProcess; // h1
  let y: AgentProcess; // h2
  let m: AgentProcess; // h3
  let secondDeathAt = 0;

  const stateFile = (host: LabHost) => join(lab.dir, `${host.name}-vhid${VHID}.json`);
  // A host death as its peers see it: the agent is gone and so is the VIP on the host's link.
  const die = async (agent: AgentProcess) => {
    agent.kill('SIGKILL');
    await agent.exited;
    const r = await lab.exec(agent.host, ['ip', 'addr', 'del', `${VIP}/32`, 'dev', agent.host.iface]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
  });

  watchLab(() => lab);

  it('h1 masters first with sequence numbers an hour ahead; h2 and h3 follow it and keep those as its marks', async () => {
    const ahead = (BigInt(Date.now()) * 1000n + HOUR_US).toString();
    writeFileSync(stateFile(h1), JSON.stringify({ state: 'STOPPED', maxEpochSeen: 0, seqFloor: ahead }));
    x = startAgent(lab, h1, S1);
    await x.waitFor('h1 serving', isServing, { timeoutMs: 5000 });
    y = startAgent(lab, h2, S2);
    m = startAgent(lab, h3, S3);
    await Promise.all([joined(y), joined(m)]);
    await Promise.all([follows(y, h1), follows(m, h1)]);
  });

  it('h1 dies, h2 takes over; h1 comes back with its state file gone, so its seq is an hour below its marks', async () => {
    const since = y.mark();
    await die(x);
    await y.waitFor('h2 serving', isServing, { since, timeoutMs: 5000 });
    rmSync(stateFile(h1));
    const markM = m.mark();
    x = startAgent(lab, h1, S1);
    await x.waitFor('h1 listening', isStarting);
    await joined(x);
    await follows(x, h2);
    expect(transitions(m, markM)).toEqual([]);
  });

  it('when h2 dies, h1 promotes and h3 follows its behind adverts instead of promoting too', async () => {
    const since = [x.mark(), m.mark()] as const;
    secondDeathAt = performance.now();
    await die(y);
    const promoted = await x.waitFor('h1 MASTER', becomes('MASTER'), { since: since[0], timeoutMs: 5000 });
    expect(promoted.epoch).toBe(3);
    await x.waitFor('h1 serving', isServing, { since: since[0] });
    await sleep(3 * masterDownMs(S3));
    expect(transitions(m, since[1]).map((l) => `${String(l.state)} ${String(l.reason)}`)).toEqual([]);
    expect(holdSpans(lab.addresses.events, VIP, secondDeathAt).filter((s) => s.holders.length > 1)).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    await follows(m, h1);
    // h3 saw h1's adverts as behind (one rate-limited warning) and followed them.
    const warned = m.lines.slice(since[1]).find((l) => l.drop === 'behind' && l.from === h1.ip);
    expect(warned?.msg).toMatch(/never make it master/);
  });

  it('a behind resign hands nothing over: when h1 stops, h3 waits out its master-down interval, then serves alone', async () => {
    const since = m.mark();
    x.kill('SIGTERM');
    await x.exited;
    const promoted = await m.waitFor('h3 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11 for /);
    await m.waitFor('h3 serving', isServing, { since });
    expect(await lab.vipHolders(VIP)).toEqual(['h3']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
