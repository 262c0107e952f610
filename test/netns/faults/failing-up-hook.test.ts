// Fault: the preferred node's up hook fails. It gives the VIP up in order (down hooks while still
// advertising, VIP removed, then a resign), the next node takes over and serves, and the failing node stays
// out of the election for its --cooldown even where its skew would make it first (docs/hooks.md).
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, follows, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 43;
const COOLDOWN_MS = 6000;
const spec = (advskew: number, up: AgentSpec['up']): AgentSpec => ({
  vhid: VHID, vip: VIP, advbase: 0.2, advskew, shutdown: true, cooldown: COOLDOWN_MS / 1000, up, down: ['mark'],
});
const [S1, S2, S3] = [spec(0, ['fail']), spec(50, ['mark']), spec(100, ['mark'])];

describe.skipIf(unavailable !== undefined)(`fault: a failing up hook on the preferred node${skipNote}`, () => {
  let lab: Lab;
  let hosts: [LabHost, LabHost, LabHost];
  let agents: [AgentProcess, AgentProcess, AgentProcess];
  let failedAt = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    hosts = lab.hosts as [LabHost, LabHost, LabHost];
  });

  watchLab(() => lab);

  it('the failing node releases in order and resigns; the next node takes over and serves', async () => {
    // h2 leads first, so h1 joins as a backup and promotes on h2's resign, with h3 already listening.
    const h2 = startAgent(lab, hosts[1], S2);
    await h2.waitFor('h2 listening', isStarting);
    const h3 = startAgent(lab, hosts[2], S3);
    await h2.waitFor('h2 serving', isServing);
    await joined(h3);
    const h1 = startAgent(lab, hosts[0], S1);
    await joined(h1);
    await follows(h1, hosts[1]);
    agents = [h1, h2, h3];

    h2.kill('SIGTERM');
    const claimed = await h1.waitFor('h1 MASTER', becomes('MASTER'));
    expect(claimed.reason).toBe('master 198.51.100.12 resigned');
    const releasing = await h1.waitFor('h1 RELEASING', becomes('RELEASING'));
    failedAt = releasing.at;
    expect(releasing.reason).toMatch(/^up hook failed: \S+\/up\.d\/10-fail exited 1$/);
    await h1.waitFor('h1 resign', (l) => l.event === 'resign');
    await h1.waitFor('h1 BACKUP', becomes('BACKUP'), { since: h1.lines.indexOf(releasing) });
    expect(markers(lab, hosts[0], VHID).at(-1)).toBe(`down BACKUP previous=MASTER epoch=${String(claimed.epoch)} ${String(releasing.reason)}`);

    const promoted = await h3.waitFor('h3 MASTER', becomes('MASTER'));
    expect(promoted.reason).toBe('master 198.51.100.11 resigned');
    await h3.waitFor('h3 serving', isServing);
    expect((await h2.exited).code).toBe(0);
    expect(await lab.vipHolders(VIP)).toEqual(['h3']);
  });

  it('stays out for its cooldown: when the master resigns, the slower h2 takes over instead of h1', async () => {
    const [h1, , h3] = agents;
    const h2 = startAgent(lab, hosts[1], S2);
    agents[1] = h2;
    await joined(h2);
    await follows(h2, hosts[2]);
    expect(performance.now() - failedAt, 'cooldown time left for the handover').toBeLessThan(COOLDOWN_MS - 1500);
    h3.kill('SIGTERM');
    const promoted = await h2.waitFor('h2 MASTER', becomes('MASTER'));
    expect(promoted.reason).toBe('master 198.51.100.13 resigned');
    expect(promoted.at - failedAt).toBeLessThan(COOLDOWN_MS);
    await h2.waitFor('h2 serving', isServing);
    expect((await h3.exited).code).toBe(0);

    // Past the cooldown h1 still follows h2 (no -P): its only mastership was the failed one.
    await sleep(Math.max(0, failedAt + COOLDOWN_MS - performance.now()) + 3 * masterDownMs(S1));
    expect(transitions(h1).map((l) => l.state)).toEqual(['BACKUP', 'MASTER', 'RELEASING', 'BACKUP']);
    expect([h1.state, h2.state]).toEqual(['BACKUP', 'MASTER']);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    expect(lab.addresses.events.filter((e) => e.address === VIP).map((e) => `${e.op} ${e.host}`)).toEqual(['add h2', 'del h2', 'add h1', 'del h1', 'add h3', 'del h3', 'add h2']);
  });
});
