// Fault: the master is stopped with SIGTERM and -z. It runs its down hooks while still advertising, drops
// the VIP, then sends a resign: the most preferred backup takes over after its skew alone. -r 10 makes the
// dead interval 2 s and more, so a takeover that waited for it would show.
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 34;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, deadratio: 10, shutdown: true, up: ['mark'], down: ['mark'] });
const [S1, S2, S3] = [spec(0), spec(50), spec(100)];
// A takeover through the resign must come well inside the 2 s dead interval (plus scheduling slack).
const RESIGN_WITHIN_MS = 1000;

describe.skipIf(unavailable !== undefined)(`fault: the master is stopped with SIGTERM and -z${skipNote}`, () => {
  let lab: Lab;
  let hosts: [LabHost, LabHost, LabHost];
  let agents: [AgentProcess, AgentProcess, AgentProcess];
  let startedAt = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    hosts = lab.hosts as [LabHost, LabHost, LabHost];
    startedAt = performance.now();
    const first = startAgent(lab, hosts[0], S1);
    await first.waitFor('h1 listening', isStarting);
    agents = [first, startAgent(lab, hosts[1], S2), startAgent(lab, hosts[2], S3)];
    await first.waitFor('h1 serving', isServing, { timeoutMs: masterDownMs(S1) + 5000 });
    await Promise.all([joined(agents[1]), joined(agents[2])]);
  });

  watchLab(() => lab);

  // Stops `from` with SIGTERM and checks that `to` takes over through the resign while `bystanders` stay put.
  const handOver = async (from: AgentProcess, to: AgentProcess, bystanders: AgentProcess[]) => {
    const since = to.mark();
    const bystanderMarks = bystanders.map((b) => b.mark());
    const sigtermAt = performance.now();
    from.kill('SIGTERM');
    const resign = await from.waitFor(`${from.host.name} resign`, (l) => l.event === 'resign');
    expect((await from.exited).code).toBe(0);
    const promoted = await to.waitFor(`${to.host.name} MASTER`, becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toBe(`master ${from.host.ip} resigned`);
    expect(promoted.at - resign.at, 'ms from the resign to the promotion').toBeLessThan(RESIGN_WITHIN_MS);
    expect(promoted.at - sigtermAt).toBeLessThan(masterDownMs(S1));
    await to.waitFor(`${to.host.name} serving`, isServing, { since });
    bystanders.forEach((b, i) => expect(transitions(b, bystanderMarks[i])).toEqual([]));
    expect(await lab.vipHolders(VIP)).toEqual([to.host.name]);
    // Stop-then-start: the old master's VIP went before the new master's arrived.
    expect(lab.addresses.changesSince(VIP, sigtermAt, from.host.name)).toEqual([`del ${from.host.name}`, `add ${to.host.name}`]);
  };

  it('hands over to the lowest-skew backup at once; the old master ran its down hooks before it left', async () => {
    await handOver(agents[0], agents[1], [agents[2]]);
    expect(markers(lab, hosts[0], VHID).at(-1)).toBe('down STOPPED previous=MASTER epoch=1 shutdown requested');
  });

  it('hands over again to the last node left', async () => {
    await handOver(agents[1], agents[2], []);
    expect(markers(lab, hosts[1], VHID).at(-1)).toBe('down STOPPED previous=MASTER epoch=2 shutdown requested');
  });

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    expect(lab.addresses.events.filter((e) => e.address === VIP && e.at >= startedAt).map((e) => `${e.op} ${e.host}`)).toEqual(['add h1', 'del h1', 'add h2', 'del h2', 'add h3']);
  });
});
