// Fault: the master's agent is killed with SIGKILL. The most preferred backup takes over after the
// master-down interval; the killed agent's host keeps the VIP until floatd restarts there (docs/operations.md).
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, waitUntil, type AgentProcess, type Lab, type LabHost, watchLab, expectOnlyKillOverlap } from '../../support/netns.js';
import { advertIntervalMs, becomes, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 31;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, up: ['mark'], down: ['mark'] });
const SPECS = [spec(0), spec(50), spec(100)] as const;

describe.skipIf(unavailable !== undefined)(`fault: the master is killed with SIGKILL${skipNote}`, () => {
  let lab: Lab;
  let hosts: LabHost[];
  const agents: AgentProcess[] = [];
  let killedAt = 0;
  let restartedAt = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    hosts = lab.hosts;
  });

  watchLab(() => lab);

  it('elects the lowest-skew node, which holds the VIP alone', async () => {
    const [h1, h2, h3] = hosts as [LabHost, LabHost, LabHost];
    agents.push(startAgent(lab, h1, SPECS[0]));
    await agents[0]!.waitFor('h1 listening', isStarting);
    agents.push(startAgent(lab, h2, SPECS[1]), startAgent(lab, h3, SPECS[2]));
    await agents[0]!.waitFor('h1 serving', isServing);
    await Promise.all(agents.slice(1).map((a) => joined(a)));
    expect(agents.map((a) => a.state)).toEqual(['MASTER', 'BACKUP', 'BACKUP']);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
  });

  it('promotes the next preferred backup after the master-down interval; the killed host keeps its VIP', async () => {
    const [first, second, third] = agents as [AgentProcess, AgentProcess, AgentProcess];
    const since = [second.mark(), third.mark()] as const;
    killedAt = performance.now();
    first.kill('SIGKILL');
    await first.exited;

    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[0], timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11 for /);
    // h1's last advert burst began at most one advert interval before the kill.
    expect(promoted.at - killedAt).toBeGreaterThan(masterDownMs(SPECS[1]) - advertIntervalMs(SPECS[0]));
    await second.waitFor('h2 serving', isServing, { since: since[0] });
    expect(transitions(third, since[1])).toEqual([]);
    // The documented exception: nothing on h1 removes its VIP while its agent is dead.
    expect(await lab.vipHolders(VIP)).toEqual(['h1', 'h2']);
    expect(markers(lab, hosts[0]!, VHID).filter((l) => l.startsWith('down MASTER'))).toEqual([]);
  });

  it('removes the stale VIP when floatd restarts on the killed host, which rejoins as BACKUP (no -P)', async () => {
    const [h1] = hosts as [LabHost];
    restartedAt = performance.now();
    const restarted = startAgent(lab, h1, SPECS[0]);
    agents.push(restarted);
    const removed = await joined(restarted);
    expect(removed.changed).toBe(true);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    // The restart ran the down hooks of INIT → BACKUP (ucarp runs its down script at start).
    expect(markers(lab, h1, VHID).at(-1)).toMatch(/^down BACKUP previous=INIT epoch=1 started$/);

    await sleep(3 * masterDownMs(SPECS[0]));
    expect(transitions(restarted).map((l) => l.state)).toEqual(['BACKUP']);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('had the VIP on two hosts only from the SIGKILL until the restarted agent removed it', async () => {
    await waitUntil('the address recorder to catch up', () => lab.addresses.holders(VIP).join() === 'h2');
    expectOnlyKillOverlap(lab, VIP, { host: 'h1', other: 'h2', killedAt, restartedAt });
  });
});
